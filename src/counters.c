/*
 * counters.c
 *		Reminder counters (README "Concepts", "Counters"): entry.reminder_count,
 *		last_reminded_on and level, and the same three columns of customer,
 *		kept by triggers on reminder and reminder_line.
 *
 * Every trigger touches only rows of the same customer_id, so the tables can
 * be distributed by customer.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/array.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"

#include "dunning.h"

#include "triggers.h"

/*
 * Reminder counters (README "Concepts", "Counters")
 *
 * entry.reminder_count, last_reminded_on and level, and the same three
 * columns of customer, say what the non-cancelled reminders say:
 *
 *	reminder_count		how many (an entry: how many lines dunned it)
 *	last_reminded_on	the latest as_of
 *	level				the highest level among those of that latest date
 *	compensated			(an entry) whether a line charged it the flat
 *						compensation, which is charged once
 *
 * A new reminder or line moves the counters by one step; a cancelled,
 * changed or deleted one makes them counted again from the reminders, so
 * an undo is exact whatever the order of events.
 */

/*
 * Do counters (alias t) differ from a recount (alias s)?  Written with
 * pg_catalog's operators: IS DISTINCT FROM would look "=" up through the
 * caller's search_path.
 */
#define COUNTERS_DIFFER(t) \
	"(" t ".reminder_count OPERATOR(pg_catalog.<>) s.n " \
	"OR " t ".level OPERATOR(pg_catalog.<>) s.lvl " \
	"OR (" t ".last_reminded_on IS NULL) OPERATOR(pg_catalog.<>) (s.last IS NULL) " \
	"OR " t ".last_reminded_on OPERATOR(pg_catalog.<>) s.last)"
/* an entry's, which also has compensated (s.comp) */
#define ENTRY_COUNTERS_DIFFER(t) \
	"(" COUNTERS_DIFFER(t) " OR " t ".compensated OPERATOR(pg_catalog.<>) s.comp)"
/* whether the lines l charged the compensation */
#define LINES_COMPENSATED(l) \
	"coalesce(pg_catalog.bool_or(" l ".compensation OPERATOR(pg_catalog.>) 0), false)"

/* the level of the latest reminders: max of [days since 2000, level] */
#define LATEST_LEVEL(asof, lvl) \
	"coalesce((pg_catalog.max(ARRAY[" asof " OPERATOR(pg_catalog.-) '2000-01-01'::pg_catalog.date, " lvl "]) " \
	"FILTER (WHERE " asof " IS NOT NULL))[2], 0)"

/*
 * New reminders and lines are counted in sets: each row trigger notes its
 * row, and the statement trigger that follows (AFTER INSERT ... FOR EACH
 * STATEMENT, fired once the statement's row triggers have run) applies the
 * notes in one UPDATE.  A statement of 100,000 lines then costs one UPDATE,
 * not 100,000 (each of which re-checks the table's constraints).
 *
 * The notes live in TopTransactionContext.  Each note carries the
 * subtransaction that made it.  Subtransaction ids only grow within a
 * transaction, so the notes made since a subtransaction began are the
 * list's tail of ids at least its own: when it rolls back (a savepoint, an
 * EXCEPTION block, a user's trigger that traps an error), that tail and
 * nothing else is dropped; when it is released, its notes stay, now its
 * parent's work.  A statement trigger takes the same tail, the notes of its
 * own subtransaction and those below it, so a statement nested in a
 * subtransaction never applies, and then loses with it, the notes of the
 * statement around it.  A transaction's end drops them all.
 */
typedef struct Pending
{
	int			n;
	int			size;
	Datum	   *customer;		/* text */
	Datum	   *id;				/* reminder_id (lines) or as_of (reminders) */
	Datum	   *entry;			/* entry_id (lines) */
	Datum	   *level;			/* int4 */
	Datum	   *comp;			/* bool: a line that charged the compensation */
	SubTransactionId *subid;	/* the subtransaction that noted it */
} Pending;

static Pending pending_lines;
static Pending pending_reminders;
static bool pending_callbacks = false;

static void
pending_reset(void)
{
	memset(&pending_lines, 0, sizeof(Pending));
	memset(&pending_reminders, 0, sizeof(Pending));
}

static void
pending_xact_callback(XactEvent event, void *arg)
{
	/* TopTransactionContext goes at the end of every transaction */
	pending_reset();
}

