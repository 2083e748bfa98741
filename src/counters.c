/*
 * counters.c
 *		Triggers that keep maintained columns equal to what their source
 *		rows say.
 *
 * entry.open_amount follows allocation: a debit's open amount is its amount
 * less what is allocated to it, a credit's its amount plus what is allocated
 * from it.  The triggers here are the only writers of open_amount: a user's
 * UPDATE of it is ignored, and the amount, currency and date of an entry in
 * use by an allocation cannot change.
 *
 * Every trigger touches only rows of the same customer_id, so the tables can
 * be distributed by customer.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
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

/* true while our own triggers write entry.open_amount */
static bool maintaining_open_amount = false;	/* and reminder counters */

/*
 * True while the lettering engine writes allocations and entries in bulk:
 * it keeps open amounts and codes itself, so the row triggers stand aside.
 */
bool		dunning_bulk_writes = false;

static SPIPlanPtr lock_entries_plan = NULL;
static SPIPlanPtr lock_group_plan = NULL;

static HeapTuple allocation_check_row(TupleDesc tupdesc, HeapTuple newtuple);
static SPIPlanPtr apply_plan = NULL;
static SPIPlanPtr check_plan = NULL;
static SPIPlanPtr reset_plan = NULL;

/*
 * The trigger data of a call, or an error if the trigger manager did not
 * make it.
 */
static TriggerData *
trigger_data(FunctionCallInfo fcinfo, const char *name)
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
static TriggerData *
trigger_check(FunctionCallInfo fcinfo, const char *name, bool before, bool row)
{
	TriggerData *trigdata = trigger_data(fcinfo, name);

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
static int
column_number(TupleDesc tupdesc, const char *col)
{
	int			attnum = SPI_fnumber(tupdesc, col);

	if (attnum <= 0)
		elog(ERROR, "column \"%s\" not found", col);
	return attnum;
}

/*
 * Value of a column that must not be NULL (table constraints ensure it).
 */
static Datum
column_value(HeapTuple tuple, TupleDesc tupdesc, int attnum)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, attnum, tupdesc, &isnull);

	if (isnull)
		elog(ERROR, "column %d is null", attnum);
	return d;
}

/*
 * numeric a = b
 */
static inline bool
numeric_equal(Datum a, Datum b)
{
	return DatumGetBool(DirectFunctionCall2(numeric_eq, a, b));
}

/*
 * Text of a numeric, for messages.
 */
static char *
numeric_text(Datum n)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, n));
}

/*
 * Are two values of a column equal, both NULL counting as equal?
 */
static bool
column_unchanged(HeapTuple a, HeapTuple b, TupleDesc tupdesc, const char *col)
{
	int			attnum = column_number(tupdesc, col);
	Form_pg_attribute att = TupleDescAttr(tupdesc, attnum - 1);
	bool		anull,
				bnull;
	Datum		ad = heap_getattr(a, attnum, tupdesc, &anull);
	Datum		bd = heap_getattr(b, attnum, tupdesc, &bnull);

	if (anull || bnull)
		return anull == bnull;
	if (att->atttypid == NUMERICOID)
		return numeric_equal(ad, bd);
	return datumIsEqual(ad, bd, att->attbyval, att->attlen);
}

/*
 * dunning.entry_open_amount(): BEFORE INSERT OR UPDATE on entry.  A new
 * entry is open for its whole amount, in no lettering group and never
 * reminded; an update keeps the open amount, letter code and lettering date
 * the allocations give it and the level, reminder count and last reminder
 * date the reminders give it, and refuses to change an allocated entry's amount, currency,
 * date or keys.
 */
