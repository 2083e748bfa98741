/*-------------------------------------------------------------------------
 *
 * balance.c
 *		The aged balance: from 0.5.0 one pass over the ledger in C
 *		(dunning_aged_balance, at the end of the file); the aggregates of
 *		0.3.0 and 0.4.0 before it stay in the library for the install
 *		scripts of those versions.
 *
 * 0.3.0: dunning._aged_sums(days_overdue integer, open_amount numeric)
 * summed the open amounts of a group by bucket with the server's own
 * numeric sum (numeric_avg_accum / numeric_sum).  0.4.0: twelve aggregates
 * sharing one transition summed in 128-bit integers.  0.5.0: the same
 * integer sums, kept per customer and currency in a hash table of our own
 * and fed by two queries run through SPI.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/supportnodes.h"
#include "optimizer/plancat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "dunning.h"
#include "fixed.h"

#define AGED_BUCKETS 7			/* unapplied, not due, 5 overdue buckets */
#define AGED_RESULT (AGED_BUCKETS + 2)	/* ... items, overdue items */

typedef struct AgedState
{
	Datum		sum[AGED_BUCKETS];	/* sum(numeric)'s state, or 0 */
	int64		items;
	int64		overdue_items;
} AgedState;

/* the bucket of an item: 0 a credit, 1 not due, 2..6 the overdue buckets */
static inline int
aged_bucket(bool credit, int32 days)
{
	if (credit)
		return 0;
	if (days < 1)
		return 1;
	if (days <= 30)
		return 2;
	if (days <= 60)
		return 3;
	if (days <= 90)
		return 4;
	if (days <= 120)
		return 5;
	return 6;
}

PG_FUNCTION_INFO_V1(dunning_aged_accum);
Datum
dunning_aged_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	AgedState  *s;
	int			k;

	LOCAL_FCINFO(sub, 2);

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "dunning._aged_accum called in non-aggregate context");

	s = PG_ARGISNULL(0) ? NULL : (AgedState *) PG_GETARG_POINTER(0);
	if (s == NULL)
		s = (AgedState *) MemoryContextAllocZero(aggcxt, sizeof(AgedState));
	if (PG_ARGISNULL(2))
		PG_RETURN_POINTER(s);

	k = aged_bucket(PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1));
	s->items++;
	if (k >= 2)
		s->overdue_items++;

	/* sum(numeric)'s transition, in this aggregate's context */
	InitFunctionCallInfoData(*sub, fcinfo->flinfo, 2, InvalidOid, fcinfo->context, NULL);
	sub->args[0].value = s->sum[k];
	sub->args[0].isnull = (s->sum[k] == (Datum) 0);
	sub->args[1].value = PG_GETARG_DATUM(2);
	sub->args[1].isnull = false;
	s->sum[k] = numeric_avg_accum(sub);
	Assert(!sub->isnull);
	PG_RETURN_POINTER(s);
}

/*
 * The sums of the buckets (0 for an empty one), then the number of items
 * and of overdue items: numeric[9].
 */
PG_FUNCTION_INFO_V1(dunning_aged_final);
Datum
dunning_aged_final(PG_FUNCTION_ARGS)
{
	AgedState  *s;
	Datum		out[AGED_RESULT];
	Datum	   *zero = (Datum *) fcinfo->flinfo->fn_extra;
	int			k;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "dunning._aged_final called in non-aggregate context");
	s = PG_ARGISNULL(0) ? NULL : (AgedState *) PG_GETARG_POINTER(0);
	if (s == NULL)
		PG_RETURN_NULL();

	/* the 0 of an empty bucket: made once per query, not per group */
	if (zero == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		zero = (Datum *) palloc(sizeof(Datum));
		*zero = DirectFunctionCall1(int8_numeric, Int64GetDatum(0));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = zero;
	}

	for (k = 0; k < AGED_BUCKETS; k++)
	{
		LOCAL_FCINFO(sub, 1);

		out[k] = *zero;
		if (s->sum[k] == (Datum) 0)
			continue;
		InitFunctionCallInfoData(*sub, fcinfo->flinfo, 1, InvalidOid, fcinfo->context, NULL);
		sub->args[0].value = s->sum[k];
		sub->args[0].isnull = false;
		out[k] = numeric_sum(sub);
		if (sub->isnull)
			out[k] = *zero;
	}
	out[AGED_BUCKETS] = DirectFunctionCall1(int8_numeric, Int64GetDatum(s->items));
	out[AGED_BUCKETS + 1] = DirectFunctionCall1(int8_numeric, Int64GetDatum(s->overdue_items));
	PG_RETURN_ARRAYTYPE_P(construct_array(out, AGED_RESULT, NUMERICOID, -1, false, TYPALIGN_INT));
}



