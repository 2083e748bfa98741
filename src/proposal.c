/*-------------------------------------------------------------------------
 *
 * proposal.c
 *		An open item judged, and a letter's figures summed from its judged
 *		items (README "Escalation", "Views and their function twins").
 *
 * dunning._judge(...) says of one open entry what item_status, the
 * proposal and issuing all read: the hold that keeps it out of letters
 * (an item exclusion), its escalation verdict (src/escalation.c), whether
 * its customer is blocked or within its interval between letters, the
 * level it would be dunned at and the part a letter may claim.  One C call
 * per item, in a subquery of reminders.sql's _judged that the planner keeps
 * as it is (the function is declared VOLATILE for that alone), so that the
 * call runs once per item, on the parallel workers with the ledger's scan.
 *
 * dunning._letter_item(the same arguments, then the item's charges' own)
 * judges one item and charges it, and writes its part of the letter in a
 * few bytes; dunning._letter(that value, the letter's policy, currency,
 * name and manager) adds the parts up per customer and currency and gives
 * what reminder_proposal shows of a letter: its level (the highest level
 * an item is due for), the overdue total (what its items may claim), the
 * items it lists, the items it dunns, and the interest and compensation it
 * charges.  The item's part is computed before the sort by customer, so
 * that the sort carries about 30 bytes an item rather than the 25 columns
 * its judgement reads; the sums are exact 128-bit integers (fixed.c) where
 * the server's nine aggregates summed numerics; and a combine function
 * lets PostgreSQL run it on its parallel workers (and Citus, grouping by
 * customer, on each shard).  reminders.sql's _items says the same per item
 * with _judge and window functions; the regression tests and
 * bench/check_proposal.sql check that both agree.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "dunning.h"
#include "fixed.h"

/* what a call site of _judge or _letter keeps */
typedef struct JudgeCache
{
	void	   *policies;		/* escalation.c's cache */
	TupleDesc	tupdesc;		/* _judge's result */
	Datum		zero;			/* numeric 0, as the SQL literal 0 */
	FmgrInfo	interest_fn;	/* _letter: dunning._item_interest */
	bool		have_interest_fn;
	/* issuing's payment_methods, read once: the array, and its elements */
	struct varlena *methods_key;
	char	  **methods;
	int			nmethods;
} JudgeCache;

/* the arguments of dunning._judge, in order (after _letter's state) */
enum
{
	J_POLICY_ID, J_AMOUNT, J_OPEN_AMOUNT, J_DAYS, J_LEVEL, J_LAST, J_AS_OF, J_EXCLUDED,
	J_SOURCE, J_METHOD, J_STATUS, J_DISPUTED, J_PLAN_HOLD, J_BLOCKED_UNTIL,
	J_CUSTOMER_LAST, J_FORCE_LEVEL, J_REISSUE, J_METHODS, J_NARGS
};

/* then _letter's: what the letter charges */
enum
{
	C_KIND = J_NARGS, C_CUSTOMER_ID, C_ENTRY_ID, C_DUE_DATE, C_IS_CONSUMER, C_CURRENCY,
	C_COMPENSATED, C_NARGS
};

/* _judge's results */
enum
{
	R_HOLD, R_ESC, R_CUSTOMER_BLOCKED, R_CUSTOMER_INTERVAL, R_DUN_LEVEL, R_CLAIMABLE, R_NFIELDS
};

typedef struct Judgement
{
	const DunningPolicyTerms *policy;	/* the customer's, or NULL */
	const char *hold;			/* an item exclusion's code ... */
	text	   *plan_hold;		/* ... or the promise's or plan's */
	bool		has_esc;
	int32		esc;
	bool		blocked;
	bool		interval;
	bool		interval_null;
	bool		has_dun;
	int32		dun_level;
	Datum		claimable;
	bool		claimable_null;
	bool		debit;
	bool		credit;
	int32		days;
} Judgement;

/* argument k of the judgement, which starts at argument base */
#define JNULL(k)	PG_ARGISNULL(base + (k))
#define JARG(k)		PG_GETARG_DATUM(base + (k))

/* text argument k is one of the n strings of list */
static bool
arg_in_list(FunctionCallInfo fcinfo, int k, char *const *list, int n)
{
	text	   *t;
	int			i;

	if (n == 0 || PG_ARGISNULL(k))
		return false;
	t = PG_GETARG_TEXT_PP(k);
	for (i = 0; i < n; i++)
		if (strlen(list[i]) == VARSIZE_ANY_EXHDR(t) &&
			memcmp(list[i], VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)) == 0)
			return true;
	return false;
}

static JudgeCache *
judge_cache(FunctionCallInfo fcinfo)
{
	JudgeCache *cache = (JudgeCache *) fcinfo->flinfo->fn_extra;

	if (cache == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		cache = palloc0(sizeof(JudgeCache));
		cache->zero = NumericGetDatum(int64_to_numeric(0));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = cache;
	}
	return cache;
}

/*
 * payment_method = ANY (methods), as SQL says it (true on a match, false
 * otherwise, which every caller reads as NULL would be read).  The array is
 * a parameter of the query: its elements are read once and kept until it
 * changes.
 */
