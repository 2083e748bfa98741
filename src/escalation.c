/*
 * escalation.c
 *		The level an overdue item is due for (README "Concepts", "Escalation"), and a level's
 *		minimum and fee in a letter's currency.
 *
 * The policies, their levels and their per-currency amounts are small
 * configuration tables.  Each call site reads them once, through SPI, into
 * its fn_extra; after that an item costs a few comparisons, with no query
 * and no allocation.
 *
 * dunning._escalate() answers with an integer: a positive value is the
 * level the item is due for, zero or a negative one the reason it is not
 * (see EscalationCode).  dunning._escalate_note() says the same in a
 * sentence, for item_status.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "dunning.h"

/*
 * Why an item has no next level.  These codes are named here only: SQL reads
 * them through dunning._verdict_reason() (the reason code of item_status)
 * and dunning._verdict_at_level() (what reissue sends again).
 */
typedef enum EscalationCode
{
	ESC_NO_POLICY = 0,			/* 'excluded': no policy, or one with no level */
	ESC_NOT_DUE = -1,			/* 'not_due' */
	ESC_GRACE = -2,				/* 'grace' */
	ESC_LAST_LEVEL = -3,		/* 'last_level' */
	ESC_BELOW_MIN_DAYS = -4,	/* 'below_min_days' */
	ESC_INTERVAL = -5			/* 'interval' */
} EscalationCode;

/* the reason code of each, indexed by -code */
static const char *const escalation_reasons[] = {
	"excluded", "not_due", "grace", "last_level", "below_min_days", "interval"
};

typedef struct LevelAmount
{
	char	   *currency;
	Datum		min_amount;		/* numeric, in the cache context */
	Datum		fee;
} LevelAmount;

typedef struct Level
{
	int32		level;
	int32		min_days;
	int32		min_interval_days;
	bool		interest;		/* charges late interest */
	char	   *channel;		/* the letter's channel and template, as
								 * the proposal names them */
	char	   *template;
	Datum		min_amount;
	Datum		fee;
	int			namounts;
	LevelAmount *amounts;
} Level;

typedef struct Policy
{
	char	   *policy_id;
	char	   *currency;
	int32		grace_days;
	bool		allow_skip;
	bool		repeat_last;
	int			nlevels;
	Level	   *levels;			/* by level number */
	DunningPolicyTerms terms;	/* what src/proposal.c reads */
} Policy;

typedef struct EscalationCache
{
	int			npolicies;
	Policy	   *policies;
	int			last;			/* index of the last policy found */
} EscalationCache;

/* what escalate() found, for the note */
typedef struct Verdict
{
	int			code;			/* a level, or an EscalationCode */
	const Policy *policy;
	const Level *level;			/* the level in question, if any */
	int32		days;
	int32		since;			/* days since the last reminder, -1 if none */
} Verdict;

static Datum
copy_numeric(Datum d)
{
	return PointerGetDatum(DatumGetNumericCopy(d));
}