/*
 * 0.4.0: the aged balance's line in twelve aggregates sharing one
 * transition.
 *
 * dunning._aged_not_due(as_of date, due date, amount numeric),
 * _aged_overdue_1_30, ..., _aged_total, _aged_open_items,
 * _aged_overdue_items and _aged_oldest_due_date all have the transition
 * function _aged_line_accum and differ only in their final function, so
 * the executor keeps one state per group and calls the transition once per
 * row (aggregates whose transitions are the same share their state); each
 * final function reads its column from it.  A negative amount is an
 * unapplied credit, a positive one goes to the bucket of the days from its
 * due date to as_of.  Each row is an open item.
 *
 * The sums are exact integers of hundred-millionths in 128 bits, read
 * straight from each numeric's digits: summing a million amounts this way
 * costs less than sum(numeric), which copies every short numeric out of
 * its row and keeps an array of digits per sum.  A numeric the integers
 * cannot hold (NaN, infinity, more than 8 decimals, 10^28 or more), or
 * that would make a sum overflow, goes to a sum(numeric) state of its
 * bucket instead, so the result is exact in every case; the final function
 * adds the two.  Each bucket keeps the largest display scale of its
 * amounts, so a sum shows the decimals sum(numeric) would show.
 *
 * The digits are read and written by fixed.c.  test/pgtap/aged_totals.sql
 * compares every column with sum(numeric) on random numerics of every
 * shape.
 */
#define AGED_SCALE	FIXED_SCALE	/* decimals of the integer sums */

typedef struct AgedLine
{
#ifdef HAVE_INT128
	int128		isum[AGED_BUCKETS];	/* in 10^-AGED_SCALE */
#endif
	Datum	   *slow;			/* NULL, or a sum(numeric) state per bucket */
	int64		items;
	int64		overdue_items;
	DateADT		oldest;			/* earliest due date of an overdue row */
	bool		any_overdue;
	int16		dscale[AGED_BUCKETS];	/* largest display scale summed */
} AgedLine;

/* the columns of a line */
typedef enum AgedField
{
	AF_UNAPPLIED, AF_NOT_DUE, AF_1_30, AF_31_60, AF_61_90, AF_91_120, AF_OVER_120,	/* = bucket */
	AF_OVERDUE, AF_TOTAL, AF_ITEMS, AF_OVERDUE_ITEMS, AF_OLDEST
} AgedField;


/* count an item of bucket k due on due */
static inline void
aged_count(AgedLine *s, int k, DateADT due)
{
	s->items++;
	if (k >= 2)
	{
		s->overdue_items++;
		if (!s->any_overdue || due < s->oldest)
		{
			s->oldest = due;
			s->any_overdue = true;
		}
	}
}

#ifdef HAVE_INT128
/*
 * Add v (in 10^-AGED_SCALE, display scale dscale) to bucket k's integer sum;
 * false when the sum would overflow (on overflow the builtin still writes
 * the wrapped sum: not to isum).
 */
static inline bool
aged_add_integer(AgedLine *s, int k, int128 v, int dscale)
{
	int128		sum;

	if (__builtin_add_overflow(s->isum[k], v, &sum))
		return false;
	s->isum[k] = sum;
	if (dscale > s->dscale[k])
		s->dscale[k] = dscale;
	return true;
}
#endif

PG_FUNCTION_INFO_V1(dunning_aged_line_accum);
Datum
dunning_aged_line_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	AgedLine   *s;
	Datum		amount;
	bool		negative;
	bool		fast = false;
	int			k;

#ifdef HAVE_INT128
	int128		v = 0;
	int			dscale = 0;