static bool
method_listed(FunctionCallInfo fcinfo, JudgeCache *cache, int k, int a)
{
	struct varlena *arr;

	if (PG_ARGISNULL(k) || PG_ARGISNULL(a))
		return false;
	arr = PG_DETOAST_DATUM(PG_GETARG_DATUM(a));
	if (cache->methods_key == NULL || VARSIZE(cache->methods_key) != VARSIZE(arr) ||
		memcmp(cache->methods_key, arr, VARSIZE(arr)) != 0)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (cache->methods_key != NULL)
			pfree(cache->methods_key);
		cache->methods_key = palloc(VARSIZE(arr));
		memcpy(cache->methods_key, arr, VARSIZE(arr));
		cache->nmethods = dunning_text_array(PointerGetDatum(cache->methods_key), &cache->methods);
		MemoryContextSwitchTo(old);
	}
	return arg_in_list(fcinfo, k, cache->methods, cache->nmethods);
}

/*
 * One open entry judged, from the arguments J_* that start at argument
 * base.  The rules are README "Escalation" and "Item status"; each result
 * is what the SQL of 0.5.0 gave (quoted above each), down to the display
 * scale of claimable.
 */
static void
judge_item(FunctionCallInfo fcinfo, int base, JudgeCache *cache, Judgement *r)
{
	DateADT		as_of;
	int32		level = 0;

	memset(r, 0, sizeof(Judgement));
	r->interval_null = true;
	if (JNULL(J_AS_OF))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as-of date must not be null"),
				 errdetail("An item's next level is judged on a day.")));
	as_of = DatumGetDateADT(JARG(J_AS_OF));
	if (!JNULL(J_AMOUNT))
	{
		r->credit = fixed_below_zero(JARG(J_AMOUNT));
		r->debit = !r->credit && !fixed_is_zero(JARG(J_AMOUNT));
	}
	if (!JNULL(J_LEVEL))
		level = DatumGetInt32(JARG(J_LEVEL));
	if (!JNULL(J_DAYS))
		r->days = DatumGetInt32(JARG(J_DAYS));
	if (!JNULL(J_POLICY_ID))
		r->policy = dunning_policy_terms(&cache->policies, fcinfo->flinfo->fn_mcxt,
										 DatumGetTextPP(JARG(J_POLICY_ID)));

	/*
	 * hold: CASE WHEN amount <= 0 OR no policy THEN NULL WHEN excluded THEN
	 * 'excluded' WHEN source = ANY (excluded_sources) THEN 'source_excluded'
	 * WHEN payment_method = ANY (excluded_methods) THEN 'method_excluded'
	 * WHEN status = 'disputed' AND (disputed_amount IS NULL OR
	 * disputed_amount >= open_amount) THEN 'disputed' WHEN status IN
	 * ('blocked', 'litigation') THEN 'blocked' ELSE plan_hold END
	 */
	if (r->debit && r->policy != NULL)
	{
		if (!JNULL(J_EXCLUDED) && DatumGetBool(JARG(J_EXCLUDED)))
			r->hold = "excluded";
		else if (arg_in_list(fcinfo, base + J_SOURCE, r->policy->excluded_sources,
							 r->policy->n_excluded_sources))
			r->hold = "source_excluded";
		else if (arg_in_list(fcinfo, base + J_METHOD, r->policy->excluded_methods,
							 r->policy->n_excluded_methods))
			r->hold = "method_excluded";
		else if (dunning_arg_is(fcinfo, base + J_STATUS, "disputed") &&
				 (JNULL(J_DISPUTED) ||
				  (!JNULL(J_OPEN_AMOUNT) &&
				   DatumGetBool(DirectFunctionCall2(numeric_ge, JARG(J_DISPUTED),
													JARG(J_OPEN_AMOUNT))))))
			r->hold = "disputed";
		else if (dunning_arg_is(fcinfo, base + J_STATUS, "blocked") ||
				 dunning_arg_is(fcinfo, base + J_STATUS, "litigation"))
			r->hold = "blocked";
		else if (!JNULL(J_PLAN_HOLD))
			r->plan_hold = DatumGetTextPP(JARG(J_PLAN_HOLD));
	}

	/* esc: CASE WHEN amount > 0 THEN _escalate(policy_id, days, level, last, as_of) END */
	if (r->debit && !JNULL(J_DAYS))
	{
		r->esc = dunning_escalate_item(&cache->policies, fcinfo->flinfo->fn_mcxt,
									   JNULL(J_POLICY_ID) ? NULL : DatumGetTextPP(JARG(J_POLICY_ID)),
									   r->days, !JNULL(J_LEVEL), level, !JNULL(J_LAST),
									   JNULL(J_LAST) ? 0 : DatumGetDateADT(JARG(J_LAST)), as_of);
		r->has_esc = true;
	}

	/* customer_blocked: coalesce(blocked_until >= as_of, false) */
	r->blocked = !JNULL(J_BLOCKED_UNTIL) && DatumGetDateADT(JARG(J_BLOCKED_UNTIL)) >= as_of;

	/*
	 * customer_interval: NOT reissue AND force_level IS NULL AND
	 * customer_last IS NOT NULL AND as_of - customer_last <
	 * greatest(min_interval_days, 1)
	 */
	r->interval_null = JNULL(J_REISSUE);
	if (!JNULL(J_REISSUE) && !DatumGetBool(JARG(J_REISSUE)) && JNULL(J_FORCE_LEVEL) &&
		!JNULL(J_CUSTOMER_LAST))
	{
		DateADT		last = DatumGetDateADT(JARG(J_CUSTOMER_LAST));
		int32		wait = r->policy ? Max(r->policy->min_interval_days, 1) : 1;

		if (DATE_NOT_FINITE(last) || DATE_NOT_FINITE(as_of))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("cannot subtract infinite dates")));
		r->interval = (as_of - last) < wait;
	}

	/*
	 * dun_level: CASE WHEN amount <= 0 OR hold IS NOT NULL OR
	 * customer_blocked THEN NULL WHEN methods IS NOT NULL AND NOT
	 * coalesce(payment_method = ANY (methods), false) THEN NULL WHEN
	 * force_level IS NOT NULL THEN CASE WHEN days_overdue > 0 AND level <
	 * force_level AND esc <> 0 THEN force_level END WHEN esc > 0 THEN esc
	 * WHEN reissue AND level >= 1 AND days_overdue > 0 AND
	 * _verdict_at_level(esc) THEN level END
	 */
	if (r->debit && r->hold == NULL && r->plan_hold == NULL && !r->blocked &&
		(JNULL(J_METHODS) || method_listed(fcinfo, cache, base + J_METHOD, base + J_METHODS)))
	{
		if (!JNULL(J_FORCE_LEVEL))
		{
			int32		force = DatumGetInt32(JARG(J_FORCE_LEVEL));

			if (r->days > 0 && !JNULL(J_LEVEL) && level < force && r->has_esc && r->esc != 0)
			{
				r->dun_level = force;
				r->has_dun = true;
			}
		}
		else if (r->has_esc && r->esc > 0)
		{
			r->dun_level = r->esc;
			r->has_dun = true;
		}
		else if (!JNULL(J_REISSUE) && DatumGetBool(JARG(J_REISSUE)) &&
				 !JNULL(J_LEVEL) && level >= 1 && r->days > 0 &&
				 r->has_esc && dunning_code_at_level(r->esc))
		{
			r->dun_level = level;
			r->has_dun = true;
		}
	}

	/*
	 * claimable: CASE WHEN amount < 0 THEN open_amount WHEN (days_overdue >
	 * 0 OR esc > 0) AND hold IS NULL THEN greatest(open_amount - CASE WHEN
	 * status = 'disputed' THEN coalesce(disputed_amount, 0) ELSE 0 END, 0)
	 * ELSE 0 END
	 */
	r->claimable = cache->zero;
	if (r->credit)
	{
		r->claimable = JARG(J_OPEN_AMOUNT);
		r->claimable_null = JNULL(J_OPEN_AMOUNT);
	}
	else if (r->debit && (r->days > 0 || (r->has_esc && r->esc > 0)) &&
			 r->hold == NULL && r->plan_hold == NULL)
	{
		if (JNULL(J_OPEN_AMOUNT))
			r->claimable_null = true;
		else
		{
			Datum		part = JARG(J_OPEN_AMOUNT);

			if (dunning_arg_is(fcinfo, base + J_STATUS, "disputed") && !JNULL(J_DISPUTED))
				part = DirectFunctionCall2(numeric_sub, part, JARG(J_DISPUTED));
			r->claimable = fixed_below_zero(part) ? cache->zero : part;
		}
	}
}