/* the elements of a text[] as C strings, its NULLs left out, in the current context */
int
dunning_text_array(Datum arr, char ***out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	int			k = 0;

	deconstruct_array(DatumGetArrayTypeP(arr), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	*out = palloc0(sizeof(char *) * Max(1, n));
	for (i = 0; i < n; i++)
		if (!nulls[i])
			(*out)[k++] = TextDatumGetCString(elems[i]);
	return k;
}

/* columns 7 to 16 of the policies' query, in the current context */
static void
load_terms(DunningPolicyTerms *pt, HeapTuple t, TupleDesc td)
{
	bool		isnull;
	Datum		d;

	pt->min_interval_days = DatumGetInt32(SPI_getbinval(t, td, 7, &isnull));
	pt->statement_account = strcmp(SPI_getvalue(t, td, 8), "account") == 0;
	pt->n_excluded_sources = dunning_text_array(SPI_getbinval(t, td, 9, &isnull), &pt->excluded_sources);
	pt->n_excluded_methods = dunning_text_array(SPI_getbinval(t, td, 10, &isnull), &pt->excluded_methods);
	d = SPI_getbinval(t, td, 11, &isnull);
	pt->interest_regime = isnull ? NULL : DatumGetTextPCopy(d);
	d = SPI_getbinval(t, td, 12, &isnull);
	pt->has_rate = !isnull;
	pt->interest_rate = isnull ? (Datum) 0 : copy_numeric(d);
	pt->day_count = DatumGetTextPCopy(SPI_getbinval(t, td, 13, &isnull));
	pt->post_charges = DatumGetBool(SPI_getbinval(t, td, 14, &isnull));
	pt->compensation = copy_numeric(SPI_getbinval(t, td, 15, &isnull));
	pt->min_balance = copy_numeric(SPI_getbinval(t, td, 16, &isnull));
	pt->currency = SPI_getvalue(t, td, 2);
}

/*
 * Read the policies, levels and level amounts into a new cache in
 * fn_mcxt.  Three small queries, once per call site.
 */
static EscalationCache *
cache_load(MemoryContext cxt)
{
	int			nested;
	MemoryContext old;
	EscalationCache *cache;
	uint64		i;
	int			ret;

	nested = dunning_nested_reads_begin();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	ret = SPI_execute("SELECT p.policy_id, p.currency, p.grace_days, p.allow_skip, p.repeat_last, "
					  "(SELECT pg_catalog.count(*) FROM " DUNNING_SCHEMA ".level l "
					  "  WHERE l.policy_id OPERATOR(pg_catalog.=) p.policy_id)::integer, "
					  "p.min_interval_days, p.statement, p.excluded_sources, p.excluded_methods, "
					  "p.interest_regime, p.interest_rate, p.day_count, p.post_charges, p.compensation, "
					  "p.min_balance "
					  "FROM " DUNNING_SCHEMA ".policy p ORDER BY p.policy_id",
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %d", ret);
	old = MemoryContextSwitchTo(cxt);
	cache = palloc0(sizeof(EscalationCache));
	cache->npolicies = (int) SPI_processed;
	cache->policies = palloc0(sizeof(Policy) * Max(1, SPI_processed));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		Policy	   *p = &cache->policies[i];
		bool		isnull;

		p->policy_id = SPI_getvalue(t, td, 1);
		p->currency = SPI_getvalue(t, td, 2);
		p->grace_days = DatumGetInt32(SPI_getbinval(t, td, 3, &isnull));
		p->allow_skip = DatumGetBool(SPI_getbinval(t, td, 4, &isnull));
		p->repeat_last = DatumGetBool(SPI_getbinval(t, td, 5, &isnull));
		p->levels = palloc0(sizeof(Level) * Max(1, DatumGetInt32(SPI_getbinval(t, td, 6, &isnull))));
		load_terms(&p->terms, t, td);
	}
	MemoryContextSwitchTo(old);

	ret = SPI_execute("SELECT policy_id, level, min_days, min_interval_days, min_amount, fee, interest, "
					  "channel, " DUNNING_SCHEMA "._level_template(template, final, level) "
					  "FROM " DUNNING_SCHEMA ".level ORDER BY policy_id, level",
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %d", ret);
	{
		int			pi = 0;

		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	t = SPI_tuptable->vals[i];
			TupleDesc	td = SPI_tuptable->tupdesc;
			char	   *pid = SPI_getvalue(t, td, 1);
			bool		isnull;
			Level	   *l;

			/* both lists are ordered by policy_id (same collation) */
			while (pi < cache->npolicies && strcmp(cache->policies[pi].policy_id, pid) != 0)
				pi++;
			if (pi >= cache->npolicies)
				elog(ERROR, "level of unknown policy \"%s\"", pid);
			l = &cache->policies[pi].levels[cache->policies[pi].nlevels++];
			l->level = DatumGetInt32(SPI_getbinval(t, td, 2, &isnull));
			l->min_days = DatumGetInt32(SPI_getbinval(t, td, 3, &isnull));
			l->min_interval_days = DatumGetInt32(SPI_getbinval(t, td, 4, &isnull));
			l->interest = DatumGetBool(SPI_getbinval(t, td, 7, &isnull));
			old = MemoryContextSwitchTo(cxt);
			l->min_amount = copy_numeric(SPI_getbinval(t, td, 5, &isnull));
			l->fee = copy_numeric(SPI_getbinval(t, td, 6, &isnull));
			l->channel = SPI_getvalue(t, td, 8);
			l->template = SPI_getvalue(t, td, 9);
			MemoryContextSwitchTo(old);
		}
	}

	ret = SPI_execute("SELECT policy_id, level, currency, min_amount, fee, "
					  "pg_catalog.count(*) OVER (PARTITION BY policy_id, level)::integer "
					  "FROM " DUNNING_SCHEMA ".level_amount ORDER BY policy_id, level, currency",
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %d", ret);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		char	   *pid = SPI_getvalue(t, td, 1);
		bool		isnull;
		int32		lv = DatumGetInt32(SPI_getbinval(t, td, 2, &isnull));
		int			pi,
					li;

		for (pi = 0; pi < cache->npolicies; pi++)
			if (strcmp(cache->policies[pi].policy_id, pid) == 0)
				break;
		if (pi >= cache->npolicies)
			continue;
		for (li = 0; li < cache->policies[pi].nlevels; li++)
			if (cache->policies[pi].levels[li].level == lv)
			{
				Level	   *l = &cache->policies[pi].levels[li];
				LevelAmount *a;

				old = MemoryContextSwitchTo(cxt);
				if (l->amounts == NULL)
					l->amounts = palloc0(sizeof(LevelAmount) *
										 DatumGetInt32(SPI_getbinval(t, td, 6, &isnull)));
				a = &l->amounts[l->namounts++];
				a->currency = SPI_getvalue(t, td, 3);
				a->min_amount = copy_numeric(SPI_getbinval(t, td, 4, &isnull));
				a->fee = copy_numeric(SPI_getbinval(t, td, 5, &isnull));
				MemoryContextSwitchTo(old);
				break;
			}
	}
	SPI_finish();
	dunning_nested_reads_end(nested);
	return cache;
}

static EscalationCache *
get_cache_in(void **slot, MemoryContext cxt)
{
	if (*slot == NULL)
		*slot = cache_load(cxt);
	return (EscalationCache *) *slot;
}

static EscalationCache *
get_cache(FunctionCallInfo fcinfo)
{
	return get_cache_in(&fcinfo->flinfo->fn_extra, fcinfo->flinfo->fn_mcxt);
}

/*
 * The policy of that id, or NULL.  Rows of one customer come together, so
 * the last policy found is tried first.
 */
static const Policy *
find_policy(EscalationCache *cache, text *id)
{
	const char *s = VARDATA_ANY(id);
	int			len = VARSIZE_ANY_EXHDR(id);
	int			i;

	if (cache->npolicies == 0)
		return NULL;
	for (i = 0; i < cache->npolicies; i++)
	{
		int			k = (cache->last + i) % cache->npolicies;
		const char *pid = cache->policies[k].policy_id;

		if ((int) strlen(pid) == len && memcmp(pid, s, len) == 0)
		{
			cache->last = k;
			return &cache->policies[k];
		}
	}
	return NULL;
}

/*
 * README "Escalation", for one item.  days: days past due (negative before the due
 * date); cur: the item's level (0 if never reminded); since: days since its
 * last reminder, or -1.
 */
static Verdict
escalate(const Policy *p, int32 days, int32 cur, int32 since)
{
	Verdict		v = {ESC_NO_POLICY, p, NULL, days, since};
	const Level *cand = NULL;
	int			i;

	if (p == NULL || p->nlevels == 0)
		return v;

	/* overdue, but within the grace days */
	if (days > 0 && days < p->grace_days)
	{
		v.code = ESC_GRACE;
		return v;
	}

	/* the first level above the current one */
	for (i = 0; i < p->nlevels; i++)
		if (p->levels[i].level > cur)
			break;

	if (i >= p->nlevels)
	{
		/* at (or beyond) the last level */
		v.level = &p->levels[p->nlevels - 1];
		if (!p->repeat_last)
		{
			v.code = ESC_LAST_LEVEL;
			return v;
		}
		cand = v.level;
	}
	else if (p->allow_skip)
	{
		int			j;

		for (j = p->nlevels - 1; j >= i; j--)
			if (days >= p->levels[j].min_days)
			{
				cand = &p->levels[j];
				break;
			}
		v.level = cand ? cand : &p->levels[i];
	}
	else
	{
		v.level = &p->levels[i];
		if (days >= p->levels[i].min_days)
			cand = v.level;
	}

	if (cand == NULL)
	{
		v.code = days <= 0 ? ESC_NOT_DUE : ESC_BELOW_MIN_DAYS;
		return v;
	}

	/*
	 * Not before the level's interval since the item's last reminder, and
	 * never twice on one day.
	 */
	v.level = cand;
	if (since >= 0 && since < Max(cand->min_interval_days, 1))
	{
		v.code = ESC_INTERVAL;
		return v;
	}
	v.code = cand->level;
	return v;
}

/*
 * Read the arguments (policy_id, days, level, last_reminded_on, as_of)
 * shared by _escalate and _escalate_note.  False when the item cannot be
 * judged (no days: a credit).
 */
static bool
escalation_args(FunctionCallInfo fcinfo, Verdict *v)
{
	EscalationCache *cache;
	const Policy *p = NULL;
	int32		cur = 0;
	int32		since = -1;

	if (PG_ARGISNULL(1))
		return false;
	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as-of date must not be null"),
				 errdetail("An item's next level is judged on a day.")));
	cache = get_cache(fcinfo);
	if (!PG_ARGISNULL(0))
		p = find_policy(cache, PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(2))
		cur = PG_GETARG_INT32(2);
	if (!PG_ARGISNULL(3))
	{
		DateADT		last = PG_GETARG_DATEADT(3);
		DateADT		as_of = PG_GETARG_DATEADT(4);

		if (DATE_NOT_FINITE(last) || DATE_NOT_FINITE(as_of))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("dates must be finite"),
					 errdetail("The last reminder and the as-of date are days of the calendar.")));
		/* a reminder dated after the day counts as made that day */
		since = Max(0, as_of - last);
	}
	*v = escalate(p, PG_GETARG_INT32(1), cur, since);
	return true;
}