/*
 * Where the notes of a subtransaction and of those it began start: the
 * list's tail of subtransaction ids at least subid.
 */
static int
pending_since(Pending *p, SubTransactionId subid)
{
	int			k = p->n;

	while (k > 0 && p->subid[k - 1] >= subid)
		k--;
	return k;
}

static void
pending_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	/* a rolled-back subtransaction takes back its own notes, no other */
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		pending_lines.n = pending_since(&pending_lines, mySubid);
		pending_reminders.n = pending_since(&pending_reminders, mySubid);
	}
}

/*
 * Note a row: its customer (copied), an id, an entry id, a level and
 * whether it charged the compensation (a line).
 */
static void
pending_add(Pending *p, Datum customer, Datum id, Datum entry, Datum level, bool comp)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

	if (!pending_callbacks)
	{
		RegisterXactCallback(pending_xact_callback, NULL);
		RegisterSubXactCallback(pending_subxact_callback, NULL);
		pending_callbacks = true;
	}
	if (p->n == p->size)
	{
		int			size = p->size == 0 ? 1024 : p->size * 2;

		if (p->size == 0)
		{
			p->customer = palloc(sizeof(Datum) * size);
			p->id = palloc(sizeof(Datum) * size);
			p->entry = palloc(sizeof(Datum) * size);
			p->level = palloc(sizeof(Datum) * size);
			p->comp = palloc(sizeof(Datum) * size);
			p->subid = palloc(sizeof(SubTransactionId) * size);
		}
		else
		{
			p->customer = repalloc_huge(p->customer, sizeof(Datum) * size);
			p->id = repalloc_huge(p->id, sizeof(Datum) * size);
			p->entry = repalloc_huge(p->entry, sizeof(Datum) * size);
			p->level = repalloc_huge(p->level, sizeof(Datum) * size);
			p->comp = repalloc_huge(p->comp, sizeof(Datum) * size);
			p->subid = repalloc_huge(p->subid, sizeof(SubTransactionId) * size);
		}
		p->size = size;
	}
	p->customer[p->n] = datumCopy(customer, false, -1);
	p->id[p->n] = id;			/* int8 and date are passed by value */
	p->entry[p->n] = entry;
	p->level[p->n] = level;
	p->comp[p->n] = BoolGetDatum(comp);
	p->subid[p->n] = GetCurrentSubTransactionId();
	p->n++;
	MemoryContextSwitchTo(old);
}

static Datum
pending_array(Datum *values, int n, Oid type)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array(values, n, type, typlen, typbyval, typalign));
}

/*
 * Did a reminder line charge the compensation (compensation > 0)?
 */
static bool
line_compensated(HeapTuple tuple, TupleDesc tupdesc)
{
	bool		isnull;
	Datum		v = heap_getattr(tuple, dunning_column_number(tupdesc, "compensation"), tupdesc, &isnull);

	return !isnull &&
		DatumGetBool(DirectFunctionCall2(numeric_gt, v,
										 DirectFunctionCall1(int4_numeric, Int32GetDatum(0))));
}

/*
 * Is a column's text that value?
 */
static bool
column_is(HeapTuple tuple, TupleDesc tupdesc, const char *col, const char *value)
{
	char	   *v = SPI_getvalue(tuple, tupdesc, dunning_column_number(tupdesc, col));

	return v != NULL && strcmp(v, value) == 0;
}

/*
 * Lock the rows a recount is about to write, in a statement of its own.
 * The recount's UPDATE then runs with a snapshot taken after the lock: when
 * it had to wait for a session that was issuing to the same customer, it
 * counts that session's reminders too.  Without it, an UPDATE that waited
 * wrote the count of its own, older snapshot over the other session's
 * increment (the soak test found a customer's counter one short).
 */
