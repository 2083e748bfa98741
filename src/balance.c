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

#include "catalog/pg_type.h"
#include "fmgr.h"
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