/*
 * The verdict of one item, for src/proposal.c's judgement: what
 * dunning._escalate(policy_id, days, level, last_reminded_on, as_of) gives
 * (has_level and has_last say whether those are given), with the policies
 * cached in *slot, allocated in cxt.
 */
int32
dunning_escalate_item(void **slot, MemoryContext cxt, text *policy_id, int32 days,
					  bool has_level, int32 level, bool has_last, DateADT last, DateADT as_of)
{
	const Policy *p = NULL;
	int32		since = -1;

	if (policy_id != NULL)
		p = find_policy(get_cache_in(slot, cxt), policy_id);
	if (has_last)
	{
		if (DATE_NOT_FINITE(last) || DATE_NOT_FINITE(as_of))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("dates must be finite"),
					 errdetail("The last reminder and the as-of date are days of the calendar.")));
		since = Max(0, as_of - last);
	}
	return escalate(p, days, has_level ? level : 0, since).code;
}

/* _verdict_at_level's answer for a code */
bool
dunning_code_at_level(int32 code)
{
	return code == ESC_LAST_LEVEL || code == ESC_BELOW_MIN_DAYS || code == ESC_INTERVAL;
}

/*
 * dunning._escalate(policy_id text, days integer, level integer,
 * last_reminded_on date, as_of date) RETURNS integer: the level the item is
 * due for, or a code <= 0 (EscalationCode).  NULL days (a credit): NULL.
 */