static void
lock_rows(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types, Datum *args)
{
	int			ret;

	if (*plan == NULL)
		*plan = dunning_keep_plan(sql, nargs, types);
	ret = SPI_execute_plan(*plan, args, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %d", ret);
}

/*
 * Count a customer's reminders again.
 */
static void
recount_customer(Datum customer)
{
	static SPIPlanPtr lock = NULL;
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {customer};

	lock_rows(&lock, "SELECT 1 FROM " DUNNING_SCHEMA ".customer c "
			  "WHERE c.customer_id OPERATOR(pg_catalog.=) $1 FOR NO KEY UPDATE",
			  1, types, args);
	dunning_cascade_run(&plan,
				"UPDATE " DUNNING_SCHEMA ".customer c SET reminder_count = s.n, "
				"last_reminded_on = s.last, level = s.lvl "
				"FROM (SELECT pg_catalog.count(r.reminder_id)::integer AS n, "
				"             pg_catalog.max(r.as_of) AS last, "
				LATEST_LEVEL("r.as_of", "r.level") " AS lvl "
				"        FROM " DUNNING_SCHEMA ".reminder r "
				"       WHERE r.customer_id OPERATOR(pg_catalog.=) $1 "
				"         AND r.status OPERATOR(pg_catalog.<>) 'cancelled') s "
				"WHERE c.customer_id OPERATOR(pg_catalog.=) $1 "
				"AND " COUNTERS_DIFFER("c"),
				1, types, args, false, SPI_OK_UPDATE);
}

/*
 * The entries' recounts: one entry ($2), or those a reminder ($2) lists.
 * set_comp, comp_col and differ add compensated where the entry has it.
 */
#define RECOUNT_ENTRY(set_comp, comp_col, differ) \
	"UPDATE " DUNNING_SCHEMA ".entry e SET reminder_count = s.n, " \
	"last_reminded_on = s.last, level = s.lvl" set_comp " " \
	"FROM (SELECT pg_catalog.count(r.reminder_id)::integer AS n, " \
	"             pg_catalog.max(r.as_of) AS last, " \
	LATEST_LEVEL("r.as_of", "l.level") " AS lvl" comp_col " " \
	"        FROM " DUNNING_SCHEMA ".reminder_line l " \
	"        JOIN " DUNNING_SCHEMA ".reminder r " \
	"          ON r.customer_id OPERATOR(pg_catalog.=) l.customer_id " \
	"         AND r.reminder_id OPERATOR(pg_catalog.=) l.reminder_id " \
	"       WHERE l.customer_id OPERATOR(pg_catalog.=) $1 " \
	"         AND l.entry_id OPERATOR(pg_catalog.=) $2 AND l.dunned " \
	"         AND r.status OPERATOR(pg_catalog.<>) 'cancelled') s " \
	"WHERE e.customer_id OPERATOR(pg_catalog.=) $1 " \
	"AND e.entry_id OPERATOR(pg_catalog.=) $2 " \
	"AND " differ
#define RECOUNT_REMINDER(set_comp, comp_col, differ) \
	"UPDATE " DUNNING_SCHEMA ".entry e SET reminder_count = s.n, " \
	"last_reminded_on = s.last, level = s.lvl" set_comp " " \
	"FROM (SELECT t.entry_id, pg_catalog.count(r.reminder_id)::integer AS n, " \
	"             pg_catalog.max(r.as_of) AS last, " \
	LATEST_LEVEL("r.as_of", "l.level") " AS lvl" comp_col " " \
	"        FROM (SELECT DISTINCT x.entry_id FROM " DUNNING_SCHEMA ".reminder_line x " \
	"               WHERE x.customer_id OPERATOR(pg_catalog.=) $1 " \
	"                 AND x.reminder_id OPERATOR(pg_catalog.=) $2) t " \
	"        LEFT JOIN (" DUNNING_SCHEMA ".reminder_line l " \
	"                   JOIN " DUNNING_SCHEMA ".reminder r " \
	"                     ON r.customer_id OPERATOR(pg_catalog.=) l.customer_id " \
	"                    AND r.reminder_id OPERATOR(pg_catalog.=) l.reminder_id " \
	"                    AND r.status OPERATOR(pg_catalog.<>) 'cancelled') " \
	"          ON l.customer_id OPERATOR(pg_catalog.=) $1 " \
	"         AND l.entry_id OPERATOR(pg_catalog.=) t.entry_id AND l.dunned " \
	"       GROUP BY t.entry_id) s " \
	"WHERE e.customer_id OPERATOR(pg_catalog.=) $1 " \
	"AND e.entry_id OPERATOR(pg_catalog.=) s.entry_id " \
	"AND " differ

/*
 * Does dunning.entry have compensated?  Not in a 0.5.0 database whose
 * library is already 1.0.0's (between make install and ALTER EXTENSION
 * UPDATE): its counters are kept without it until the update, which counts
 * it.
 */
static int
entry_keeps_compensated(void)
{
	Oid			nsp = get_namespace_oid(DUNNING_SCHEMA, true);
	Oid			rel = OidIsValid(nsp) ? get_relname_relid("entry", nsp) : InvalidOid;

	return OidIsValid(rel) && get_attnum(rel, "compensated") != InvalidAttrNumber;
}

/*
 * Count again the entries of a customer that a reminder lists (entry_id
 * NULL), or one entry.
 */
static void
recount_entries(Datum customer, Datum reminder_id, Datum entry_id, bool one)
{
	static SPIPlanPtr reminder_plan[2];
	static SPIPlanPtr entry_plan[2];
	Oid			types[2] = {TEXTOID, INT8OID};
	Datum		args[2] = {customer, one ? entry_id : reminder_id};
	int			comp = entry_keeps_compensated();
	static SPIPlanPtr entry_lock = NULL;
	static SPIPlanPtr reminder_lock = NULL;

	lock_rows(one ? &entry_lock : &reminder_lock,
			  one ?
			  "SELECT 1 FROM " DUNNING_SCHEMA ".entry e "
			  "WHERE e.customer_id OPERATOR(pg_catalog.=) $1 AND e.entry_id OPERATOR(pg_catalog.=) $2 "
			  "FOR NO KEY UPDATE"
			  :
			  "SELECT 1 FROM " DUNNING_SCHEMA ".entry e "
			  "WHERE e.customer_id OPERATOR(pg_catalog.=) $1 AND e.entry_id OPERATOR(pg_catalog.=) ANY ("
			  "  SELECT x.entry_id FROM " DUNNING_SCHEMA ".reminder_line x "
			  "   WHERE x.customer_id OPERATOR(pg_catalog.=) $1 AND x.reminder_id OPERATOR(pg_catalog.=) $2) "
			  "ORDER BY e.entry_id FOR NO KEY UPDATE",
			  2, types, args);
	dunning_cascade_run(one ? &entry_plan[comp] : &reminder_plan[comp],
				one ?
				(comp ?
				 RECOUNT_ENTRY(", compensated = s.comp", ", " LINES_COMPENSATED("l") " AS comp",
							   ENTRY_COUNTERS_DIFFER("e")) :
				 RECOUNT_ENTRY("", "", COUNTERS_DIFFER("e")))
				:
				(comp ?
				 RECOUNT_REMINDER(", compensated = s.comp", ", " LINES_COMPENSATED("l") " AS comp",
								  ENTRY_COUNTERS_DIFFER("e")) :
				 RECOUNT_REMINDER("", "", COUNTERS_DIFFER("e"))),
				2, types, args, false, SPI_OK_UPDATE);
}

/*
 * dunning.reminder_counters(): AFTER INSERT OR UPDATE OR DELETE on
 * reminder, for each row.  A new reminder moves its customer's counters
 * (noted here, applied by reminder_flush at the end of the statement); a
 * cancelled (or uncancelled), redated, relevelled or deleted one makes
 * the customer's counters, and those of the entries it lists, counted
 * again.
 */
PG_FUNCTION_INFO_V1(dunning_reminder_counters);
Datum
dunning_reminder_counters(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = dunning_trigger_check(fcinfo, "reminder_counters", false, true);
	TupleDesc	tupdesc = trigdata->tg_relation->rd_att;
	HeapTuple	oldtuple = trigdata->tg_trigtuple;
	int			cust_col = dunning_column_number(tupdesc, "customer_id");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		/* counted with the statement's other reminders (reminder_flush) */
		if (!column_is(oldtuple, tupdesc, "status", "cancelled"))
			pending_add(&pending_reminders,
						dunning_column_value(oldtuple, tupdesc, cust_col),
						dunning_column_value(oldtuple, tupdesc, dunning_column_number(tupdesc, "as_of")),
						(Datum) 0,
						dunning_column_value(oldtuple, tupdesc, dunning_column_number(tupdesc, "level")),
						false);
	}
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		HeapTuple	newtuple = trigdata->tg_newtuple;
		bool		was = column_is(oldtuple, tupdesc, "status", "cancelled");
		bool		is = column_is(newtuple, tupdesc, "status", "cancelled");

		if (was != is ||
			!dunning_column_unchanged(oldtuple, newtuple, tupdesc, "customer_id") ||
			!dunning_column_unchanged(oldtuple, newtuple, tupdesc, "as_of") ||
			!dunning_column_unchanged(oldtuple, newtuple, tupdesc, "level"))
		{
			Datum		id = dunning_column_value(newtuple, tupdesc, dunning_column_number(tupdesc, "reminder_id"));

			recount_customer(dunning_column_value(oldtuple, tupdesc, cust_col));
			if (!dunning_column_unchanged(oldtuple, newtuple, tupdesc, "customer_id"))
				recount_customer(dunning_column_value(newtuple, tupdesc, cust_col));
			recount_entries(dunning_column_value(newtuple, tupdesc, cust_col), id, (Datum) 0, false);
		}
	}
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		recount_customer(dunning_column_value(oldtuple, tupdesc, cust_col));
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"reminder_counters\" must be fired for INSERT, UPDATE or DELETE")));
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * dunning.reminder_line_counters(): AFTER INSERT OR UPDATE OR DELETE on
 * reminder_line, for each row.  A new line that dunns its entry moves the
 * entry's counters when its reminder is not cancelled (noted here, applied
 * by reminder_flush at the end of the statement); a changed or deleted line
 * makes the entry counted again.
 */