/*
 * dunning._judge(policy_id, amount, open_amount, days_overdue, level,
 * last_reminded_on, as_of, excluded, source, payment_method, status,
 * disputed_amount, plan_hold, blocked_until, customer_last, force_level,
 * reissue, methods) RETURNS dunning._judgement (hold, esc,
 * customer_blocked, customer_interval, dun_level, claimable).  What it
 * reads of the customer's policy (its exclusions and interval) comes from
 * escalation.c's cache of the policies.
 */
PG_FUNCTION_INFO_V1(dunning_judge);
Datum
dunning_judge(PG_FUNCTION_ARGS)
{
	JudgeCache *cache = judge_cache(fcinfo);
	Judgement	r;
	Datum		values[R_NFIELDS];
	bool		nulls[R_NFIELDS];

	if (PG_NARGS() != J_NARGS)
		elog(ERROR, "dunning._judge takes %d arguments", J_NARGS);
	if (cache->tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		TupleDesc	td;

		if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "dunning._judge must return a composite type");
		cache->tupdesc = BlessTupleDesc(CreateTupleDescCopy(td));
		MemoryContextSwitchTo(old);
	}
	judge_item(fcinfo, 0, cache, &r);

	nulls[R_HOLD] = (r.hold == NULL && r.plan_hold == NULL);
	values[R_HOLD] = r.hold ? CStringGetTextDatum(r.hold) : PointerGetDatum(r.plan_hold);
	nulls[R_ESC] = !r.has_esc;
	values[R_ESC] = Int32GetDatum(r.esc);
	nulls[R_CUSTOMER_BLOCKED] = false;
	values[R_CUSTOMER_BLOCKED] = BoolGetDatum(r.blocked);
	nulls[R_CUSTOMER_INTERVAL] = r.interval_null;
	values[R_CUSTOMER_INTERVAL] = BoolGetDatum(r.interval);
	nulls[R_DUN_LEVEL] = !r.has_dun;
	values[R_DUN_LEVEL] = Int32GetDatum(r.dun_level);
	nulls[R_CLAIMABLE] = r.claimable_null;
	values[R_CLAIMABLE] = r.claimable;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(cache->tupdesc, values, nulls)));
}