PG_FUNCTION_INFO_V1(dunning_escalate);
Datum
dunning_escalate(PG_FUNCTION_ARGS)
{
	Verdict		v;

	if (!escalation_args(fcinfo, &v))
		PG_RETURN_NULL();
	PG_RETURN_INT32(v.code);
}

/*
 * dunning._verdict_reason(verdict integer): the reason code of a verdict of
 * _escalate that is not a level; NULL for a level (> 0) or an unknown code.
 */
PG_FUNCTION_INFO_V1(dunning_verdict_reason);
Datum
dunning_verdict_reason(PG_FUNCTION_ARGS)
{
	int32		code = PG_GETARG_INT32(0);

	if (code > ESC_NO_POLICY || code < ESC_INTERVAL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(escalation_reasons[-code]));
}

/*
 * dunning._verdict_at_level(verdict integer): is the item at its level
 * already, with no next level yet (the last level, the next level's days not
 * reached, or within the level's interval)?  Those are what issue_reminders
 * with reissue sends again at their level.
 */
PG_FUNCTION_INFO_V1(dunning_verdict_at_level);
Datum
dunning_verdict_at_level(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(dunning_code_at_level(PG_GETARG_INT32(0)));
}

/* the verdict of an item in a sentence (README "Item status") */
static void
append_verdict_note(StringInfo s, const Verdict *v)
{
	switch (v->code)
	{
		case ESC_NO_POLICY:
			if (v->policy == NULL)
				appendStringInfoString(s, "the customer has no dunning policy");
			else
				appendStringInfo(s, "policy %s has no level", v->policy->policy_id);
			break;
		case ESC_NOT_DUE:
			if (v->days == 0)
				appendStringInfoString(s, "due today");
			else
				appendStringInfo(s, "due in %d day%s", -v->days, v->days == -1 ? "" : "s");
			break;
		case ESC_GRACE:
			appendStringInfo(s, "%d day%s overdue, within the %d grace days of policy %s",
							 v->days, v->days == 1 ? "" : "s",
							 v->policy->grace_days, v->policy->policy_id);
			break;
		case ESC_LAST_LEVEL:
			appendStringInfo(s, "already at level %d, the last of policy %s",
							 v->level->level, v->policy->policy_id);
			break;
		case ESC_BELOW_MIN_DAYS:
			appendStringInfo(s, "level %d needs %d days overdue; %d so far",
							 v->level->level, v->level->min_days, v->days);
			break;
		case ESC_INTERVAL:
			appendStringInfo(s, "level %d waits %d day%s after the last reminder; %d so far",
							 v->level->level, Max(v->level->min_interval_days, 1),
							 Max(v->level->min_interval_days, 1) == 1 ? "" : "s", v->since);
			break;
		default:
			{
				const Level *l = NULL;
				int			i;

				for (i = 0; i < v->policy->nlevels; i++)
					if (v->policy->levels[i].level == v->code)
						l = &v->policy->levels[i];
				Assert(l != NULL);
				if (v->days <= 0)
					appendStringInfo(s, "level %d, a courtesy reminder: due in %d days (from %d before)",
									 v->code, -v->days, -l->min_days);
				else
					appendStringInfo(s, "level %d: %d days overdue (needs %d)",
									 v->code, v->days, l->min_days);
				if (v->since >= 0)
					appendStringInfo(s, ", %d days since the last reminder (needs %d)",
									 v->since, Max(l->min_interval_days, 1));
			}
			break;
	}
}