PG_FUNCTION_INFO_V1(dunning_reminder_line_counters);
Datum
dunning_reminder_line_counters(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = dunning_trigger_check(fcinfo, "reminder_line_counters", false, true);
	TupleDesc	tupdesc = trigdata->tg_relation->rd_att;
	HeapTuple	oldtuple = trigdata->tg_trigtuple;
	int			cust_col = dunning_column_number(tupdesc, "customer_id");
	int			entry_col = dunning_column_number(tupdesc, "entry_id");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		/* counted with the statement's other lines (reminder_flush) */
		if (DatumGetBool(dunning_column_value(oldtuple, tupdesc, dunning_column_number(tupdesc, "dunned"))))
			pending_add(&pending_lines,
						dunning_column_value(oldtuple, tupdesc, cust_col),
						dunning_column_value(oldtuple, tupdesc, dunning_column_number(tupdesc, "reminder_id")),
						dunning_column_value(oldtuple, tupdesc, entry_col),
						dunning_column_value(oldtuple, tupdesc, dunning_column_number(tupdesc, "level")),
						line_compensated(oldtuple, tupdesc));
	}
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ||
			 TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		recount_entries(dunning_column_value(oldtuple, tupdesc, cust_col), (Datum) 0,
						dunning_column_value(oldtuple, tupdesc, entry_col), true);
		if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		{
			HeapTuple	newtuple = trigdata->tg_newtuple;

			if (!dunning_column_unchanged(oldtuple, newtuple, tupdesc, "customer_id") ||
				!dunning_column_unchanged(oldtuple, newtuple, tupdesc, "entry_id"))
				recount_entries(dunning_column_value(newtuple, tupdesc, cust_col), (Datum) 0,
								dunning_column_value(newtuple, tupdesc, entry_col), true);
		}
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"reminder_line_counters\" must be fired for INSERT, UPDATE or DELETE")));
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * The entries' counts of new lines $1 to $4 (and $5, whether each charged
 * the compensation, where the entry has compensated) on the entry table %s,
 * with their reminders in %s.
 */