typedef struct LetterState
{
	int32		level;			/* highest level due, if any_level */
	bool		any_level;
	int32		items;			/* items listed */
	int32		dunned;			/* items due for a level */
	FixedSum	claimable;
	FixedSum	interest;
	FixedSum	compensation;
	bool		interval;		/* within the customer's interval */
	/* the letter's customer, policy and currency, from its first item */
	bool		known;
	text	   *name;
	text	   *manager_id;
	text	   *policy_id;
	text	   *currency;
} LetterState;

/* dunning._letter_sum's fields */
enum
{
	L_LEVEL, L_OVERDUE, L_ITEMS, L_DUNNED, L_INTEREST, L_COMPENSATION, L_FEE, L_TOTAL,
	L_NAME, L_MANAGER, L_POLICY, L_CHANNEL, L_TEMPLATE, L_NFIELDS
};

/* a copy of text argument k in cxt, or NULL */
static text *
arg_text_copy(FunctionCallInfo fcinfo, int k, MemoryContext cxt)
{
	MemoryContext old;
	text	   *t;

	if (PG_ARGISNULL(k))
		return NULL;
	old = MemoryContextSwitchTo(cxt);
	t = DatumGetTextPCopy(PG_GETARG_DATUM(k));
	MemoryContextSwitchTo(old);
	return t;
}

/* a copy of t in cxt, or NULL */
static text *
text_copy(const text *t, MemoryContext cxt)
{
	text	   *c;

	if (t == NULL)
		return NULL;
	c = MemoryContextAlloc(cxt, VARSIZE_ANY(t));
	memcpy(c, t, VARSIZE_ANY(t));
	return c;
}

/* a text written flat (length -1: NULL), and read back in cxt */
static void
text_send(StringInfo buf, const text *t)
{
	if (t == NULL)
		pq_sendint32(buf, -1);
	else
	{
		pq_sendint32(buf, VARSIZE_ANY(t));
		pq_sendbytes(buf, (const char *) t, VARSIZE_ANY(t));
	}
}

static text *
text_recv(StringInfo buf, MemoryContext cxt)
{
	int32		len = pq_getmsgint(buf, 4);
	text	   *t;

	if (len < 0)
		return NULL;
	t = MemoryContextAlloc(cxt, len);
	memcpy(t, pq_getmsgbytes(buf, len), len);
	return t;
}

static LetterState *
letter_state(FunctionCallInfo fcinfo, MemoryContext *aggcxt, const char *name)
{
	if (!AggCheckCallContext(fcinfo, aggcxt))
		elog(ERROR, "%s called in non-aggregate context", name);
	if (!PG_ARGISNULL(0))
		return (LetterState *) PG_GETARG_POINTER(0);
	return (LetterState *) MemoryContextAllocZero(*aggcxt, sizeof(LetterState));
}

/*
 * An item's interest: dunning._item_interest(customer_id, entry_id,
 * amount, open_amount, due_date, as_of, regime, annual_rate, day_count,
 * post_charges) (src/interest.c), called the way SQL calls it (NULL
 * arguments and result allowed).  Its result is in the caller's per-row
 * context.
 */
static Datum
letter_interest(FunctionCallInfo fcinfo, int base, JudgeCache *cache,
				const DunningPolicyTerms *pt, bool *isnull)
{
	Datum		result;

	LOCAL_FCINFO(sub, 10);

	if (!cache->have_interest_fn)
	{
		Oid			fn = DatumGetObjectId(DirectFunctionCall1(regprocedurein,
															  CStringGetDatum(DUNNING_SCHEMA "._item_interest(text,bigint,numeric,numeric,date,date,text,numeric,text,boolean)")));

		fmgr_info_cxt(fn, &cache->interest_fn, fcinfo->flinfo->fn_mcxt);
		cache->have_interest_fn = true;
	}
	InitFunctionCallInfoData(*sub, &cache->interest_fn, 10, DEFAULT_COLLATION_OID, NULL, NULL);
	sub->args[0].value = JARG(C_CUSTOMER_ID);
	sub->args[0].isnull = JNULL(C_CUSTOMER_ID);
	sub->args[1].value = JARG(C_ENTRY_ID);
	sub->args[1].isnull = JNULL(C_ENTRY_ID);
	sub->args[2].value = JARG(J_AMOUNT);
	sub->args[2].isnull = JNULL(J_AMOUNT);
	sub->args[3].value = JARG(J_OPEN_AMOUNT);
	sub->args[3].isnull = JNULL(J_OPEN_AMOUNT);
	sub->args[4].value = JARG(C_DUE_DATE);
	sub->args[4].isnull = JNULL(C_DUE_DATE);
	sub->args[5].value = JARG(J_AS_OF);
	sub->args[5].isnull = false;
	sub->args[6].value = PointerGetDatum(pt->interest_regime);
	sub->args[6].isnull = false;
	sub->args[7].value = pt->interest_rate;
	sub->args[7].isnull = !pt->has_rate;
	sub->args[8].value = PointerGetDatum(pt->day_count);
	sub->args[8].isnull = false;
	sub->args[9].value = BoolGetDatum(pt->post_charges);
	sub->args[9].isnull = false;
	result = FunctionCallInvoke(sub);
	*isnull = sub->isnull;
	return result;
}