/*
 * dunning._escalate_note(...same arguments...) RETURNS text: the verdict of
 * _escalate in a sentence.
 */
PG_FUNCTION_INFO_V1(dunning_escalate_note);
Datum
dunning_escalate_note(PG_FUNCTION_ARGS)
{
	Verdict		v;
	StringInfoData s;

	if (!escalation_args(fcinfo, &v))
		PG_RETURN_NULL();
	initStringInfo(&s);
	append_verdict_note(&s, &v);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(s.data, s.len));
}

/* text argument k equals the C string s (false for NULL); proposal.c too */
bool
dunning_arg_is(FunctionCallInfo fcinfo, int k, const char *s)
{
	text	   *t;
	size_t		len = strlen(s);

	if (PG_ARGISNULL(k))
		return false;
	t = PG_GETARG_TEXT_PP(k);
	return VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), s, len) == 0;
}

/* text argument k as format('%s') writes it: nothing for NULL */
static void
append_text_arg(StringInfo s, FunctionCallInfo fcinfo, int k)
{
	if (!PG_ARGISNULL(k))
	{
		text	   *t = PG_GETARG_TEXT_PP(k);

		appendBinaryStringInfo(s, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	}
}

/* the arguments of _item_note after _escalate_note's five */
enum
{
	NOTE_REASON = 5, NOTE_HOLD, NOTE_STATUS, NOTE_SOURCE, NOTE_METHOD, NOTE_DUN_LEVEL,
	NOTE_CUSTOMER_LAST, NOTE_NARGS
};

/*
 * dunning._item_note(policy_id, days, level, last_reminded_on, as_of,
 * reason, hold, status, source, payment_method, dun_level, customer_last)
 * RETURNS text: item_status's explanation of a reason code, for every code
 * but customer_blocked and below_min_balance (which item_status words
 * itself: they read the customer and the letter).  A reason that is not an
 * item's own (a level, or none) is the verdict's sentence, as
 * _escalate_note says it.  The sentences are those of 0.5.0's CASE, with
 * format('%s') of each value: nothing for a NULL, a date as DateStyle
 * writes it.  One C call per item, where 0.5.0 compared the reason with
 * each code in turn.
 */
PG_FUNCTION_INFO_V1(dunning_item_note);
Datum
dunning_item_note(PG_FUNCTION_ARGS)
{
	StringInfoData s;
	Verdict		v;

	if (PG_NARGS() != NOTE_NARGS)
		elog(ERROR, "dunning._item_note takes %d arguments", NOTE_NARGS);
	initStringInfo(&s);
	if (dunning_arg_is(fcinfo, NOTE_REASON, "excluded") && !PG_ARGISNULL(NOTE_HOLD))
		appendStringInfoString(&s, "the item is marked excluded");
	else if (dunning_arg_is(fcinfo, NOTE_REASON, "source_excluded") ||
			 dunning_arg_is(fcinfo, NOTE_REASON, "method_excluded"))
	{
		bool		source = dunning_arg_is(fcinfo, NOTE_REASON, "source_excluded");

		appendStringInfoString(&s, source ? "source " : "payment method ");
		append_text_arg(&s, fcinfo, source ? NOTE_SOURCE : NOTE_METHOD);
		appendStringInfoString(&s, " is excluded by policy ");
		append_text_arg(&s, fcinfo, 0);
	}
	else if (dunning_arg_is(fcinfo, NOTE_REASON, "disputed"))
		appendStringInfoString(&s, "the item is disputed");
	else if (dunning_arg_is(fcinfo, NOTE_REASON, "blocked"))
		appendStringInfoString(&s, dunning_arg_is(fcinfo, NOTE_STATUS, "litigation")
							   ? "the item is in litigation" : "the item is blocked");
	else if (dunning_arg_is(fcinfo, NOTE_REASON, "promise"))
		appendStringInfoString(&s, "an open promise to pay covers the item");
	else if (dunning_arg_is(fcinfo, NOTE_REASON, "payment_plan"))
		appendStringInfoString(&s, "a payment plan with no missed installment covers the item");
	else if (dunning_arg_is(fcinfo, NOTE_REASON, "customer_interval"))
	{
		const Policy *p = PG_ARGISNULL(0) ? NULL : find_policy(get_cache(fcinfo), PG_GETARG_TEXT_PP(0));

		appendStringInfoString(&s, "level ");
		if (!PG_ARGISNULL(NOTE_DUN_LEVEL))
			appendStringInfo(&s, "%d", PG_GETARG_INT32(NOTE_DUN_LEVEL));
		appendStringInfoString(&s, " is due, but the customer was reminded on ");
		if (!PG_ARGISNULL(NOTE_CUSTOMER_LAST))
			appendStringInfoString(&s, DatumGetCString(DirectFunctionCall1(date_out,
																		   PG_GETARG_DATUM(NOTE_CUSTOMER_LAST))));
		appendStringInfoString(&s, "; policy ");
		append_text_arg(&s, fcinfo, 0);
		appendStringInfoString(&s, " waits ");
		if (p != NULL)
			appendStringInfo(&s, "%d", Max(p->terms.min_interval_days, 1));
		appendStringInfoString(&s, " days between letters");
	}
	else
	{
		if (!escalation_args(fcinfo, &v))
			PG_RETURN_NULL();
		append_verdict_note(&s, &v);
	}
	PG_RETURN_TEXT_P(cstring_to_text_with_len(s.data, s.len));
}

/*
 * dunning._blocked_note(customer_id) RETURNS text: item_status's sentence
 * for a customer blocked, with the date and the reason of the block as
 * format('%s') writes them.  A read of the customer's row by key: in C,
 * because on a distributed ledger item_status runs on the shards, where
 * Citus refuses an SQL function's query of a distributed table; the read
 * here is one of the nested reads distribute.c allows (the customer's row
 * is on the node that runs the query).  No such customer: NULL.
 */
static SPIPlanPtr blocked_note_plan;

PG_FUNCTION_INFO_V1(dunning_blocked_note);
Datum
dunning_blocked_note(PG_FUNCTION_ARGS)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1];
	int			nested;
	text	   *result = NULL;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	args[0] = PG_GETARG_DATUM(0);
	nested = dunning_nested_reads_begin();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_plan(dunning_saved_plan(&blocked_note_plan,
											"SELECT pg_catalog.format('the customer is blocked until %s%s', "
											"c.blocked_until, ': ' OPERATOR(pg_catalog.||) c.block_reason) "
											"FROM " DUNNING_SCHEMA ".customer c "
											"WHERE c.customer_id OPERATOR(pg_catalog.=) $1",
											1, types),
						 args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "the block of a customer could not be read");
	if (SPI_processed > 0)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		/* copied out of SPI's memory before it is released */
		if (!isnull)
			result = (text *) SPI_datumTransfer(d, false, -1);
	}
	SPI_finish();
	dunning_nested_reads_end(nested);
	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(result);
}