#endif

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "dunning._aged_line_accum called in non-aggregate context");

	s = PG_ARGISNULL(0) ? NULL : (AgedLine *) PG_GETARG_POINTER(0);
	if (s == NULL)
	{
		s = (AgedLine *) MemoryContextAllocZero(aggcxt, sizeof(AgedLine));
#ifdef HAVE_INT128
#endif
	}
	if (PG_ARGISNULL(3))
		PG_RETURN_POINTER(s);
	amount = PG_GETARG_DATUM(3);

#ifdef HAVE_INT128
	fast = fixed_read(amount, &v, &dscale);
#endif
	if (fast)
#ifdef HAVE_INT128
		negative = (v < 0);
#else
		negative = false;
#endif
	else
		negative = fixed_below_zero(amount);

	if (negative)
		k = 0;
	else if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		k = 1;
	else
		k = aged_bucket(false, PG_GETARG_DATEADT(1) - PG_GETARG_DATEADT(2));

	aged_count(s, k, k >= 2 ? PG_GETARG_DATEADT(2) : 0);
#ifdef HAVE_INT128
	if (fast && aged_add_integer(s, k, v, dscale))
		PG_RETURN_POINTER(s);
#endif

	/* what the integers cannot hold: sum(numeric)'s transition */
	{
		LOCAL_FCINFO(sub, 2);

		if (s->slow == NULL)
			s->slow = (Datum *) MemoryContextAllocZero(aggcxt, AGED_BUCKETS * sizeof(Datum));
		InitFunctionCallInfoData(*sub, fcinfo->flinfo, 2, InvalidOid, fcinfo->context, NULL);
		sub->args[0].value = s->slow[k];
		sub->args[0].isnull = (s->slow[k] == (Datum) 0);
		sub->args[1].value = amount;
		sub->args[1].isnull = false;
		s->slow[k] = numeric_avg_accum(sub);
		Assert(!sub->isnull);
	}
	PG_RETURN_POINTER(s);
}

/* 0, made once per query: most lines have empty buckets */
static Datum
aged_zero(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(Datum));
	if (*(Datum *) fcinfo->flinfo->fn_extra == (Datum) 0)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		*(Datum *) fcinfo->flinfo->fn_extra = NumericGetDatum(int64_to_numeric(0));
		MemoryContextSwitchTo(old);
	}
	return *(Datum *) fcinfo->flinfo->fn_extra;
}

/* the sum of bucket k: the integer part plus the slow part, if any */
static Datum
aged_bucket_sum(FunctionCallInfo fcinfo, AgedLine *s, int k)
{
	Datum		sum;

#ifdef HAVE_INT128
	if (s->isum[k] == 0 && s->dscale[k] == 0)
		sum = aged_zero(fcinfo);
	else
		sum = fixed_numeric(s->isum[k], s->dscale[k]);
#else
	sum = NumericGetDatum(int64_to_numeric(0));
#endif
	if (s->slow != NULL && s->slow[k] != (Datum) 0)
	{
		LOCAL_FCINFO(sub, 1);
		Datum		slow;

		InitFunctionCallInfoData(*sub, fcinfo->flinfo, 1, InvalidOid, fcinfo->context, NULL);
		sub->args[0].value = s->slow[k];
		sub->args[0].isnull = false;
		slow = numeric_sum(sub);
		if (!sub->isnull)
			sum = DirectFunctionCall2(numeric_add, sum, slow);
	}
	return sum;
}

/* the sum of buckets first..last */
#ifdef HAVE_INT128
/* the integer sums of buckets first..last as a numeric; false on overflow */
static bool
aged_integer_range(AgedLine *s, int first, int last, Datum *result)
{
	int128		t = 0;
	int			dscale = 0;
	int			k;

	for (k = first; k <= last; k++)
	{
		if (__builtin_add_overflow(t, s->isum[k], &t))
			return false;
		dscale = Max(dscale, s->dscale[k]);
	}
	*result = fixed_numeric(t, dscale);
	return true;
}
#endif

static Datum
aged_range_sum(FunctionCallInfo fcinfo, AgedLine *s, int first, int last)
{
	Datum		sum;
	int			k;

#ifdef HAVE_INT128
	if (s->slow == NULL && aged_integer_range(s, first, last, &sum))
		return sum;
#endif
	sum = aged_bucket_sum(fcinfo, s, first);
	for (k = first + 1; k <= last; k++)
		sum = DirectFunctionCall2(numeric_add, sum, aged_bucket_sum(fcinfo, s, k));
	return sum;
}