#define FLUSH_ENTRIES(set_comp, comp_col, comp_unnest, comp_alias) \
	"UPDATE %s e SET " \
	"reminder_count = e.reminder_count OPERATOR(pg_catalog.+) s.n, " \
	"last_reminded_on = greatest(e.last_reminded_on, s.last), " \
	"level = CASE WHEN e.last_reminded_on IS NULL " \
	"               OR s.last OPERATOR(pg_catalog.>) e.last_reminded_on THEN s.lvl " \
	"             WHEN s.last OPERATOR(pg_catalog.=) e.last_reminded_on " \
	"             THEN greatest(e.level, s.lvl) ELSE e.level END" set_comp " " \
	"FROM (SELECT l.customer_id, l.entry_id, pg_catalog.count(*)::integer AS n, " \
	"             pg_catalog.max(r.as_of) AS last, " \
	LATEST_LEVEL("r.as_of", "l.level") " AS lvl" comp_col " " \
	"        FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), " \
	"                        pg_catalog.unnest($3), pg_catalog.unnest($4)" comp_unnest ") " \
	"             l(customer_id, reminder_id, entry_id, level" comp_alias ") " \
	"        JOIN %s r " \
	"          ON r.customer_id OPERATOR(pg_catalog.=) l.customer_id " \
	"         AND r.reminder_id OPERATOR(pg_catalog.=) l.reminder_id " \
	"       WHERE r.status OPERATOR(pg_catalog.<>) 'cancelled' " \
	"       GROUP BY l.customer_id, l.entry_id) s " \
	"WHERE e.customer_id OPERATOR(pg_catalog.=) s.customer_id " \
	"AND e.entry_id OPERATOR(pg_catalog.=) s.entry_id"