/*
 * The level lv of the policy of that id, or an error naming them.
 */
static const Level *
find_level_in(EscalationCache *cache, text *id, int32 lv, const Policy **policy)
{
	const Policy *p;
	int			i;

	p = find_policy(cache, id);
	if (p == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown policy \"%s\"", text_to_cstring(id)),
				 errdetail("Table dunning.policy has no such policy_id.")));
	*policy = p;
	for (i = 0; i < p->nlevels; i++)
		if (p->levels[i].level == lv)
			return &p->levels[i];
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("policy %s has no level %d", p->policy_id, lv),
			 errdetail("Table dunning.level has no row (%s, %d).", p->policy_id, lv)));
	return NULL;				/* not reached */
}

/* the same for the arguments (policy_id, level) of a function */
static const Level *
find_level(FunctionCallInfo fcinfo, const Policy **policy)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("policy and level must not be null"),
				 errdetail("A level is looked up by policy and level number.")));
	return find_level_in(get_cache(fcinfo), PG_GETARG_TEXT_PP(0), PG_GETARG_INT32(1), policy);
}

/* the terms of a policy for src/proposal.c (NULL: no such policy) */
const DunningPolicyTerms *
dunning_policy_terms(void **slot, MemoryContext cxt, text *policy_id)
{
	const Policy *p = find_policy(get_cache_in(slot, cxt), policy_id);

	return p ? &p->terms : NULL;
}