PG_FUNCTION_INFO_V1(dunning_entry_open_amount);
Datum
dunning_entry_open_amount(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_check(fcinfo, "entry_open_amount", true, true);
	TupleDesc	tupdesc = trigdata->tg_relation->rd_att;
	HeapTuple	newtuple;
	int			amount_col;
	Size		i;
	int			cols[6];
	Datum		vals[6] = {0, 0, 0, Int32GetDatum(0), Int32GetDatum(0), 0};
	bool		nulls[6] = {false, true, true, false, false, true};

	/* our own writes of the maintained columns pass as they are */
	if ((maintaining_open_amount || dunning_bulk_writes) &&
		TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		return PointerGetDatum(trigdata->tg_newtuple);

	amount_col = column_number(tupdesc, "amount");
	cols[0] = column_number(tupdesc, "open_amount");
	cols[1] = column_number(tupdesc, "letter_code");
	cols[2] = column_number(tupdesc, "lettered_on");
	cols[3] = column_number(tupdesc, "level");
	cols[4] = column_number(tupdesc, "reminder_count");
	cols[5] = column_number(tupdesc, "last_reminded_on");

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		/* open for the whole amount, in no lettering group */
		newtuple = trigdata->tg_trigtuple;
		vals[0] = column_value(newtuple, tupdesc, amount_col);
	}
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		HeapTuple	oldtuple = trigdata->tg_trigtuple;
		Datum		old_open = column_value(oldtuple, tupdesc, cols[0]);
		Datum		old_amount = column_value(oldtuple, tupdesc, amount_col);

		newtuple = trigdata->tg_newtuple;

		if (!numeric_equal(old_open, old_amount))
		{
			/* allocations use this entry: its money facts are fixed */
			static const char *const fixed[] = {
				"customer_id", "entry_id", "amount", "currency", "doc_date"
			};

			for (i = 0; i < lengthof(fixed); i++)
				if (!column_unchanged(oldtuple, newtuple, tupdesc, fixed[i]))
					ereport(ERROR,
							(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							 errmsg("cannot change %s of an allocated entry", fixed[i]),
							 errdetail("Entry %s of customer %s is used by an allocation (open %s of %s).",
									   SPI_getvalue(oldtuple, tupdesc, column_number(tupdesc, "entry_id")),
									   SPI_getvalue(oldtuple, tupdesc, column_number(tupdesc, "customer_id")),
									   numeric_text(old_open), numeric_text(old_amount)),
							 errhint("Unletter the entry first.")));
			vals[0] = old_open;
		}
		else
			vals[0] = column_value(newtuple, tupdesc, amount_col);
		/*
		 * the lettering columns stay what the allocations made them, the
		 * reminder counters what the reminders made them
		 */
		for (i = 1; i < lengthof(cols); i++)
			vals[i] = heap_getattr(oldtuple, cols[i], tupdesc, &nulls[i]);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"entry_open_amount\" must be fired for INSERT or UPDATE")));

	newtuple = heap_modify_tuple_by_cols(newtuple, tupdesc, lengthof(cols), cols, vals, nulls);
	return PointerGetDatum(newtuple);
}

/*
 * dunning.entry_guard(): BEFORE DELETE on entry, and BEFORE TRUNCATE.  An
 * entry with allocations (its open amount differs from its amount) is not
 * deleted; the entries are not truncated while allocations exist.
 */
PG_FUNCTION_INFO_V1(dunning_entry_guard);
Datum
dunning_entry_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	TupleDesc	tupdesc;
	HeapTuple	tuple;

	trigdata = trigger_data(fcinfo, "entry_guard");
	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		int			ret;
		bool		used;

		trigger_check(fcinfo, "entry_guard", true, false);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		ret = SPI_execute("SELECT 1 FROM " DUNNING_SCHEMA ".allocation LIMIT 1", true, 1);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "SPI_execute failed: %d", ret);
		used = SPI_processed > 0;
		SPI_finish();
		if (used)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("cannot truncate dunning.entry while allocations use it"),
					 errhint("Truncate dunning.lettering and dunning.allocation first.")));
		return PointerGetDatum(NULL);
	}
	trigger_check(fcinfo, "entry_guard", true, true);
	if (!TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"entry_guard\" must be fired for DELETE or TRUNCATE")));
	tupdesc = trigdata->tg_relation->rd_att;
	tuple = trigdata->tg_trigtuple;
	if (!numeric_equal(column_value(tuple, tupdesc, column_number(tupdesc, "open_amount")),
					   column_value(tuple, tupdesc, column_number(tupdesc, "amount"))))
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("cannot delete entry %s of customer %s: allocations use it",
						SPI_getvalue(tuple, tupdesc, column_number(tupdesc, "entry_id")),
						SPI_getvalue(tuple, tupdesc, column_number(tupdesc, "customer_id"))),
				 errdetail("It is lettered in group %s.",
						   SPI_getvalue(tuple, tupdesc, column_number(tupdesc, "letter_code"))),
				 errhint("Unletter the entry first.")));
	return PointerGetDatum(tuple);
}

/*
 * Prepare and keep a plan.
 */
static SPIPlanPtr
keep_plan(const char *sql, int nargs, Oid *argtypes)
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
static void
maintained_exec(SPIPlanPtr plan, Datum *args, const char *nulls, bool bulk,
				int expected)
{
	volatile int ret;

	maintaining_open_amount = true;
	dunning_bulk_writes = bulk;
	PG_TRY();
	{
		ret = SPI_execute_plan(plan, args, nulls, false, 0);
	}
	PG_FINALLY();
	{
		maintaining_open_amount = false;
		dunning_bulk_writes = false;
	}
	PG_END_TRY();
	if (ret != expected)
		elog(ERROR, "SPI_execute_plan failed: %d", ret);
}

/*
 * dunning.allocation_check(): BEFORE INSERT OR UPDATE on allocation.  Locks
 * the two entries, checks that the debit is a debit, the credit a credit,
 * both in one currency, and dates the allocation the later of their
 * document dates.
 */
PG_FUNCTION_INFO_V1(dunning_allocation_check);
Datum
dunning_allocation_check(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_check(fcinfo, "allocation_check", true, true);
	TupleDesc	tupdesc = trigdata->tg_relation->rd_att;
	HeapTuple	newtuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;

	if (dunning_bulk_writes)
		return PointerGetDatum(newtuple);
	return PointerGetDatum(allocation_check_row(tupdesc, newtuple));
}

/*
 * The checks of allocation_check on one row; returns the row dated.
 */