/*
 * What one item adds to its letter: the level it is due for, whether it is
 * listed, whether its customer is within the interval between letters, and
 * the amounts it adds to the overdue total, the interest and the
 * compensation (an amount not set is not summed, as sum() skips NULL).
 */
typedef struct LetterItem
{
	bool		has_level;
	int32		level;
	bool		listed;
	bool		interval;
	bool		claimable_set;
	bool		interest_set;
	Datum		claimable;
	Datum		interest;
	Datum		compensation;
} LetterItem;

/*
 * One open entry, from _judge's arguments then kind, customer_id,
 * entry_id, due_date, is_consumer, currency and compensated (a letter not
 * cancelled charged it the compensation already); the policy's terms come
 * from the cache.  The item is judged, and its charges are those of
 * reminders.sql's _letter_items:
 *   interest: CASE WHEN dun_level IS NOT NULL AND kind = 'invoice' AND
 *   days_overdue > 0 AND regime IS NOT NULL AND _level_interest(policy_id,
 *   dun_level) THEN _item_interest(...) ELSE 0 END
 *   compensation: CASE WHEN dun_level IS NOT NULL AND kind = 'invoice' AND
 *   days_overdue > 0 AND compensation > 0 AND NOT is_consumer AND
 *   currency = policy_currency AND NOT compensated THEN compensation
 *   ELSE 0 END
 * The item is listed when it is dunned, on a statement of account, a
 * credit or overdue.
 */
static void
letter_item(FunctionCallInfo fcinfo, int base, JudgeCache *cache, LetterItem *it)
{
	Judgement	r;
	bool		charged;

	judge_item(fcinfo, base, cache, &r);
	memset(it, 0, sizeof(LetterItem));
	it->interval = r.interval && !r.interval_null;
	it->has_level = r.has_dun;
	it->level = r.dun_level;
	it->claimable_set = !r.claimable_null;
	it->claimable = r.claimable;
	it->listed = r.has_dun || (r.policy && r.policy->statement_account) || r.credit ||
		(r.debit && r.days > 0);

	charged = r.has_dun && dunning_arg_is(fcinfo, base + C_KIND, "invoice") && r.debit && r.days > 0;
	it->interest_set = true;
	it->interest = cache->zero;
	if (charged && r.policy && r.policy->interest_regime != NULL &&
		dunning_level_charges_interest(&cache->policies, fcinfo->flinfo->fn_mcxt,
									   DatumGetTextPP(JARG(J_POLICY_ID)), r.dun_level))
	{
		bool		isnull;

		it->interest = letter_interest(fcinfo, base, cache, r.policy, &isnull);
		it->interest_set = !isnull;
	}

	it->compensation = cache->zero;
	if (charged && r.policy && !fixed_is_zero(r.policy->compensation) &&
		!fixed_below_zero(r.policy->compensation) &&
		!JNULL(C_IS_CONSUMER) && !DatumGetBool(JARG(C_IS_CONSUMER)) &&
		arg_in_list(fcinfo, base + C_CURRENCY, &r.policy->currency, 1) &&
		!JNULL(C_COMPENSATED) && !DatumGetBool(JARG(C_COMPENSATED)))
		it->compensation = r.policy->compensation;
}

/*
 * An item's part of its letter written flat, for _letter to add up after
 * the sort by customer and currency: the sort then carries these few bytes
 * (a 30-byte value for most items) instead of the 25 columns the judgement
 * reads.  A flags byte (ITEM_*), the level if it has one, then each amount
 * set: a tag byte, and for ITEM_FIXED the value in 10^-FIXED_SCALE (int64)
 * and its display scale (a byte), for ITEM_NUMERIC (a value fixed.c does
 * not read) the length of its text (int32) and the text.  Native byte order: the value is read by the same
 * server that wrote it (a parallel worker's or a shard's aggregate).
 */
#define ITEM_LEVEL			0x01
#define ITEM_LISTED			0x02
#define ITEM_INTERVAL		0x04
#define ITEM_CLAIMABLE		0x08
#define ITEM_INTEREST		0x10
#define ITEM_FLAGS			0x1F

#define ITEM_ZERO			0	/* 0, display scale 0 */
#define ITEM_FIXED			1
#define ITEM_NUMERIC		2