static Datum
aged_field(FunctionCallInfo fcinfo, AgedField f)
{
	AgedLine   *s;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "dunning._aged_* final function called in non-aggregate context");
	s = PG_ARGISNULL(0) ? NULL : (AgedLine *) PG_GETARG_POINTER(0);
	if (s == NULL)
		PG_RETURN_NULL();

	switch (f)
	{
		case AF_OVERDUE:
			return aged_range_sum(fcinfo, s, 2, AGED_BUCKETS - 1);
		case AF_TOTAL:
			return aged_range_sum(fcinfo, s, 0, AGED_BUCKETS - 1);
		case AF_ITEMS:
			PG_RETURN_INT64(s->items);
		case AF_OVERDUE_ITEMS:
			PG_RETURN_INT64(s->overdue_items);
		case AF_OLDEST:
			if (!s->any_overdue)
				PG_RETURN_NULL();
			PG_RETURN_DATEADT(s->oldest);
		default:
			return aged_bucket_sum(fcinfo, s, (int) f);
	}
}

#define AGED_FINAL(name, field) \
PG_FUNCTION_INFO_V1(name); \
Datum name(PG_FUNCTION_ARGS) { return aged_field(fcinfo, field); }

AGED_FINAL(dunning_aged_unapplied, AF_UNAPPLIED)
AGED_FINAL(dunning_aged_not_due, AF_NOT_DUE)
AGED_FINAL(dunning_aged_overdue_1_30, AF_1_30)
AGED_FINAL(dunning_aged_overdue_31_60, AF_31_60)
AGED_FINAL(dunning_aged_overdue_61_90, AF_61_90)
AGED_FINAL(dunning_aged_overdue_91_120, AF_91_120)
AGED_FINAL(dunning_aged_overdue_over_120, AF_OVER_120)
AGED_FINAL(dunning_aged_overdue, AF_OVERDUE)
AGED_FINAL(dunning_aged_total, AF_TOTAL)
AGED_FINAL(dunning_aged_open_items, AF_ITEMS)
AGED_FINAL(dunning_aged_overdue_items, AF_OVERDUE_ITEMS)
AGED_FINAL(dunning_aged_oldest_due_date, AF_OLDEST)

/*
 * dunning._is_open(numeric): the amount is not zero.  What "open_amount <>
 * 0" says, without copying each short numeric out of its row to compare it
 * (a zero numeric has no digits).
 */
PG_FUNCTION_INFO_V1(dunning_is_open);
Datum
dunning_is_open(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!fixed_is_zero(PG_GETARG_DATUM(0)));
}

/*
 * The planner's estimate for _is_open(x): that of x <> 0, which reads the
 * column's statistics (without it, a function's default third: on a
 * lettered ledger, where a sixth of the entries are open, or an unlettered
 * one, where all are, the aged balance was planned for the wrong number of
 * rows).
 */
PG_FUNCTION_INFO_V1(dunning_is_open_support);
Datum
dunning_is_open_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSelectivity *req;
	Oid			ne;
	List	   *args;

	if (!IsA(rawreq, SupportRequestSelectivity))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSelectivity *) rawreq;
	if (list_length(req->args) != 1)
		PG_RETURN_POINTER(NULL);

	ne = OpernameGetOprid(list_make2(makeString("pg_catalog"), makeString("<>")),
						  NUMERICOID, NUMERICOID);
	if (!OidIsValid(ne))
		PG_RETURN_POINTER(NULL);
	args = list_make2(linitial(req->args),
					  makeConst(NUMERICOID, -1, InvalidOid, -1,
								NumericGetDatum(int64_to_numeric(0)), false, false));
	if (req->is_join)
		req->selectivity = join_selectivity(req->root, ne, args, InvalidOid,
											req->jointype, req->sjinfo);
	else
		req->selectivity = restriction_selectivity(req->root, ne, args, InvalidOid,
												   req->varRelid);
	PG_RETURN_POINTER(req);
}