/* _level_interest for src/proposal.c, with the policies cached in *slot */
bool
dunning_level_charges_interest(void **slot, MemoryContext cxt, text *policy_id, int32 level)
{
	const Policy *p;

	return find_level_in(get_cache_in(slot, cxt), policy_id, level, &p)->interest;
}

/*
 * The channel and template of a level's letter for src/proposal.c, or an
 * error naming the level: the template is dunning._level_template's, read
 * with the levels (the level's, else 'final' for a final level, else
 * level_1, level_2 or level_3), the rule issuing and the printed letter use.
 */
void
dunning_level_letter(void **slot, MemoryContext cxt, text *policy_id, int32 level,
					 const char **channel, const char **template)
{
	const Policy *p;
	const Level *l = find_level_in(get_cache_in(slot, cxt), policy_id, level, &p);

	*channel = l->channel;
	*template = l->template;
}

/*
 * dunning._level_interest(policy_id text, level integer): does the level
 * charge late interest?  No level (NULL): no.
 */
PG_FUNCTION_INFO_V1(dunning_level_interest);
Datum
dunning_level_interest(PG_FUNCTION_ARGS)
{
	const Policy *p;

	/* an item a letter only lists is charged nothing */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(find_level(fcinfo, &p)->interest);
}

/*
 * The minimum (which = 0) or fee (which = 1) of a level in a currency, NULL
 * when one of them is NULL: the
 * level_amount row for that currency, else the level's own values when the
 * currency is the policy's, else an error naming the three.
 */