static void
item_amount_send(StringInfo buf, Datum num)
{
#ifdef HAVE_INT128
	int128		v;
	int			dscale;

	if (fixed_read(num, &v, &dscale) && v >= PG_INT64_MIN && v <= PG_INT64_MAX)
	{
		int64		v64 = (int64) v;
		char		ds = (char) dscale;

		if (v64 == 0 && dscale == 0)
		{
			appendStringInfoChar(buf, ITEM_ZERO);
			return;
		}
		appendStringInfoChar(buf, ITEM_FIXED);
		appendBinaryStringInfo(buf, (const char *) &v64, sizeof(int64));
		appendBinaryStringInfo(buf, &ds, 1);
		return;
	}
#endif
	{
		char	   *txt = DatumGetCString(DirectFunctionCall1(numeric_out, num));
		int32		len = strlen(txt);

		appendStringInfoChar(buf, ITEM_NUMERIC);
		appendBinaryStringInfo(buf, (const char *) &len, sizeof(int32));
		appendBinaryStringInfo(buf, txt, len);
		pfree(txt);
	}
}

static void
pg_attribute_noreturn()
item_invalid(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid letter item"),
			 errdetail_internal("%s", detail)));
}

/* the next n bytes of an item written by dunning_letter_item */
static const char *
item_bytes(const char **p, const char *end, int n)
{
	const char *at = *p;

	if (n < 0 || end - at < n)
		item_invalid("The value ends before its fields: it was not written by dunning._letter_item.");
	*p = at + n;
	return at;
}

/* txt is what numeric_out writes */
static bool
numeric_text(const char *txt)
{
	const char *c = txt;
	bool		digits = false;

	if (strcmp(txt, "NaN") == 0 || strcmp(txt, "Infinity") == 0 ||
		strcmp(txt, "-Infinity") == 0)
		return true;
	if (*c == '-')
		c++;
	for (; *c >= '0' && *c <= '9'; c++)
		digits = true;
	if (*c == '.')
		for (c++; *c >= '0' && *c <= '9'; c++)
			;
	return digits && *c == '\0';
}

/* an amount written by item_amount_send, added to sum */
static void
item_amount_add(const char **p, const char *end, FixedSum *sum, MemoryContext aggcxt)
{
	char		tag = *item_bytes(p, end, 1);

	if (tag == ITEM_ZERO)
	{
#ifdef HAVE_INT128
		fixed_sum_add_value(sum, 0, 0, aggcxt);
#else
		fixed_sum_add(sum, NumericGetDatum(int64_to_numeric(0)), aggcxt);
#endif
	}
#ifdef HAVE_INT128
	else if (tag == ITEM_FIXED)
	{
		int64		v;
		char		ds;

		memcpy(&v, item_bytes(p, end, sizeof(int64)), sizeof(int64));
		ds = *item_bytes(p, end, 1);
		if (ds < 0 || ds > FIXED_SCALE)
			item_invalid("An amount's display scale is outside 0 to 8: it was not written by dunning._letter_item.");
		fixed_sum_add_value(sum, (int128) v, ds, aggcxt);
	}
#endif
	else if (tag == ITEM_NUMERIC)
	{
		int32		len;
		char	   *txt;

		/*
		 * the numeric's text as numeric_out writes it (a sign, digits, a
		 * point, or NaN and the infinities), read back by numeric_in
		 */
		memcpy(&len, item_bytes(p, end, sizeof(int32)), sizeof(int32));
		txt = pnstrdup(item_bytes(p, end, len), len);
		if (!numeric_text(txt))
			item_invalid("An amount is not a number's text: it was not written by dunning._letter_item.");
		fixed_sum_add(sum, DirectFunctionCall3(numeric_in, CStringGetDatum(txt),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)),
					  aggcxt);
		pfree(txt);
	}
	else
		item_invalid("An amount's tag is not 0, 1 or 2: it was not written by dunning._letter_item.");
}

/*
 * dunning._letter_item(_judge's arguments, kind, customer_id, entry_id,
 * due_date, is_consumer, currency, compensated) RETURNS bytea: the item's
 * part of its letter (letter_item above), written flat.
 */
PG_FUNCTION_INFO_V1(dunning_letter_item);
Datum
dunning_letter_item(PG_FUNCTION_ARGS)
{
	JudgeCache *cache = judge_cache(fcinfo);
	LetterItem	it;
	StringInfoData buf;
	char		flags;

	if (PG_NARGS() != C_NARGS)
		elog(ERROR, "dunning._letter_item takes %d arguments", (int) C_NARGS);
	letter_item(fcinfo, 0, cache, &it);
	flags = (it.has_level ? ITEM_LEVEL : 0) | (it.listed ? ITEM_LISTED : 0) |
		(it.interval ? ITEM_INTERVAL : 0) | (it.claimable_set ? ITEM_CLAIMABLE : 0) |
		(it.interest_set ? ITEM_INTEREST : 0);

	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	appendStringInfoChar(&buf, flags);
	if (it.has_level)
		appendBinaryStringInfo(&buf, (const char *) &it.level, sizeof(int32));
	if (it.claimable_set)
		item_amount_send(&buf, it.claimable);
	if (it.interest_set)
		item_amount_send(&buf, it.interest);
	item_amount_send(&buf, it.compensation);
	SET_VARSIZE(buf.data, buf.len);
	PG_RETURN_BYTEA_P((bytea *) buf.data);
}