/*
 * dunning.aged_balance(as_of date), from 0.5.0: the aged balance in one
 * pass over the ledger.
 *
 * Until 0.4.0 the aged balance was a query: the open entries grouped by
 * customer and currency (a hash aggregate whose key is two collatable
 * texts, hashed and compared through the function manager for every
 * entry), twelve aggregates finished per line, then a hash join to the
 * customers for their names.  Here two plain queries, run through SPI
 * with the caller's rights and row security, feed a receiver of ours:
 * first the customers, put in a hash table keyed by the bytes of their id;
 * then the ledger's open entries, each added to its customer's line for
 * its currency (a customer has one line per currency, found by comparing
 * three bytes).  The join is the look-up itself, and a line's columns are
 * computed once, when it is written out.
 *
 * Which entries: with no allocation dated after as_of (a ledger lettered
 * up to that day) the entries open now are the entries open on the day, so
 * the ledger is read as it is; otherwise open_items(as_of) takes back what
 * the later allocations took.  The sums are those of the aggregates above:
 * 128-bit integers of hundred-millionths, and a numeric sum of what they
 * cannot hold.
 */
typedef struct AgedId
{
	const char *p;
	uint32		len;
} AgedId;

typedef struct AgedCurrencyLine
{
	struct AgedCurrencyLine *next;
	char		code[3];		/* the currency: three upper-case letters */
	AgedLine	line;			/* line.slow unused */
	Datum		slow[AGED_BUCKETS]; /* numeric sums, or 0 */
} AgedCurrencyLine;

typedef struct AgedCustomer
{
	Datum		id;				/* text */
	Datum		name;			/* text */
	Datum		manager_id;		/* text, or 0 when NULL */
	AgedCurrencyLine *lines;	/* in the order first met */
	AgedCurrencyLine *last;		/* the line of the last entry */
} AgedCustomer;

typedef struct AgedEntry
{
	AgedId		key;			/* points into the customer's id */
	uint32		hash;
	char		status;
	AgedCustomer *customer;
} AgedEntry;

#define SH_PREFIX aged_customers
#define SH_ELEMENT_TYPE AgedEntry
#define SH_KEY_TYPE AgedId
#define SH_KEY key
#define SH_HASH_KEY(tb, k) hash_bytes((const unsigned char *) (k).p, (int) (k).len)
#define SH_EQUAL(tb, a, b) ((a).len == (b).len && memcmp((a).p, (b).p, (a).len) == 0)
#define SH_SCOPE static inline
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) (a)->hash
#define SH_DEFINE
#define SH_DECLARE
#include "lib/simplehash.h"

typedef struct AgedPass
{
	DateADT		as_of;
	Datum		customer_ids;	/* text[] of the customers to read, or 0: all */
	MemoryContext cxt;			/* the customers and their lines */
	MemoryContext rowcxt;		/* reset after each row */
	aged_customers_hash *table;
	AgedCustomer **order;		/* the customers in the order read */
	int			ncustomers;
	int			maxcustomers;
} AgedPass;

typedef struct AgedReceiver
{
	DestReceiver pub;
	AgedPass   *pass;
	bool		customers;		/* reading customers, else entries */
} AgedReceiver;

/* a text column's bytes, read in place when the value is not toasted */
static inline AgedId
aged_text(Datum d)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);
	AgedId		id;

	id.p = VARDATA_ANY(v);
	id.len = VARSIZE_ANY_EXHDR(v);
	return id;
}