static HeapTuple
allocation_check_row(TupleDesc tupdesc, HeapTuple newtuple)
{
	Datum		customer = column_value(newtuple, tupdesc, column_number(tupdesc, "customer_id"));
	Datum		debit_id = column_value(newtuple, tupdesc, column_number(tupdesc, "debit_id"));
	Datum		credit_id = column_value(newtuple, tupdesc, column_number(tupdesc, "credit_id"));
	Datum		args[3];
	bool		found_debit = false;
	bool		found_credit = false;
	char	   *debit_cur = NULL;
	char	   *credit_cur = NULL;
	DateADT		latest = DATEVAL_NOBEGIN;
	uint64		i;
	int			ret;
	int			cols[1];
	Datum		vals[1];
	bool		nulls[1] = {false};
	char	   *cust = TextDatumGetCString(customer);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (lock_entries_plan == NULL)
	{
		Oid			types[3] = {TEXTOID, INT8OID, INT8OID};

		lock_entries_plan = keep_plan(
									  "SELECT entry_id, amount OPERATOR(pg_catalog.>) 0, currency, doc_date "
									  "FROM " DUNNING_SCHEMA ".entry "
									  "WHERE customer_id OPERATOR(pg_catalog.=) $1 "
									  "AND (entry_id OPERATOR(pg_catalog.=) $2 "
									  "OR entry_id OPERATOR(pg_catalog.=) $3) "
									  "FOR NO KEY UPDATE",
									  3, types);
	}
	args[0] = customer;
	args[1] = debit_id;
	args[2] = credit_id;
	ret = SPI_execute_plan(lock_entries_plan, args, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %d", ret);

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		int64		id = DatumGetInt64(column_value(t, td, 1));
		bool		is_debit = DatumGetBool(column_value(t, td, 2));
		DateADT		doc = DatumGetDateADT(column_value(t, td, 4));

		if (id == DatumGetInt64(debit_id))
		{
			if (!is_debit)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("entry %lld of customer %s is not a debit",
								(long long) id, cust),
						 errdetail("The debit side of an allocation is an entry with a positive amount (invoice, fee, interest)."),
						 errhint("Swap debit_id and credit_id.")));
			found_debit = true;
			debit_cur = SPI_getvalue(t, td, 3);
		}
		if (id == DatumGetInt64(credit_id))
		{
			if (is_debit)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("entry %lld of customer %s is not a credit",
								(long long) id, cust),
						 errdetail("The credit side of an allocation is an entry with a negative amount (payment, credit note).")));
			found_credit = true;
			credit_cur = SPI_getvalue(t, td, 3);
		}
		if (doc > latest)
			latest = doc;
	}
	if (!found_debit || !found_credit)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("entry %lld of customer %s does not exist",
						(long long) DatumGetInt64(found_debit ? credit_id : debit_id), cust),
				 errdetail("An allocation links a debit and a credit of the same customer.")));
	if (strcmp(debit_cur, credit_cur) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot allocate a %s credit to a %s debit", credit_cur, debit_cur),
				 errdetail("Entries %lld and %lld of customer %s are in different currencies; lettering never mixes currencies.",
						   (long long) DatumGetInt64(debit_id),
						   (long long) DatumGetInt64(credit_id), cust)));

	/* the group must exist; locked so that it is not removed meanwhile */
	if (lock_group_plan == NULL)
	{
		Oid			types[2] = {TEXTOID, TEXTOID};

		lock_group_plan = keep_plan("SELECT 1 FROM " DUNNING_SCHEMA ".lettering "
									"WHERE customer_id OPERATOR(pg_catalog.=) $1 "
									"AND letter_code OPERATOR(pg_catalog.=) $2 "
									"FOR KEY SHARE",
									2, types);
	}
	args[1] = column_value(newtuple, tupdesc, column_number(tupdesc, "letter_code"));
	ret = SPI_execute_plan(lock_group_plan, args, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %d", ret);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("customer %s has no lettering group \"%s\"", cust,
						TextDatumGetCString(args[1])),
				 errdetail("An allocation belongs to a row of dunning.lettering.")));
	SPI_finish();

	cols[0] = column_number(tupdesc, "allocated_on");
	vals[0] = DateADTGetDatum(latest);
	return heap_modify_tuple_by_cols(newtuple, tupdesc, 1, cols, vals, nulls);
}

/*
 * Move the open amounts of an allocation's two entries by sign * amount:
 * sign 1 applies the allocation, -1 takes it back.  The UPDATE touches only
 * entries that stay within [0, amount]; when one does not, the entry is read
 * again to say which and by how much.
 */
