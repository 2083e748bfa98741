/*-------------------------------------------------------------------------
 *
 * balance.c
 *		The aged balance's aggregate: one transition call per open item
 *		puts its open amount in its bucket.
 *
 * dunning._aged_sums(days_overdue integer, open_amount numeric) sums the
 * open amounts of a group by bucket: unapplied credits (days NULL), not due
 * (days < 1), 1-30, 31-60, 61-90, 91-120 and over 120 days, and counts the
 * items and the overdue items.  Each bucket's sum is kept by the server's
 * own numeric sum (numeric_avg_accum / numeric_sum, the transition and final
 * functions of sum(numeric)), so a group costs what sum(numeric) costs, and
 * the result is the same to the last digit.  Before 0.3.0 the aged balance
 * grouped the items by bucket and pivoted the groups: two aggregations.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "nodes/supportnodes.h"
#include "optimizer/plancat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "dunning.h"

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
 * Reading the digits relies on numeric's on-disk format (a 16-bit header,
 * short or long, then base-10000 digits), which pg_upgrade keeps the same
 * across major versions.  test/pgtap/aged_totals.sql compares every column
 * with sum(numeric) on random numerics of every shape.
 */
#define AGED_SCALE	8			/* decimals of the integer sums */

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

/*
 * A numeric's 16-bit header, read where the numeric lies (a short numeric
 * is not copied out of its row), with what follows it and its length;
 * false when there is no header.  The two high bits set mean NaN or an
 * infinity.
 */
#define NUMERIC_HEADER_SPECIAL(h)	(((h) & 0xC000) == 0xC000)

static bool
numeric_header(Datum d, uint16 *header, const char **data, int *len)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);

	*data = VARDATA_ANY(v);
	*len = VARSIZE_ANY_EXHDR(v);
	if (*len < (int) sizeof(uint16))
		return false;
	memcpy(header, *data, sizeof(uint16));
	return true;
}

#ifdef HAVE_INT128
/* 10^0 .. 10^36 */
static int128 pow10_128[37];

static void
init_pow10(void)
{
	int			i;

	if (pow10_128[0] != 0)
		return;
	pow10_128[0] = 1;
	for (i = 1; i < (int) lengthof(pow10_128); i++)
		pow10_128[i] = pow10_128[i - 1] * 10;
}

/*
 * The value of a numeric in 10^-AGED_SCALE and its display scale; false
 * when it is NaN or infinite, has a display scale over AGED_SCALE or is
 * 10^28 or more (then it is summed as a numeric).
 */
static bool
numeric_scaled(Datum d, int128 *value, int *dscale)
{
	const char *p;
	int			len;
	uint16		header;
	int			weight;
	int			ndigits;
	bool		negative;
	int128		acc = 0;
	int			i;

	if (!numeric_header(d, &header, &p, &len))
		return false;
	switch (header & 0xC000)
	{
		case 0xC000:			/* NaN, +/-infinity */
			return false;
		case 0x8000:			/* short: sign, scale and weight in the header */
			negative = (header & 0x2000) != 0;
			*dscale = (header & 0x1F80) >> 7;
			weight = (header & 0x003F) - ((header & 0x0040) ? 64 : 0);
			p += sizeof(uint16);
			len -= sizeof(uint16);
			break;
		default:				/* long: sign and scale, then a 16-bit weight */
			{
				int16		w;

				if (len < (int) (2 * sizeof(uint16)))
					return false;
				negative = (header & 0xC000) == 0x4000;
				*dscale = header & 0x3FFF;
				memcpy(&w, p + sizeof(uint16), sizeof(int16));
				weight = w;
				p += 2 * sizeof(uint16);
				len -= 2 * sizeof(uint16);
			}
			break;
	}
	if (*dscale > AGED_SCALE || weight > 6)
		return false;
	ndigits = len / (int) sizeof(int16);

	/* digit i is worth 10000^(weight - i), that is 10^(4 (weight - i) + 8) */
	for (i = 0; i < ndigits; i++)
	{
		int16		digit;
		int			e = 4 * (weight - i) + AGED_SCALE;

		memcpy(&digit, p + i * sizeof(int16), sizeof(int16));
		if (digit < 0 || digit >= 10000)
			return false;
		if (e < 0)
		{
			if (digit != 0)
				return false;
			continue;
		}
		acc += (int128) digit * pow10_128[e];
	}
	*value = negative ? -acc : acc;
	return true;
}

/*
 * A numeric of v 10^-AGED_SCALE shown with dscale decimals (v has no more),
 * written in the form the server itself writes (numeric.c's make_result):
 * base-10000 digits without leading or trailing zero digits, a short header
 * (scale at most 8 and weight at most 7 always fit), zero positive with
 * weight 0.  One allocation; asserting builds check it against the
 * server's own int64_div_fast_to_numeric byte for byte.
 */