/* customer_id, name, manager_id */
static void
aged_add_customer(AgedPass *pass, TupleTableSlot *slot)
{
	MemoryContext old;
	AgedCustomer *c;
	AgedEntry  *e;
	AgedId		key;
	bool		found;

	slot_getsomeattrs(slot, 3);
	if (slot->tts_isnull[0])
		return;
	old = MemoryContextSwitchTo(pass->cxt);
	c = (AgedCustomer *) palloc0(sizeof(AgedCustomer));
	c->id = PointerGetDatum(PG_DETOAST_DATUM_COPY(slot->tts_values[0]));
	c->name = slot->tts_isnull[1] ? (Datum) 0 :
		PointerGetDatum(PG_DETOAST_DATUM_COPY(slot->tts_values[1]));
	c->manager_id = slot->tts_isnull[2] ? (Datum) 0 :
		PointerGetDatum(PG_DETOAST_DATUM_COPY(slot->tts_values[2]));
	key = aged_text(c->id);
	e = aged_customers_insert(pass->table, key, &found);
	if (found)
	{
		/* customer_id is the key of customer: cannot happen */
		MemoryContextSwitchTo(old);
		return;
	}
	e->customer = c;
	if (pass->ncustomers == pass->maxcustomers)
	{
		pass->maxcustomers *= 2;
		pass->order = (AgedCustomer **) repalloc(pass->order,
												 pass->maxcustomers * sizeof(AgedCustomer *));
	}
	pass->order[pass->ncustomers++] = c;
	MemoryContextSwitchTo(old);
}

/* the line of a customer for a currency, made when first met */
static AgedCurrencyLine *
aged_line_of(AgedPass *pass, AgedCustomer *c, AgedId currency)
{
	AgedCurrencyLine *l;
	AgedCurrencyLine **tail;

	if (currency.len != 3)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid currency code in the ledger"),
				 errdetail("The ledger's check constraints allow only three upper-case letters.")));
	if (c->last != NULL && memcmp(c->last->code, currency.p, 3) == 0)
		return c->last;
	tail = &c->lines;
	for (l = c->lines; l != NULL; l = l->next)
	{
		if (memcmp(l->code, currency.p, 3) == 0)
			return c->last = l;
		tail = &l->next;
	}
	l = (AgedCurrencyLine *) MemoryContextAllocZero(pass->cxt, sizeof(AgedCurrencyLine));
	memcpy(l->code, currency.p, 3);
	*tail = l;
	return c->last = l;
}

/* customer_id, currency, doc_date, due_date, open_amount */
static void
aged_add_entry(AgedPass *pass, TupleTableSlot *slot)
{
	AgedEntry  *e;
	AgedCurrencyLine *cl;
	AgedLine   *s;
	Datum		amount;
	DateADT		due;
	bool		fast = false;
	bool		negative;
	int			k;
#ifdef HAVE_INT128
	int128		v = 0;
	int			dscale = 0;
#endif

	slot_getsomeattrs(slot, 5);
	if (slot->tts_isnull[0] || slot->tts_isnull[1] || slot->tts_isnull[2] ||
		slot->tts_isnull[4])
		return;
	amount = slot->tts_values[4];

	/* a zero open amount is no open item */
	if (fixed_is_zero(amount))
		return;

	/* an entry whose customer the caller cannot see is left out, as by a join */
	e = aged_customers_lookup(pass->table, aged_text(slot->tts_values[0]));
	if (e == NULL)
		return;
	cl = aged_line_of(pass, e->customer, aged_text(slot->tts_values[1]));
	s = &cl->line;
	due = DatumGetDateADT(slot->tts_values[slot->tts_isnull[3] ? 2 : 3]);

#ifdef HAVE_INT128
	fast = fixed_read(amount, &v, &dscale);
	negative = fast && v < 0;
#else
	negative = false;
#endif
	if (!fast)
		negative = fixed_below_zero(amount);
	k = negative ? 0 : aged_bucket(false, pass->as_of - due);

	aged_count(s, k, due);
#ifdef HAVE_INT128
	if (fast && aged_add_integer(s, k, v, dscale))
		return;
#endif

	/* what the integers cannot hold: a numeric sum, kept in pass->cxt */
	{
		Datum		prev = cl->slow[k];
		Datum		sum;
		MemoryContext old;

		sum = (prev == (Datum) 0) ? amount : DirectFunctionCall2(numeric_add, prev, amount);
		old = MemoryContextSwitchTo(pass->cxt);
		cl->slow[k] = PointerGetDatum(PG_DETOAST_DATUM_COPY(sum));
		MemoryContextSwitchTo(old);
		if (prev != (Datum) 0)
			pfree(DatumGetPointer(prev));
	}
}

static bool
aged_receive(TupleTableSlot *slot, DestReceiver *self)
{
	AgedReceiver *r = (AgedReceiver *) self;
	MemoryContext old = MemoryContextSwitchTo(r->pass->rowcxt);

	if (r->customers)
		aged_add_customer(r->pass, slot);
	else
		aged_add_entry(r->pass, slot);
	MemoryContextSwitchTo(old);
	MemoryContextReset(r->pass->rowcxt);
	return true;
}