static void
allocation_move(HeapTuple tuple, TupleDesc tupdesc, int sign)
{
	Datum		args[6];
	Datum		amount = column_value(tuple, tupdesc, column_number(tupdesc, "amount"));
	int64		debit = DatumGetInt64(column_value(tuple, tupdesc, column_number(tupdesc, "debit_id")));
	char	   *cust;
	int64		failed;
	int			ret;

	args[0] = column_value(tuple, tupdesc, column_number(tupdesc, "customer_id"));
	args[1] = Int64GetDatum(debit);
	args[2] = column_value(tuple, tupdesc, column_number(tupdesc, "credit_id"));
	args[3] = sign > 0 ? amount : DirectFunctionCall1(numeric_uminus, amount);
	args[4] = column_value(tuple, tupdesc, column_number(tupdesc, "letter_code"));
	args[5] = BoolGetDatum(sign > 0);

	if (apply_plan == NULL)
	{
		Oid			types[4] = {TEXTOID, INT8OID, INT8OID, NUMERICOID};

		Oid			types6[6] = {TEXTOID, INT8OID, INT8OID, NUMERICOID, TEXTOID, BOOLOID};

		/*
		 * n.v is the entry's new open amount.  Applying an allocation puts
		 * the entry in the allocation's lettering group (and takes the
		 * group's lettered_on); taking it back leaves the group only when no
		 * allocation is left, that is when the entry is whole again.
		 */
		apply_plan = keep_plan(
							   "UPDATE " DUNNING_SCHEMA ".entry SET open_amount = n.v, "
							   "letter_code = CASE WHEN $6 THEN $5 "
							   "  WHEN n.v OPERATOR(pg_catalog.=) n.amount THEN NULL "
							   "  ELSE entry.letter_code END, "
							   "lettered_on = CASE WHEN $6 THEN "
							   "  (SELECT l.lettered_on FROM " DUNNING_SCHEMA ".lettering l "
							   "    WHERE l.customer_id OPERATOR(pg_catalog.=) $1 "
							   "      AND l.letter_code OPERATOR(pg_catalog.=) $5 AND NOT l.partial) "
							   "  WHEN n.v OPERATOR(pg_catalog.=) n.amount THEN NULL "
							   "  ELSE entry.lettered_on END "
							   "FROM (SELECT CASE WHEN e.entry_id OPERATOR(pg_catalog.=) $2 "
							   "             THEN e.open_amount OPERATOR(pg_catalog.-) $4 "
							   "             ELSE e.open_amount OPERATOR(pg_catalog.+) $4 END AS v, "
							   "             e.entry_id, e.amount "
							   "        FROM " DUNNING_SCHEMA ".entry e "
							   "       WHERE e.customer_id OPERATOR(pg_catalog.=) $1 "
							   "         AND (e.entry_id OPERATOR(pg_catalog.=) $2 "
							   "              OR e.entry_id OPERATOR(pg_catalog.=) $3)) n "
							   "WHERE entry.customer_id OPERATOR(pg_catalog.=) $1 "
							   "AND entry.entry_id OPERATOR(pg_catalog.=) n.entry_id "
							   "AND n.v OPERATOR(pg_catalog.>=) least(0::pg_catalog.numeric, n.amount) "
							   "AND n.v OPERATOR(pg_catalog.<=) greatest(0::pg_catalog.numeric, n.amount) "
							   "RETURNING entry.entry_id",
							   6, types6);
		check_plan = keep_plan(
							   "SELECT kind, amount, open_amount "
							   "FROM " DUNNING_SCHEMA ".entry "
							   "WHERE customer_id OPERATOR(pg_catalog.=) $1 "
							   "AND entry_id OPERATOR(pg_catalog.=) $2",
							   2, types);
	}

	maintained_exec(apply_plan, args, NULL, false, SPI_OK_UPDATE_RETURNING);
	if (SPI_processed == 2)
		return;

	/*
	 * One entry was left out: the one not returned.  Read it again (both are
	 * locked by allocation_check) to say which and by how much.
	 */
	failed = debit;
	if (SPI_processed == 1)
	{
		bool		isnull;
		int64		done = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													   SPI_tuptable->tupdesc, 1, &isnull));

		if (done == debit)
			failed = DatumGetInt64(args[2]);
	}
	cust = TextDatumGetCString(args[0]);
	{
		Datum		cargs[2] = {args[0], Int64GetDatum(failed)};

		ret = SPI_execute_plan(check_plan, cargs, NULL, false, 0);
	}
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %d", ret);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("entry %lld of customer %s does not exist", (long long) failed, cust),
				 errdetail("An allocation links a debit and a credit of the same customer.")));
	{
		HeapTuple	t = SPI_tuptable->vals[0];
		TupleDesc	td = SPI_tuptable->tupdesc;

		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("allocation exceeds the %s of entry %lld of customer %s",
						sign > 0 ? "open amount" : "amount", (long long) failed, cust),
				 errdetail("The %s of %s has %s open; %s %s %s.",
						   SPI_getvalue(t, td, 1), SPI_getvalue(t, td, 2),
						   SPI_getvalue(t, td, 3), sign > 0 ? "allocating" : "taking back",
						   numeric_text(amount),
						   sign > 0 ? "would take it past zero" : "would exceed its amount")));
	}
}

/*
 * dunning.allocation_apply(): AFTER INSERT OR UPDATE OR DELETE on
 * allocation.  Keeps the open amounts of the entries it links.
 */
