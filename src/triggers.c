/*
 * triggers.c
 *		What the C triggers of dunning share: the check of how a trigger was
 *		fired, column access, kept plans, and the writes of maintained
 *		columns (src/allocation.c for open amounts, src/counters.c for
 *		reminder counters).
 *
 * Every trigger touches only rows of the same customer_id, so the tables can
 * be distributed by customer.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/numeric.h"
#include "utils/rel.h"

#include "dunning.h"
#include "triggers.h"

/*
 * True while our own triggers write maintained columns (entry.open_amount,
 * the reminder counters): the BEFORE triggers that protect them let the
 * write through.
 */
bool		dunning_maintaining = false;

/*
 * True while the lettering engine writes allocations and entries in bulk:
 * it keeps open amounts and codes itself, so the row triggers stand aside.
 */
bool		dunning_bulk_writes = false;

/*
 * The trigger data of a call, or an error if the trigger manager did not
 * make it.
 */
TriggerData *
dunning_trigger_data(FunctionCallInfo fcinfo, const char *name)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by the trigger manager", name)));
	return (TriggerData *) fcinfo->context;
}

/*
 * Check that a trigger function is fired the way it was declared.
 */
TriggerData *
dunning_trigger_check(FunctionCallInfo fcinfo, const char *name, bool before, bool row)
{
	TriggerData *trigdata = dunning_trigger_data(fcinfo, name);

	if ((before && !TRIGGER_FIRED_BEFORE(trigdata->tg_event)) ||
		(!before && !TRIGGER_FIRED_AFTER(trigdata->tg_event)) ||
		(row && !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event)) ||
		(!row && !TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired %s %s", name,
						before ? "BEFORE" : "AFTER",
						row ? "FOR EACH ROW" : "FOR EACH STATEMENT")));
	return trigdata;
}

/*
 * Attribute number of a column, or an error naming it.
 */
int
dunning_column_number(TupleDesc tupdesc, const char *col)
{
	int			attnum = SPI_fnumber(tupdesc, col);

	if (attnum <= 0)
		elog(ERROR, "column \"%s\" not found", col);
	return attnum;
}

/*
 * Value of a column that must not be NULL (table constraints ensure it).
 */
Datum
dunning_column_value(HeapTuple tuple, TupleDesc tupdesc, int attnum)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, attnum, tupdesc, &isnull);

	if (isnull)
		elog(ERROR, "column %d is null", attnum);
	return d;
}

/*
 * Are two values of a column equal, both NULL counting as equal?
 */
bool
dunning_column_unchanged(HeapTuple a, HeapTuple b, TupleDesc tupdesc, const char *col)
{
	int			attnum = dunning_column_number(tupdesc, col);
	Form_pg_attribute att = TupleDescAttr(tupdesc, attnum - 1);
	bool		anull,
				bnull;
	Datum		ad = heap_getattr(a, attnum, tupdesc, &anull);
	Datum		bd = heap_getattr(b, attnum, tupdesc, &bnull);

	if (anull || bnull)
		return anull == bnull;
	if (att->atttypid == NUMERICOID)
		return dunning_numeric_equal(ad, bd);
	return datumIsEqual(ad, bd, att->attbyval, att->attlen);
}

/*
 * Prepare and keep a plan.
 */