static void
aged_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
aged_shutdown(DestReceiver *self)
{
}

static void
aged_destroy(DestReceiver *self)
{
}

/*
 * Run a query of parameters $1 as_of and $2 customer_ids (NULL: all), its
 * rows going to the pass.
 */
static void
aged_read(AgedPass *pass, const char *sql, bool customers)
{
	AgedReceiver r;
	SPIExecuteOptions options;
	ParamListInfo params = makeParamList(2);
	int			ret;

	params->params[0].value = DateADTGetDatum(pass->as_of);
	params->params[0].isnull = false;
	params->params[0].pflags = PARAM_FLAG_CONST;
	params->params[0].ptype = DATEOID;
	params->params[1].value = pass->customer_ids;
	params->params[1].isnull = (pass->customer_ids == (Datum) 0);
	params->params[1].pflags = PARAM_FLAG_CONST;
	params->params[1].ptype = TEXTARRAYOID;

	memset(&r, 0, sizeof(r));
	r.pub.receiveSlot = aged_receive;
	r.pub.rStartup = aged_startup;
	r.pub.rShutdown = aged_shutdown;
	r.pub.rDestroy = aged_destroy;
	r.pub.mydest = DestNone;
	r.pass = pass;
	r.customers = customers;

	memset(&options, 0, sizeof(options));
	options.params = params;
	options.read_only = true;
	options.dest = (DestReceiver *) &r;
	ret = SPI_execute_extended(sql, &options);
	if (ret < 0)
		elog(ERROR, "SPI_execute_extended failed: %s", SPI_result_code_string(ret));
}

/* the sum of buckets first..last of a line */
static Datum
aged_line_sum(AgedCurrencyLine *cl, int first, int last)
{
	AgedLine   *s = &cl->line;
	Datum		sum = (Datum) 0;
	int			k;

#ifdef HAVE_INT128
	if (!aged_integer_range(s, first, last, &sum))
		for (k = first; k <= last; k++)
		{
			Datum		b = fixed_numeric(s->isum[k], s->dscale[k]);

			sum = (k == first) ? b : DirectFunctionCall2(numeric_add, sum, b);
		}
#else
	sum = NumericGetDatum(int64_to_numeric(0));
#endif
	for (k = first; k <= last; k++)
		if (cl->slow[k] != (Datum) 0)
			sum = DirectFunctionCall2(numeric_add, sum, cl->slow[k]);
	return sum;
}