PG_FUNCTION_INFO_V1(dunning_allocation_apply);
Datum
dunning_allocation_apply(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_check(fcinfo, "allocation_apply", false, true);
	TupleDesc	tupdesc = trigdata->tg_relation->rd_att;

	if (dunning_bulk_writes)
		return PointerGetDatum(NULL);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		allocation_move(trigdata->tg_trigtuple, tupdesc, -1);
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		allocation_move(trigdata->tg_trigtuple, tupdesc, 1);
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		allocation_move(trigdata->tg_newtuple, tupdesc, 1);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * Run a statement of a cascade with its parameters; with `bulk` the row
 * triggers of allocation stand aside and entry's maintained columns may be
 * written.
 */
static void
cascade_run(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types,
			Datum *args, bool bulk, int expected)
{
	if (*plan == NULL)
		*plan = keep_plan(sql, nargs, types);
	maintained_exec(*plan, args, NULL, bulk, expected);
}

/*
 * dunning.lettering_cascade(): AFTER UPDATE OR DELETE on lettering, and
 * AFTER TRUNCATE.  Removing a group removes its allocations (their triggers
 * give the open amounts back); renaming it, or settling it, moves its
 * allocations and entries to the new code and date.
 */
PG_FUNCTION_INFO_V1(dunning_lettering_cascade);
Datum
dunning_lettering_cascade(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr delete_plan = NULL;
	static SPIPlanPtr move_allocs_plan = NULL;
	static SPIPlanPtr move_entries_plan = NULL;
	static SPIPlanPtr truncate_plan = NULL;
	TriggerData *trigdata;
	TupleDesc	tupdesc;
	HeapTuple	oldtuple;

	trigdata = trigger_data(fcinfo, "lettering_cascade");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		trigger_check(fcinfo, "lettering_cascade", false, false);

		/*
		 * Since 0.2.0 a foreign key makes TRUNCATE take the allocations
		 * with the groups (CASCADE): they are gone already.  Under 0.1.0's
		 * objects they are still there.
		 */
		if (SPI_execute("SELECT 1 FROM " DUNNING_SCHEMA ".allocation LIMIT 1", true, 1) != SPI_OK_SELECT)
			elog(ERROR, "SPI_execute failed");
		if (SPI_processed > 0)
			cascade_run(&truncate_plan, "TRUNCATE " DUNNING_SCHEMA ".allocation", 0, NULL, NULL,
						false, SPI_OK_UTILITY);
		SPI_finish();
		return PointerGetDatum(NULL);
	}
	trigger_check(fcinfo, "lettering_cascade", false, true);
	tupdesc = trigdata->tg_relation->rd_att;
	oldtuple = trigdata->tg_trigtuple;
	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		Oid			types[2] = {TEXTOID, TEXTOID};
		Datum		args[2];

		args[0] = column_value(oldtuple, tupdesc, column_number(tupdesc, "customer_id"));
		args[1] = column_value(oldtuple, tupdesc, column_number(tupdesc, "letter_code"));
		/* not bulk: allocation_apply gives each amount back */
		if (delete_plan == NULL)
			delete_plan = keep_plan("DELETE FROM " DUNNING_SCHEMA ".allocation "
									"WHERE customer_id OPERATOR(pg_catalog.=) $1 "
									"AND letter_code OPERATOR(pg_catalog.=) $2",
									2, types);
		if (SPI_execute_plan(delete_plan, args, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "SPI_execute_plan failed");
	}
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		HeapTuple	newtuple = trigdata->tg_newtuple;
		Oid			types[6] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, DATEOID};
		Datum		args[6];
		bool		isnull;

		args[0] = column_value(oldtuple, tupdesc, column_number(tupdesc, "customer_id"));
		args[1] = column_value(oldtuple, tupdesc, column_number(tupdesc, "letter_code"));
		args[2] = column_value(newtuple, tupdesc, column_number(tupdesc, "customer_id"));
		args[3] = column_value(newtuple, tupdesc, column_number(tupdesc, "letter_code"));
		args[4] = column_value(newtuple, tupdesc, column_number(tupdesc, "partial"));
		args[5] = heap_getattr(newtuple, column_number(tupdesc, "lettered_on"), tupdesc, &isnull);
		/* the amounts do not move: no need for the allocation triggers */
		cascade_run(&move_allocs_plan,
					"UPDATE " DUNNING_SCHEMA ".allocation SET customer_id = $3, letter_code = $4 "
					"WHERE customer_id OPERATOR(pg_catalog.=) $1 "
					"AND letter_code OPERATOR(pg_catalog.=) $2 "
					"AND (customer_id OPERATOR(pg_catalog.<>) $3 "
					"     OR letter_code OPERATOR(pg_catalog.<>) $4)",
					4, types, args, true, SPI_OK_UPDATE);
		{
			char		nulls[6] = {' ', ' ', ' ', ' ', ' ', isnull ? 'n' : ' '};

			if (move_entries_plan == NULL)
				move_entries_plan = keep_plan("UPDATE " DUNNING_SCHEMA ".entry SET letter_code = $4, "
											  "lettered_on = CASE WHEN $5 THEN NULL ELSE $6 END "
											  "WHERE customer_id OPERATOR(pg_catalog.=) ANY (ARRAY[$1, $3]) "
											  "AND letter_code OPERATOR(pg_catalog.=) $2",
											  6, types);
			maintained_exec(move_entries_plan, args, nulls, false, SPI_OK_UPDATE);
		}
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"lettering_cascade\" must be fired for UPDATE, DELETE or TRUNCATE")));
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * dunning.allocation_truncated(): AFTER TRUNCATE on allocation.  With no
 * allocation left, every entry is open for its whole amount, in no group.
 */