/*
 * dunning._letter(item bytea, policy_id, currency, name, manager_id): the
 * transition adds an item written by _letter_item to the state; the
 * letter's policy, currency, name and manager come from its first item.
 */
PG_FUNCTION_INFO_V1(dunning_letter_accum);
Datum
dunning_letter_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	LetterState *s = letter_state(fcinfo, &aggcxt, "dunning._letter_accum");
	bytea	   *item;
	const char *p;
	const char *end;
	char		flags;

	if (PG_NARGS() != 6)
		elog(ERROR, "dunning._letter takes 5 arguments");
	if (!s->known)
	{
		s->known = true;
		s->policy_id = arg_text_copy(fcinfo, 2, aggcxt);
		s->currency = arg_text_copy(fcinfo, 3, aggcxt);
		s->name = arg_text_copy(fcinfo, 4, aggcxt);
		s->manager_id = arg_text_copy(fcinfo, 5, aggcxt);
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(s);
	item = PG_GETARG_BYTEA_PP(1);
	p = VARDATA_ANY(item);
	end = p + VARSIZE_ANY_EXHDR(item);
	flags = *item_bytes(&p, end, 1);
	if ((flags & ~ITEM_FLAGS) != 0)
		item_invalid("Its flags byte has bits dunning._letter_item does not write.");
	s->interval |= (flags & ITEM_INTERVAL) != 0;
	if (flags & ITEM_LEVEL)
	{
		int32		level;

		memcpy(&level, item_bytes(&p, end, sizeof(int32)), sizeof(int32));
		s->dunned++;
		if (!s->any_level || level > s->level)
			s->level = level;
		s->any_level = true;
	}
	if (flags & ITEM_LISTED)
		s->items++;
	if (flags & ITEM_CLAIMABLE)
		item_amount_add(&p, end, &s->claimable, aggcxt);
	if (flags & ITEM_INTEREST)
		item_amount_add(&p, end, &s->interest, aggcxt);
	item_amount_add(&p, end, &s->compensation, aggcxt);
	if (p != end)
		item_invalid("Bytes follow its fields: it was not written by dunning._letter_item.");
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(dunning_letter_combine);
Datum
dunning_letter_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	LetterState *s;
	LetterState *from;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "dunning._letter_combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	from = (LetterState *) PG_GETARG_POINTER(1);
	s = letter_state(fcinfo, &aggcxt, "dunning._letter_combine");
	if (from->any_level && (!s->any_level || from->level > s->level))
		s->level = from->level;
	s->any_level |= from->any_level;
	s->items += from->items;
	s->dunned += from->dunned;
	s->interval |= from->interval;
	if (!s->known && from->known)
	{
		s->known = true;
		s->name = text_copy(from->name, aggcxt);
		s->manager_id = text_copy(from->manager_id, aggcxt);
		s->policy_id = text_copy(from->policy_id, aggcxt);
		s->currency = text_copy(from->currency, aggcxt);
	}
	fixed_sum_combine(&s->claimable, &from->claimable, aggcxt);
	fixed_sum_combine(&s->interest, &from->interest, aggcxt);
	fixed_sum_combine(&s->compensation, &from->compensation, aggcxt);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(dunning_letter_serialize);
Datum
dunning_letter_serialize(PG_FUNCTION_ARGS)
{
	LetterState *s;
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "dunning._letter_serialize called in non-aggregate context");
	s = (LetterState *) PG_GETARG_POINTER(0);
	pq_begintypsend(&buf);
	pq_sendint32(&buf, s->level);
	pq_sendbyte(&buf, s->any_level ? 1 : 0);
	pq_sendint32(&buf, s->items);
	pq_sendint32(&buf, s->dunned);
	fixed_sum_serialize(&buf, &s->claimable);
	fixed_sum_serialize(&buf, &s->interest);
	fixed_sum_serialize(&buf, &s->compensation);
	pq_sendbyte(&buf, s->interval ? 1 : 0);
	pq_sendbyte(&buf, s->known ? 1 : 0);
	text_send(&buf, s->name);
	text_send(&buf, s->manager_id);
	text_send(&buf, s->policy_id);
	text_send(&buf, s->currency);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(dunning_letter_deserialize);
Datum
dunning_letter_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	bytea	   *b;
	StringInfoData buf;
	LetterState *s;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "dunning._letter_deserialize called in non-aggregate context");
	b = PG_GETARG_BYTEA_PP(0);
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	s = (LetterState *) MemoryContextAllocZero(aggcxt, sizeof(LetterState));
	s->level = pq_getmsgint(&buf, 4);
	s->any_level = pq_getmsgbyte(&buf) != 0;
	s->items = pq_getmsgint(&buf, 4);
	s->dunned = pq_getmsgint(&buf, 4);
	fixed_sum_deserialize(&buf, &s->claimable, aggcxt);
	fixed_sum_deserialize(&buf, &s->interest, aggcxt);
	fixed_sum_deserialize(&buf, &s->compensation, aggcxt);
	s->interval = pq_getmsgbyte(&buf) != 0;
	s->known = pq_getmsgbyte(&buf) != 0;
	s->name = text_recv(&buf, aggcxt);
	s->manager_id = text_recv(&buf, aggcxt);
	s->policy_id = text_recv(&buf, aggcxt);
	s->currency = text_recv(&buf, aggcxt);
	pq_getmsgend(&buf);
	pfree(buf.data);
	PG_RETURN_POINTER(s);
}