static Datum
scaled_numeric(int128 v, int dscale)
{
	uint128		a = (v < 0) ? -(uint128) v : (uint128) v;
	uint64		frac = (uint64) (a % 100000000);	/* the 8 decimals */
	uint128		ipart = a / 100000000;
	int16		digits[16];		/* integer part at most 10^30: 8 digits */
	int16		low[8];
	int			nlow = 0;
	int			n = 0;
	int			first = 0;
	int			weight;
	uint16		header;
	Numeric		result;

	/* the integer part's digits, least significant first, then reversed */
	while (ipart != 0)
	{
		low[nlow++] = (int16) (ipart % 10000);
		ipart /= 10000;
	}
	while (nlow > 0)
		digits[n++] = low[--nlow];
	weight = n - 1;
	digits[n++] = (int16) (frac / 10000);
	digits[n++] = (int16) (frac % 10000);

	/* no leading or trailing zero digits */
	while (first < n && digits[first] == 0)
	{
		first++;
		weight--;
	}
	while (n > first && digits[n - 1] == 0)
		n--;
	if (n == first)
	{
		weight = 0;
		v = 0;
	}

	header = 0x8000 | (v < 0 ? 0x2000 : 0) | (uint16) (dscale << 7) | (uint16) (weight & 0x7F);
	result = (Numeric) palloc(VARHDRSZ + sizeof(uint16) + (n - first) * sizeof(int16));
	SET_VARSIZE(result, VARHDRSZ + sizeof(uint16) + (n - first) * sizeof(int16));
	memcpy(VARDATA(result), &header, sizeof(uint16));
	memcpy(VARDATA(result) + sizeof(uint16), digits + first, (n - first) * sizeof(int16));

#ifdef USE_ASSERT_CHECKING
	{
		int128		w = v / pow10_128[AGED_SCALE - dscale];

		if (w >= PG_INT64_MIN && w <= PG_INT64_MAX)
		{
			Numeric		check = int64_div_fast_to_numeric((int64) w, dscale);

			Assert(VARSIZE(check) == VARSIZE(result) &&
				   memcmp(check, result, VARSIZE(result)) == 0);
		}
	}
#endif
	return NumericGetDatum(result);
}
#endif							/* HAVE_INT128 */

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
		init_pow10();
#endif
	}
	if (PG_ARGISNULL(3))
		PG_RETURN_POINTER(s);
	amount = PG_GETARG_DATUM(3);

#ifdef HAVE_INT128
	fast = numeric_scaled(amount, &v, &dscale);
#endif
	if (fast)
#ifdef HAVE_INT128
		negative = (v < 0);
#else
		negative = false;
#endif
	else
		negative = DatumGetBool(DirectFunctionCall2(numeric_lt, amount,
													NumericGetDatum(int64_to_numeric(0))));

	if (negative)
		k = 0;
	else if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		k = 1;
	else
		k = aged_bucket(false, PG_GETARG_DATEADT(1) - PG_GETARG_DATEADT(2));

	s->items++;
	if (k >= 2)
		s->overdue_items++;
	if (k >= 2 && (!s->any_overdue || PG_GETARG_DATEADT(2) < s->oldest))
	{
		s->oldest = PG_GETARG_DATEADT(2);
		s->any_overdue = true;
	}

#ifdef HAVE_INT128
	{
		int128		sum;

		/* on overflow the builtin still writes the wrapped sum: not to isum */
		if (fast && !__builtin_add_overflow(s->isum[k], v, &sum))
		{
			s->isum[k] = sum;
			if (dscale > s->dscale[k])
				s->dscale[k] = dscale;
			PG_RETURN_POINTER(s);
		}
	}
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
		sum = scaled_numeric(s->isum[k], s->dscale[k]);
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
static Datum
aged_range_sum(FunctionCallInfo fcinfo, AgedLine *s, int first, int last)
{
	Datum		sum;
	int			k;

#ifdef HAVE_INT128
	if (s->slow == NULL)
	{
		int128		t = 0;
		int			dscale = 0;
		bool		overflow = false;

		for (k = first; k <= last && !overflow; k++)
		{
			overflow = __builtin_add_overflow(t, s->isum[k], &t);
			dscale = Max(dscale, s->dscale[k]);
		}
		if (!overflow)
			return scaled_numeric(t, dscale);
	}
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
	const char *p;
	int			len;
	uint16		header;

	if (!numeric_header(PG_GETARG_DATUM(0), &header, &p, &len) || NUMERIC_HEADER_SPECIAL(header))
		PG_RETURN_BOOL(true);
	/* a zero has no digits: a short header is 2 bytes, a long one 4 */
	PG_RETURN_BOOL(len > (int) (((header & 0xC000) == 0x8000) ? sizeof(uint16) : 2 * sizeof(uint16)));
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
 * dunning._is_finite(numeric): neither NaN nor an infinity, for the tables'
 * checks (0.4.0).  The special values are the numerics whose header has its
 * two high bits set.
 */
PG_FUNCTION_INFO_V1(dunning_is_finite);
Datum
dunning_is_finite(PG_FUNCTION_ARGS)
{
	const char *p;
	int			len;
	uint16		header;

	/* no header: not a special value */
	PG_RETURN_BOOL(!numeric_header(PG_GETARG_DATUM(0), &header, &p, &len) ||
				   !NUMERIC_HEADER_SPECIAL(header));
}