PG_FUNCTION_INFO_V1(dunning_allocation_truncated);
Datum
dunning_allocation_truncated(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_check(fcinfo, "allocation_truncated", false, false);

	if (!TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"allocation_truncated\" must be fired for TRUNCATE")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (reset_plan == NULL)
		reset_plan = keep_plan("UPDATE " DUNNING_SCHEMA ".entry SET open_amount = amount, "
							   "letter_code = NULL, lettered_on = NULL "
							   "WHERE open_amount OPERATOR(pg_catalog.<>) amount "
							   "OR letter_code IS NOT NULL",
							   0, NULL);
	maintained_exec(reset_plan, NULL, NULL, false, SPI_OK_UPDATE);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * Reminder counters (SPEC 4.6)
 *
 * entry.reminder_count, last_reminded_on and level, and the same three
 * columns of customer, say what the non-cancelled reminders say:
 *
 *	reminder_count		how many (an entry: how many lines dunned it)
 *	last_reminded_on	the latest as_of
 *	level				the highest level among those of that latest date
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
 * The notes live in TopTransactionContext and are dropped when a
 * transaction or subtransaction ends in error, so an aborted statement
 * leaves none behind.
 */
typedef struct Pending
{
	int			n;
	int			size;
	Datum	   *customer;		/* text */
	Datum	   *id;				/* reminder_id (lines) or as_of (reminders) */
	Datum	   *entry;			/* entry_id (lines) */
	Datum	   *level;			/* int4 */
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

static void
pending_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		pending_reset();
}

/*
 * Note a row: its customer (copied), an id, an entry id and a level.
 */
static void
pending_add(Pending *p, Datum customer, Datum id, Datum entry, Datum level)
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
		}
		else
		{
			p->customer = repalloc_huge(p->customer, sizeof(Datum) * size);
			p->id = repalloc_huge(p->id, sizeof(Datum) * size);
			p->entry = repalloc_huge(p->entry, sizeof(Datum) * size);
			p->level = repalloc_huge(p->level, sizeof(Datum) * size);
		}
		p->size = size;
	}
	p->customer[p->n] = datumCopy(customer, false, -1);
	p->id[p->n] = id;			/* int8 and date are passed by value */
	p->entry[p->n] = entry;
	p->level[p->n] = level;
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
 * Is a column's text that value?
 */
static bool
column_is(HeapTuple tuple, TupleDesc tupdesc, const char *col, const char *value)
{
	char	   *v = SPI_getvalue(tuple, tupdesc, column_number(tupdesc, col));

	return v != NULL && strcmp(v, value) == 0;
}

/*
 * Count a customer's reminders again.
 */