PG_FUNCTION_INFO_V1(dunning_aged_balance);
Datum
dunning_aged_balance(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AgedPass	pass;
	MemoryContext old;
	Tuplestorestate *ts;
	TupleDesc	tupdesc;
	bool		later;
	bool		isnull;
	int			i;
	int			ret;
	Datum		as_of_arg;

	pass.as_of = dunning_check_as_of(PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0),
									 PG_ARGISNULL(0));
	pass.customer_ids = (Datum) 0;
	if (PG_NARGS() > 1)
	{
		if (PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("customer_ids must not be null"),
					 errdetail("Pass the ids of the customers to read, or call aged_balance(as_of) for every customer.")));
		pass.customer_ids = PG_GETARG_DATUM(1);
	}
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	pass.cxt = AllocSetContextCreate(CurrentMemoryContext, "dunning aged balance",
									 ALLOCSET_DEFAULT_SIZES);
	pass.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "dunning aged balance row",
										ALLOCSET_SMALL_SIZES);
	pass.table = aged_customers_create(pass.cxt, 1024, NULL);
	pass.maxcustomers = 1024;
	pass.ncustomers = 0;
	pass.order = (AgedCustomer **) MemoryContextAlloc(pass.cxt, pass.maxcustomers * sizeof(AgedCustomer *));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aged_read(&pass, "SELECT c.customer_id, c.name, c.manager_id FROM " DUNNING_SCHEMA ".customer c"
			  " WHERE $2 IS NULL OR c.customer_id OPERATOR(pg_catalog.=) ANY ($2)", true);
	as_of_arg = DateADTGetDatum(pass.as_of);
	ret = SPI_execute_with_args("SELECT EXISTS (SELECT 1 FROM " DUNNING_SCHEMA ".allocation a"
								" WHERE a.allocated_on OPERATOR(pg_catalog.>) $1)",
								1, (Oid[]) {DATEOID}, &as_of_arg, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	later = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	if (later)
		aged_read(&pass, "SELECT o.customer_id, o.currency, o.doc_date, o.due_date, o.open_amount"
				  " FROM " DUNNING_SCHEMA ".open_items($1) o"
				  " WHERE $2 IS NULL OR o.customer_id OPERATOR(pg_catalog.=) ANY ($2)", false);
	else
		aged_read(&pass, "SELECT e.customer_id, e.currency, e.doc_date, e.due_date, e.open_amount"
				  " FROM " DUNNING_SCHEMA ".entry e"
				  " WHERE e.doc_date OPERATOR(pg_catalog.<=) $1"
				  " AND ($2 IS NULL OR e.customer_id OPERATOR(pg_catalog.=) ANY ($2))", false);
	SPI_finish();

	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	tupdesc = CreateTupleDescCopy(tupdesc);
	ts = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(old);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = ts;
	rsinfo->setDesc = tupdesc;

	old = MemoryContextSwitchTo(pass.rowcxt);
	for (i = 0; i < pass.ncustomers; i++)
	{
		AgedCustomer *c = pass.order[i];
		AgedCurrencyLine *cl;

		CHECK_FOR_INTERRUPTS();
		for (cl = c->lines; cl != NULL; cl = cl->next)
		{
			AgedLine   *s = &cl->line;
			Datum		values[17];
			bool		nulls[17];
			int			k;

			memset(nulls, 0, sizeof(nulls));
			values[0] = c->id;
			values[1] = c->name;
			nulls[1] = (c->name == (Datum) 0);
			values[2] = c->manager_id;
			nulls[2] = (c->manager_id == (Datum) 0);
			values[3] = PointerGetDatum(cstring_to_text_with_len(cl->code, 3));
			for (k = 1; k < AGED_BUCKETS; k++)	/* not due .. over 120 */
				values[3 + k] = aged_line_sum(cl, k, k);
			values[10] = aged_line_sum(cl, 0, 0);	/* unapplied */
			values[11] = aged_line_sum(cl, 2, AGED_BUCKETS - 1);	/* overdue */
			values[12] = aged_line_sum(cl, 0, AGED_BUCKETS - 1);	/* total */
			values[13] = Int64GetDatum(s->items);
			values[14] = Int64GetDatum(s->overdue_items);
			values[15] = DateADTGetDatum(s->oldest);
			nulls[15] = !s->any_overdue;
			values[16] = DateADTGetDatum(pass.as_of);
			tuplestore_putvalues(ts, tupdesc, values, nulls);
			MemoryContextReset(pass.rowcxt);
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(pass.rowcxt);
	MemoryContextDelete(pass.cxt);
	return (Datum) 0;
}

/*
 * The planner's row estimate of aged_balance(): one line per customer, the
 * customers' count from the statistics (a set-returning C function is
 * otherwise estimated at 1,000 rows, wrong for a BI tool joining it to
 * other tables).  None when customer was never analyzed.
 */
PG_FUNCTION_INFO_V1(dunning_aged_balance_support);
Datum
dunning_aged_balance_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestRows *req;
	Oid			nsp;
	Oid			relid;
	HeapTuple	tup;
	float4		reltuples = -1;

	if (!IsA(rawreq, SupportRequestRows))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestRows *) rawreq;
	nsp = get_namespace_oid(DUNNING_SCHEMA, true);
	relid = OidIsValid(nsp) ? get_relname_relid("customer", nsp) : InvalidOid;
	if (!OidIsValid(relid))
		PG_RETURN_POINTER(NULL);
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tup))
	{
		reltuples = ((Form_pg_class) GETSTRUCT(tup))->reltuples;
		ReleaseSysCache(tup);
	}
	if (reltuples < 0)
		PG_RETURN_POINTER(NULL);
	req->rows = Max(reltuples, 1);
	PG_RETURN_POINTER(req);
}