/*
 * dunning.reminder_flush(): AFTER INSERT on reminder (argument 'customer')
 * or reminder_line ('entry'), for each statement.  Applies the counts the
 * row triggers noted: the customers' counters for new reminders, the
 * entries' for new lines (whose reminder is not cancelled).  On a shard,
 * they go to the co-located shards (dunning_trigger_place).
 */
PG_FUNCTION_INFO_V1(dunning_reminder_flush);
Datum
dunning_reminder_flush(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr customer_plan = NULL;
	static SPIPlanPtr entry_plan[2];
	TriggerData *trigdata = dunning_trigger_check(fcinfo, "reminder_flush", false, false);
	bool		customers;
	int			comp;
	Pending    *p;
	int			first;
	int			n;
	DunningPlace place;
	char	   *target;
	char	   *reminders;

	if (!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || trigdata->tg_trigger->tgnargs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"reminder_flush\" must be fired for INSERT with one argument")));
	customers = strcmp(trigdata->tg_trigger->tgargs[0], "customer") == 0;
	p = customers ? &pending_reminders : &pending_lines;
	first = pending_since(p, GetCurrentSubTransactionId());
	n = p->n - first;
	if (n == 0)
		return PointerGetDatum(NULL);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (customers)
	{
		Oid			types[3] = {TEXTARRAYOID, DATEARRAYOID, INT4ARRAYOID};
		Datum		args[3];

		args[0] = pending_array(p->customer + first, n, TEXTOID);
		args[1] = pending_array(p->id + first, n, DATEOID);
		args[2] = pending_array(p->level + first, n, INT4OID);
		/* taken: a statement nested in the UPDATE starts its own tail */
		p->n = first;
		place = dunning_trigger_place(trigdata->tg_relation, "reminder", "customer", &target);
		dunning_placed_run(&customer_plan, place,
					"UPDATE %s c SET "
					"reminder_count = c.reminder_count OPERATOR(pg_catalog.+) s.n, "
					"last_reminded_on = greatest(c.last_reminded_on, s.last), "
					"level = CASE WHEN c.last_reminded_on IS NULL "
					"               OR s.last OPERATOR(pg_catalog.>) c.last_reminded_on THEN s.lvl "
					"             WHEN s.last OPERATOR(pg_catalog.=) c.last_reminded_on "
					"             THEN greatest(c.level, s.lvl) ELSE c.level END "
					"FROM (SELECT r.customer_id, pg_catalog.count(*)::integer AS n, "
					"             pg_catalog.max(r.as_of) AS last, "
					LATEST_LEVEL("r.as_of", "r.level") " AS lvl "
					"        FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
					"                        pg_catalog.unnest($3)) r(customer_id, as_of, level) "
					"       GROUP BY r.customer_id) s "
					"WHERE c.customer_id OPERATOR(pg_catalog.=) s.customer_id",
					target, NULL, 3, types, args, SPI_OK_UPDATE);
	}
	else
	{
		Oid			types[5] = {TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT4ARRAYOID, BOOLARRAYOID};
		Datum		args[5];

		args[0] = pending_array(p->customer + first, n, TEXTOID);
		args[1] = pending_array(p->id + first, n, INT8OID);
		args[2] = pending_array(p->entry + first, n, INT8OID);
		args[3] = pending_array(p->level + first, n, INT4OID);
		args[4] = pending_array(p->comp + first, n, BOOLOID);
		p->n = first;
		place = dunning_trigger_place(trigdata->tg_relation, "reminder_line", "entry", &target);
		if (place == DUNNING_SHARD)
			(void) dunning_trigger_place(trigdata->tg_relation, "reminder_line", "reminder", &reminders);
		else
			reminders = DUNNING_SCHEMA ".reminder";
		comp = entry_keeps_compensated();
		dunning_placed_run(&entry_plan[comp], place,
						   comp ?
						   FLUSH_ENTRIES(", compensated = e.compensated OR s.comp",
										 ", pg_catalog.bool_or(l.comp) AS comp",
										 ", pg_catalog.unnest($5)", ", comp") :
						   FLUSH_ENTRIES("", "", "", ""),
						   target, reminders, 5, types, args, SPI_OK_UPDATE);
	}
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * dunning.reminder_truncated(): AFTER TRUNCATE on reminder (argument
 * 'customer') or reminder_line ('entry'): no reminder left, no counter.
 */