/* a level's minimum (which 0) or fee (1) in a currency, or an error */
static Datum
level_amount_in(const Policy *p, const Level *l, const char *cur, int which)
{
	int			i;

	for (i = 0; i < l->namounts; i++)
		if (strcmp(l->amounts[i].currency, cur) == 0)
			return which == 0 ? l->amounts[i].min_amount : l->amounts[i].fee;
	if (strcmp(p->currency, cur) == 0)
		return which == 0 ? l->min_amount : l->fee;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("policy %s has no amounts for level %d in %s", p->policy_id, l->level, cur),
			 errdetail("The policy's amounts are in %s; a letter in %s needs its minimum and fee.",
					   p->currency, cur),
			 errhint("Add a row to dunning.level_amount: ('%s', %d, '%s', min_amount, fee).",
					 p->policy_id, l->level, cur)));
	return (Datum) 0;			/* not reached */
}

static Datum
level_amount(FunctionCallInfo fcinfo, int which)
{
	const Policy *p;
	const Level *l;

	/* no letter level (the customer has nothing to remind): no amount */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	l = find_level(fcinfo, &p);
	PG_RETURN_DATUM(level_amount_in(p, l, text_to_cstring(PG_GETARG_TEXT_PP(2)), which));
}

/* _level_min (which 0) or _level_fee (1) for src/proposal.c */
Datum
dunning_level_amount(void **slot, MemoryContext cxt, text *policy_id, int32 level,
					 text *currency, int which)
{
	const Policy *p;
	const Level *l = find_level_in(get_cache_in(slot, cxt), policy_id, level, &p);

	return level_amount_in(p, l, text_to_cstring(currency), which);
}

/*
 * dunning._level_min(policy_id text, level integer, currency text)
 */
PG_FUNCTION_INFO_V1(dunning_level_min);
Datum
dunning_level_min(PG_FUNCTION_ARGS)
{
	return level_amount(fcinfo, 0);
}

/*
 * dunning._level_fee(policy_id text, level integer, currency text)
 */
PG_FUNCTION_INFO_V1(dunning_level_fee);
Datum
dunning_level_fee(PG_FUNCTION_ARGS)
{
	return level_amount(fcinfo, 1);
}