static void
recount_customer(Datum customer)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {customer};

	cascade_run(&plan,
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
 * Count again the entries of a customer that a reminder lists (entry_id
 * NULL), or one entry.
 */
static void
recount_entries(Datum customer, Datum reminder_id, Datum entry_id, bool one)
{
	static SPIPlanPtr reminder_plan = NULL;
	static SPIPlanPtr entry_plan = NULL;
	Oid			types[2] = {TEXTOID, INT8OID};
	Datum		args[2] = {customer, one ? entry_id : reminder_id};

	cascade_run(one ? &entry_plan : &reminder_plan,
				one ?
				"UPDATE " DUNNING_SCHEMA ".entry e SET reminder_count = s.n, "
				"last_reminded_on = s.last, level = s.lvl "
				"FROM (SELECT pg_catalog.count(r.reminder_id)::integer AS n, "
				"             pg_catalog.max(r.as_of) AS last, "
				LATEST_LEVEL("r.as_of", "l.level") " AS lvl "
				"        FROM " DUNNING_SCHEMA ".reminder_line l "
				"        JOIN " DUNNING_SCHEMA ".reminder r "
				"          ON r.customer_id OPERATOR(pg_catalog.=) l.customer_id "
				"         AND r.reminder_id OPERATOR(pg_catalog.=) l.reminder_id "
				"       WHERE l.customer_id OPERATOR(pg_catalog.=) $1 "
				"         AND l.entry_id OPERATOR(pg_catalog.=) $2 AND l.dunned "
				"         AND r.status OPERATOR(pg_catalog.<>) 'cancelled') s "
				"WHERE e.customer_id OPERATOR(pg_catalog.=) $1 "
				"AND e.entry_id OPERATOR(pg_catalog.=) $2 "
				"AND " COUNTERS_DIFFER("e")
				:
				"UPDATE " DUNNING_SCHEMA ".entry e SET reminder_count = s.n, "
				"last_reminded_on = s.last, level = s.lvl "
				"FROM (SELECT t.entry_id, pg_catalog.count(r.reminder_id)::integer AS n, "
				"             pg_catalog.max(r.as_of) AS last, "
				LATEST_LEVEL("r.as_of", "l.level") " AS lvl "
				"        FROM (SELECT DISTINCT x.entry_id FROM " DUNNING_SCHEMA ".reminder_line x "
				"               WHERE x.customer_id OPERATOR(pg_catalog.=) $1 "
				"                 AND x.reminder_id OPERATOR(pg_catalog.=) $2) t "
				"        LEFT JOIN (" DUNNING_SCHEMA ".reminder_line l "
				"                   JOIN " DUNNING_SCHEMA ".reminder r "
				"                     ON r.customer_id OPERATOR(pg_catalog.=) l.customer_id "
				"                    AND r.reminder_id OPERATOR(pg_catalog.=) l.reminder_id "
				"                    AND r.status OPERATOR(pg_catalog.<>) 'cancelled') "
				"          ON l.customer_id OPERATOR(pg_catalog.=) $1 "
				"         AND l.entry_id OPERATOR(pg_catalog.=) t.entry_id AND l.dunned "
				"       GROUP BY t.entry_id) s "
				"WHERE e.customer_id OPERATOR(pg_catalog.=) $1 "
				"AND e.entry_id OPERATOR(pg_catalog.=) s.entry_id "
				"AND " COUNTERS_DIFFER("e"),
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
	TriggerData *trigdata = trigger_check(fcinfo, "reminder_counters", false, true);
	TupleDesc	tupdesc = trigdata->tg_relation->rd_att;
	HeapTuple	oldtuple = trigdata->tg_trigtuple;
	int			cust_col = column_number(tupdesc, "customer_id");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		/* counted with the statement's other reminders (reminder_flush) */
		if (!column_is(oldtuple, tupdesc, "status", "cancelled"))
			pending_add(&pending_reminders,
						column_value(oldtuple, tupdesc, cust_col),
						column_value(oldtuple, tupdesc, column_number(tupdesc, "as_of")),
						(Datum) 0,
						column_value(oldtuple, tupdesc, column_number(tupdesc, "level")));
	}
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		HeapTuple	newtuple = trigdata->tg_newtuple;
		bool		was = column_is(oldtuple, tupdesc, "status", "cancelled");
		bool		is = column_is(newtuple, tupdesc, "status", "cancelled");

		if (was != is ||
			!column_unchanged(oldtuple, newtuple, tupdesc, "customer_id") ||
			!column_unchanged(oldtuple, newtuple, tupdesc, "as_of") ||
			!column_unchanged(oldtuple, newtuple, tupdesc, "level"))
		{
			Datum		id = column_value(newtuple, tupdesc, column_number(tupdesc, "reminder_id"));

			recount_customer(column_value(oldtuple, tupdesc, cust_col));
			if (!column_unchanged(oldtuple, newtuple, tupdesc, "customer_id"))
				recount_customer(column_value(newtuple, tupdesc, cust_col));
			recount_entries(column_value(newtuple, tupdesc, cust_col), id, (Datum) 0, false);
		}
	}
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		recount_customer(column_value(oldtuple, tupdesc, cust_col));
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
	TriggerData *trigdata = trigger_check(fcinfo, "reminder_line_counters", false, true);
	TupleDesc	tupdesc = trigdata->tg_relation->rd_att;
	HeapTuple	oldtuple = trigdata->tg_trigtuple;
	int			cust_col = column_number(tupdesc, "customer_id");
	int			entry_col = column_number(tupdesc, "entry_id");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		/* counted with the statement's other lines (reminder_flush) */
		if (DatumGetBool(column_value(oldtuple, tupdesc, column_number(tupdesc, "dunned"))))
			pending_add(&pending_lines,
						column_value(oldtuple, tupdesc, cust_col),
						column_value(oldtuple, tupdesc, column_number(tupdesc, "reminder_id")),
						column_value(oldtuple, tupdesc, entry_col),
						column_value(oldtuple, tupdesc, column_number(tupdesc, "level")));
	}
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ||
			 TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		recount_entries(column_value(oldtuple, tupdesc, cust_col), (Datum) 0,
						column_value(oldtuple, tupdesc, entry_col), true);
		if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		{
			HeapTuple	newtuple = trigdata->tg_newtuple;

			if (!column_unchanged(oldtuple, newtuple, tupdesc, "customer_id") ||
				!column_unchanged(oldtuple, newtuple, tupdesc, "entry_id"))
				recount_entries(column_value(newtuple, tupdesc, cust_col), (Datum) 0,
								column_value(newtuple, tupdesc, entry_col), true);
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
 * dunning.reminder_flush(): AFTER INSERT on reminder (argument 'customer')
 * or reminder_line ('entry'), for each statement.  Applies the counts the
 * row triggers noted: the customers' counters for new reminders, the
 * entries' for new lines (whose reminder is not cancelled).
 */
PG_FUNCTION_INFO_V1(dunning_reminder_flush);
Datum
dunning_reminder_flush(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr customer_plan = NULL;
	static SPIPlanPtr entry_plan = NULL;
	TriggerData *trigdata = trigger_check(fcinfo, "reminder_flush", false, false);
	bool		customers;
	Pending		p;

	if (!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || trigdata->tg_trigger->tgnargs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"reminder_flush\" must be fired for INSERT with one argument")));
	customers = strcmp(trigdata->tg_trigger->tgargs[0], "customer") == 0;
	p = customers ? pending_reminders : pending_lines;
	if (p.n == 0)
		return PointerGetDatum(NULL);
	/* taken: a nested statement starts a new list */
	if (customers)
		memset(&pending_reminders, 0, sizeof(Pending));
	else
		memset(&pending_lines, 0, sizeof(Pending));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (customers)
	{
		Oid			types[3] = {TEXTARRAYOID, DATEARRAYOID, INT4ARRAYOID};
		Datum		args[3];

		args[0] = pending_array(p.customer, p.n, TEXTOID);
		args[1] = pending_array(p.id, p.n, DATEOID);
		args[2] = pending_array(p.level, p.n, INT4OID);
		cascade_run(&customer_plan,
					"UPDATE " DUNNING_SCHEMA ".customer c SET "
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
					3, types, args, false, SPI_OK_UPDATE);
	}
	else
	{
		Oid			types[4] = {TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT4ARRAYOID};
		Datum		args[4];

		args[0] = pending_array(p.customer, p.n, TEXTOID);
		args[1] = pending_array(p.id, p.n, INT8OID);
		args[2] = pending_array(p.entry, p.n, INT8OID);
		args[3] = pending_array(p.level, p.n, INT4OID);
		cascade_run(&entry_plan,
					"UPDATE " DUNNING_SCHEMA ".entry e SET "
					"reminder_count = e.reminder_count OPERATOR(pg_catalog.+) s.n, "
					"last_reminded_on = greatest(e.last_reminded_on, s.last), "
					"level = CASE WHEN e.last_reminded_on IS NULL "
					"               OR s.last OPERATOR(pg_catalog.>) e.last_reminded_on THEN s.lvl "
					"             WHEN s.last OPERATOR(pg_catalog.=) e.last_reminded_on "
					"             THEN greatest(e.level, s.lvl) ELSE e.level END "
					"FROM (SELECT l.customer_id, l.entry_id, pg_catalog.count(*)::integer AS n, "
					"             pg_catalog.max(r.as_of) AS last, "
					LATEST_LEVEL("r.as_of", "l.level") " AS lvl "
					"        FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
					"                        pg_catalog.unnest($3), pg_catalog.unnest($4)) "
					"             l(customer_id, reminder_id, entry_id, level) "
					"        JOIN " DUNNING_SCHEMA ".reminder r "
					"          ON r.customer_id OPERATOR(pg_catalog.=) l.customer_id "
					"         AND r.reminder_id OPERATOR(pg_catalog.=) l.reminder_id "
					"       WHERE r.status OPERATOR(pg_catalog.<>) 'cancelled' "
					"       GROUP BY l.customer_id, l.entry_id) s "
					"WHERE e.customer_id OPERATOR(pg_catalog.=) s.customer_id "
					"AND e.entry_id OPERATOR(pg_catalog.=) s.entry_id",
					4, types, args, false, SPI_OK_UPDATE);
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
	static SPIPlanPtr entry_plan = NULL;
	TriggerData *trigdata = trigger_check(fcinfo, "reminder_truncated", false, false);
	bool		customers;

	if (!TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event) || trigdata->tg_trigger->tgnargs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"reminder_truncated\" must be fired for TRUNCATE with one argument")));
	customers = strcmp(trigdata->tg_trigger->tgargs[0], "customer") == 0;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (customers)
		cascade_run(&customer_plan,
					"UPDATE " DUNNING_SCHEMA ".customer SET reminder_count = 0, "
					"last_reminded_on = NULL, level = 0 "
					"WHERE reminder_count OPERATOR(pg_catalog.<>) 0 "
					"OR last_reminded_on IS NOT NULL OR level OPERATOR(pg_catalog.<>) 0",
					0, NULL, NULL, false, SPI_OK_UPDATE);
	else
		cascade_run(&entry_plan,
					"UPDATE " DUNNING_SCHEMA ".entry SET reminder_count = 0, "
					"last_reminded_on = NULL, level = 0 "
					"WHERE reminder_count OPERATOR(pg_catalog.<>) 0 "
					"OR last_reminded_on IS NOT NULL OR level OPERATOR(pg_catalog.<>) 0",
					0, NULL, NULL, false, SPI_OK_UPDATE);
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
	TriggerData *trigdata = trigger_check(fcinfo, "customer_counters", true, true);
	TupleDesc	tupdesc = trigdata->tg_relation->rd_att;
	int			cols[3];
	Datum		vals[3] = {Int32GetDatum(0), 0, Int32GetDatum(0)};
	bool		nulls[3] = {false, true, false};
	HeapTuple	newtuple;
	int			i;

	if (maintaining_open_amount && TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		return PointerGetDatum(trigdata->tg_newtuple);
	cols[0] = column_number(tupdesc, "reminder_count");
	cols[1] = column_number(tupdesc, "last_reminded_on");
	cols[2] = column_number(tupdesc, "level");
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