PG_FUNCTION_INFO_V1(dunning_reminder_truncated);
Datum
dunning_reminder_truncated(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr customer_plan = NULL;
	static SPIPlanPtr entry_plan[2];
	TriggerData *trigdata = dunning_trigger_check(fcinfo, "reminder_truncated", false, false);
	bool		customers;
	DunningPlace place;
	char	   *target;

	if (!TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event) || trigdata->tg_trigger->tgnargs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"reminder_truncated\" must be fired for TRUNCATE with one argument")));
	customers = strcmp(trigdata->tg_trigger->tgargs[0], "customer") == 0;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	place = dunning_trigger_place(trigdata->tg_relation,
								   customers ? "reminder" : "reminder_line",
								   customers ? "customer" : "entry", &target);
	dunning_placed_run(customers ? &customer_plan : &entry_plan[entry_keeps_compensated()], place,
					   customers ?
					   "UPDATE %s SET reminder_count = 0, "
					   "last_reminded_on = NULL, level = 0 "
					   "WHERE reminder_count OPERATOR(pg_catalog.<>) 0 "
					   "OR last_reminded_on IS NOT NULL OR level OPERATOR(pg_catalog.<>) 0"
					   : !entry_keeps_compensated() ?
					   "UPDATE %s SET reminder_count = 0, "
					   "last_reminded_on = NULL, level = 0 "
					   "WHERE reminder_count OPERATOR(pg_catalog.<>) 0 "
					   "OR last_reminded_on IS NOT NULL OR level OPERATOR(pg_catalog.<>) 0"
					   :
					   "UPDATE %s SET reminder_count = 0, "
					   "last_reminded_on = NULL, level = 0, compensated = false "
					   "WHERE reminder_count OPERATOR(pg_catalog.<>) 0 "
					   "OR last_reminded_on IS NOT NULL OR level OPERATOR(pg_catalog.<>) 0 "
					   "OR compensated",
					   target, NULL, 0, NULL, NULL, SPI_OK_UPDATE);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * dunning.customer_counters(): BEFORE INSERT OR UPDATE on customer.  A new
 * customer was never reminded; an update keeps the counters the reminders
 * give it.
 */
PG_FUNCTION_INFO_V1(dunning_customer_counters);
Datum
dunning_customer_counters(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = dunning_trigger_check(fcinfo, "customer_counters", true, true);
	TupleDesc	tupdesc = trigdata->tg_relation->rd_att;
	int			cols[3];
	Datum		vals[3] = {Int32GetDatum(0), 0, Int32GetDatum(0)};
	bool		nulls[3] = {false, true, false};
	HeapTuple	newtuple;
	int			i;

	if (dunning_maintaining && TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		return PointerGetDatum(trigdata->tg_newtuple);
	cols[0] = dunning_column_number(tupdesc, "reminder_count");
	cols[1] = dunning_column_number(tupdesc, "last_reminded_on");
	cols[2] = dunning_column_number(tupdesc, "level");
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		newtuple = trigdata->tg_trigtuple;
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		newtuple = trigdata->tg_newtuple;
		for (i = 0; i < 3; i++)
			vals[i] = heap_getattr(trigdata->tg_trigtuple, cols[i], tupdesc, &nulls[i]);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"customer_counters\" must be fired for INSERT or UPDATE")));
	return PointerGetDatum(heap_modify_tuple_by_cols(newtuple, tupdesc, 3, cols, vals, nulls));
}
