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