/*
 * The letter, or NULL when the customer and currency get none: no item is
 * due for a level, the customer is within its interval between letters,
 * or the overdue total is not above zero and at least the policy's and the
 * level's minimum (the same rules as _items' on_letter).  dunning._letter_sum:
 * letter_level, overdue_total, items, dunned_items, interest, compensation,
 * fee (the level's, in the letter's currency), total (to pay), name,
 * manager_id, policy_id.  The level's minimum is read only for a letter
 * that passes the other rules and its fee only for a letter sent, so that
 * a currency the policy has no amounts for fails only where it is needed.
 */
PG_FUNCTION_INFO_V1(dunning_letter_final);
Datum
dunning_letter_final(PG_FUNCTION_ARGS)
{
	LetterState *s;
	JudgeCache *cache;
	const DunningPolicyTerms *pt;
	Datum		values[L_NFIELDS];
	bool		nulls[L_NFIELDS];
	Datum		overdue;
	bool		overdue_null;
	Datum		floor_amount;
	Datum		fee;
	const char *channel;
	const char *template;
	int			k;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "dunning._letter_final called in non-aggregate context");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (LetterState *) PG_GETARG_POINTER(0);
	if (!s->any_level || s->interval || s->policy_id == NULL || s->currency == NULL)
		PG_RETURN_NULL();
	overdue = fixed_sum_result(&s->claimable, &overdue_null);
	if (overdue_null || fixed_is_zero(overdue) || fixed_below_zero(overdue))
		PG_RETURN_NULL();

	cache = judge_cache(fcinfo);
	pt = dunning_policy_terms(&cache->policies, fcinfo->flinfo->fn_mcxt, s->policy_id);
	floor_amount = dunning_level_amount(&cache->policies, fcinfo->flinfo->fn_mcxt, s->policy_id,
										s->level, s->currency, 0);
	/* greatest(min_balance, the level's minimum) */
	if (pt != NULL &&
		DatumGetBool(DirectFunctionCall2(numeric_ge, pt->min_balance, floor_amount)))
		floor_amount = pt->min_balance;
	if (DatumGetBool(DirectFunctionCall2(numeric_lt, overdue, floor_amount)))
		PG_RETURN_NULL();
	fee = dunning_level_amount(&cache->policies, fcinfo->flinfo->fn_mcxt, s->policy_id,
							   s->level, s->currency, 1);
	dunning_level_letter(&cache->policies, fcinfo->flinfo->fn_mcxt, s->policy_id, s->level,
						 &channel, &template);

	if (cache->tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		TupleDesc	td;

		if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "dunning._letter_final must return a composite type");
		cache->tupdesc = BlessTupleDesc(CreateTupleDescCopy(td));
		MemoryContextSwitchTo(old);
	}
	if (cache->tupdesc->natts != L_NFIELDS)
		elog(ERROR, "dunning._letter_sum has %d fields, not %d", cache->tupdesc->natts, L_NFIELDS);

	for (k = 0; k < L_NFIELDS; k++)
		nulls[k] = false;
	values[L_LEVEL] = Int32GetDatum(s->level);
	values[L_OVERDUE] = overdue;
	values[L_ITEMS] = Int32GetDatum(s->items);
	values[L_DUNNED] = Int32GetDatum(s->dunned);
	values[L_INTEREST] = fixed_sum_result(&s->interest, &nulls[L_INTEREST]);
	values[L_COMPENSATION] = fixed_sum_result(&s->compensation, &nulls[L_COMPENSATION]);
	values[L_FEE] = fee;
	/* overdue_total + fee + interest + compensation */
	nulls[L_TOTAL] = nulls[L_INTEREST] || nulls[L_COMPENSATION];
	values[L_TOTAL] = nulls[L_TOTAL] ? (Datum) 0
		: DirectFunctionCall2(numeric_add,
							  DirectFunctionCall2(numeric_add,
												  DirectFunctionCall2(numeric_add, overdue, fee),
												  values[L_INTEREST]),
							  values[L_COMPENSATION]);
	values[L_NAME] = PointerGetDatum(s->name);
	nulls[L_NAME] = (s->name == NULL);
	values[L_MANAGER] = PointerGetDatum(s->manager_id);
	nulls[L_MANAGER] = (s->manager_id == NULL);
	values[L_POLICY] = PointerGetDatum(s->policy_id);
	values[L_CHANNEL] = CStringGetTextDatum(channel);
	values[L_TEMPLATE] = CStringGetTextDatum(template);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(cache->tupdesc, values, nulls)));
}