SPIPlanPtr
dunning_keep_plan(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

/*
 * Execute a kept plan that writes entry's maintained columns: the entry
 * trigger lets it through, and with `bulk` the allocation triggers stand
 * aside.  Raises unless SPI answers `expected`.
 */
void
dunning_maintained_exec(SPIPlanPtr plan, Datum *args, const char *nulls, bool bulk,
				int expected)
{
	volatile int ret;
	bool		was_maintaining = dunning_maintaining;
	bool		was_bulk = dunning_bulk_writes;

	dunning_maintaining = true;
	dunning_bulk_writes = bulk;
	PG_TRY();
	{
		ret = SPI_execute_plan(plan, args, nulls, false, 0);
	}
	PG_FINALLY();
	{
		dunning_maintaining = was_maintaining;
		dunning_bulk_writes = was_bulk;
	}
	PG_END_TRY();
	if (ret != expected)
		elog(ERROR, "SPI_execute_plan failed: %d", ret);
}

/*
 * Run a statement of a cascade with its parameters; with `bulk` the row
 * triggers of allocation stand aside and entry's maintained columns may be
 * written.
 */
void
dunning_cascade_run(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types,
			Datum *args, bool bulk, int expected)
{
	if (*plan == NULL)
		*plan = dunning_keep_plan(sql, nargs, types);
	dunning_maintained_exec(*plan, args, NULL, bulk, expected);
}


/*
 * Where a trigger of dunning.<table> runs, and the name of the table
 * dunning.<other> it reads or writes there (*target).
 *
 * On one server: the trigger of the table itself, on dunning.<other>.
 * Distributed by Citus (dunning.distribute()), Citus writes (and
 * truncates) each shard on the node that holds it, and the shard's copy of
 * the trigger runs there: it works on the co-located shard of <other>,
 * which holds the same customers, so what it keeps never leaves the node
 * (a statement of several customers on the distributed table would be a
 * distributed query inside a shard's, which Citus refuses); the trigger of
 * the coordinator's table (DUNNING_SHELL) has nothing to do, as its writes
 * would reach the shards in other backends, whose triggers take them for a
 * user's.  Needs SPI connected.
 */
DunningPlace
dunning_trigger_place(Relation rel, const char *table, const char *other, char **target)
{
	const char *relname = RelationGetRelationName(rel);
	size_t		len = strlen(table);
	const char *digits;
	const char *c;
	int64		shardid;
	Datum		args[3];
	Oid			types[3] = {INT8OID, TEXTOID, TEXTOID};
	Oid			oidtype[1] = {OIDOID};
	bool		isnull;
	int			ret;

	*target = psprintf(DUNNING_SCHEMA ".%s", other);
	if (!OidIsValid(get_extension_oid("citus", true)))
		return DUNNING_SERVER;
	if (strcmp(relname, table) == 0)
	{
		args[0] = ObjectIdGetDatum(RelationGetRelid(rel));
		ret = SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_dist_partition "
									"WHERE logicalrelid OPERATOR(pg_catalog.=) $1",
									1, oidtype, args, NULL, true, 1);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "SPI_execute_with_args failed: %d", ret);
		return SPI_processed > 0 ? DUNNING_SHELL : DUNNING_SERVER;
	}

	/* a shard: the table's name, an underscore and the shard's id */
	if (strncmp(relname, table, len) != 0 || relname[len] != '_' || relname[len + 1] == '\0')
		elog(ERROR, "trigger of dunning.%s fired for relation \"%s\"", table, relname);
	digits = relname + len + 1;
	for (c = digits; *c; c++)
		if (*c < '0' || *c > '9')
			elog(ERROR, "trigger of dunning.%s fired for relation \"%s\"", table, relname);
	shardid = pg_strtoint64(digits);
	args[0] = Int64GetDatum(shardid);
	args[1] = CStringGetTextDatum(psprintf(DUNNING_SCHEMA ".%s", table));
	args[2] = CStringGetTextDatum(*target);
	ret = SPI_execute_with_args("SELECT o.shardid FROM pg_catalog.pg_dist_shard s "
								"JOIN pg_catalog.pg_dist_shard o "
								"  ON o.shardminvalue OPERATOR(pg_catalog.=) s.shardminvalue "
								" AND o.logicalrelid OPERATOR(pg_catalog.=) $3::pg_catalog.regclass "
								"WHERE s.shardid OPERATOR(pg_catalog.=) $1 "
								"AND s.logicalrelid OPERATOR(pg_catalog.=) $2::pg_catalog.regclass",
								3, types, args, NULL, true, 2);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %d", ret);
	if (SPI_processed != 1)
		elog(ERROR, "shard " INT64_FORMAT " of dunning.%s has no co-located shard of dunning.%s",
			 shardid, table, other);
	shardid = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*target = psprintf(DUNNING_SCHEMA ".%s", quote_identifier(psprintf("%s_" INT64_FORMAT, other, shardid)));
	return DUNNING_SHARD;
}

/*
 * Run a trigger's statement where dunning_trigger_place says, its sql
 * written with %s for the tables (t1, then t2 when it names two): on one
 * server by a plan kept in *plan, on a shard by one of its own (the shards'
 * names are in it), on the coordinator's table not at all.
 */
void
dunning_placed_run(SPIPlanPtr *plan, DunningPlace place, const char *sql, const char *t1,
				   const char *t2, int nargs, Oid *types, Datum *args, int expected)
{
	SPIPlanPtr	p;

	if (place == DUNNING_SHELL)
		return;
	if (place == DUNNING_SERVER && *plan != NULL)
		p = *plan;
	else
	{
		p = SPI_prepare(psprintf(sql, t1, t2), nargs, types);
		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (place == DUNNING_SERVER)
		{
			if (SPI_keepplan(p) != 0)
				elog(ERROR, "SPI_keepplan failed");
			*plan = p;
		}
	}
	dunning_maintained_exec(p, args, NULL, false, expected);
	if (place == DUNNING_SHARD)
		SPI_freeplan(p);
}
