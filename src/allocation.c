/*
 * allocation.c
 *		Open amounts kept from allocations (README "Concepts", "Open amounts").
 *
 * entry.open_amount follows allocation: a debit's open amount is its amount
 * less what is allocated to it, a credit's its amount plus what is allocated
 * from it.  The triggers here are the only writers of open_amount: a user's
 * UPDATE of it is ignored, and the amount, currency and date of an entry in
 * use by an allocation cannot change.  They also check an allocation's
 * group and entries (instead of foreign keys, see schema.sql) and carry a
 * group's rename or removal to its allocations and entries.
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

#include "triggers.h"

static SPIPlanPtr lock_entries_plan = NULL;
static SPIPlanPtr lock_group_plan = NULL;

static HeapTuple allocation_check_row(TupleDesc tupdesc, HeapTuple newtuple);
static SPIPlanPtr apply_plan = NULL;
static SPIPlanPtr check_plan = NULL;
static SPIPlanPtr reset_plan = NULL;


/*
 * Text of a numeric, for messages.
 */
static char *
numeric_text(Datum n)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, n));
}


/*
 * dunning.entry_open_amount(): BEFORE INSERT OR UPDATE on entry.  A new
 * entry is open for its whole amount, in no lettering group and never
 * reminded; an update keeps the open amount, letter code and lettering date
 * the allocations give it and the level, reminder count, last reminder date
 * and compensation charged that the reminders give it, and refuses to
 * change an allocated entry's amount, currency, date or keys.
 */
PG_FUNCTION_INFO_V1(dunning_entry_open_amount);
Datum
dunning_entry_open_amount(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = dunning_trigger_check(fcinfo, "entry_open_amount", true, true);
	TupleDesc	tupdesc = trigdata->tg_relation->rd_att;
	HeapTuple	newtuple;
	int			amount_col;
	Size		i;
	int			cols[7];
	int			ncols;
	Datum		vals[7] = {0, 0, 0, Int32GetDatum(0), Int32GetDatum(0), 0, BoolGetDatum(false)};
	bool		nulls[7] = {false, true, true, false, false, true, false};

	/* our own writes of the maintained columns pass as they are */
	if ((dunning_maintaining || dunning_bulk_writes) &&
		TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		return PointerGetDatum(trigdata->tg_newtuple);

	amount_col = dunning_column_number(tupdesc, "amount");
	cols[0] = dunning_column_number(tupdesc, "open_amount");
	cols[1] = dunning_column_number(tupdesc, "letter_code");
	cols[2] = dunning_column_number(tupdesc, "lettered_on");
	cols[3] = dunning_column_number(tupdesc, "level");
	cols[4] = dunning_column_number(tupdesc, "reminder_count");
	cols[5] = dunning_column_number(tupdesc, "last_reminded_on");
	/* none in a 0.5.0 database not yet updated (ALTER EXTENSION UPDATE) */
	cols[6] = SPI_fnumber(tupdesc, "compensated");
	ncols = cols[6] > 0 ? 7 : 6;

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		/* open for the whole amount, in no lettering group */
		newtuple = trigdata->tg_trigtuple;
		vals[0] = dunning_column_value(newtuple, tupdesc, amount_col);
	}
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		HeapTuple	oldtuple = trigdata->tg_trigtuple;
		Datum		old_open = dunning_column_value(oldtuple, tupdesc, cols[0]);
		Datum		old_amount = dunning_column_value(oldtuple, tupdesc, amount_col);

		newtuple = trigdata->tg_newtuple;

		if (!dunning_numeric_equal(old_open, old_amount))
		{
			/* allocations use this entry: its money facts are fixed */
			static const char *const fixed[] = {
				"customer_id", "entry_id", "amount", "currency", "doc_date"
			};

			for (i = 0; i < lengthof(fixed); i++)
				if (!dunning_column_unchanged(oldtuple, newtuple, tupdesc, fixed[i]))
					ereport(ERROR,
							(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							 errmsg("cannot change %s of an allocated entry", fixed[i]),
							 errdetail("Entry %s of customer %s is used by an allocation (open %s of %s).",
									   SPI_getvalue(oldtuple, tupdesc, dunning_column_number(tupdesc, "entry_id")),
									   SPI_getvalue(oldtuple, tupdesc, dunning_column_number(tupdesc, "customer_id")),
									   numeric_text(old_open), numeric_text(old_amount)),
							 errhint("Unletter the entry first.")));
			vals[0] = old_open;
		}
		else
			vals[0] = dunning_column_value(newtuple, tupdesc, amount_col);
		/*
		 * the lettering columns stay what the allocations made them, the
		 * reminder counters what the reminders made them
		 */
		for (i = 1; i < (Size) ncols; i++)
			vals[i] = heap_getattr(oldtuple, cols[i], tupdesc, &nulls[i]);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"entry_open_amount\" must be fired for INSERT or UPDATE")));

	newtuple = heap_modify_tuple_by_cols(newtuple, tupdesc, ncols, cols, vals, nulls);
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

	trigdata = dunning_trigger_data(fcinfo, "entry_guard");
	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		int			ret;
		bool		used;
		char	   *target;

		dunning_trigger_check(fcinfo, "entry_guard", true, false);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		/* distributed, the coordinator's table asks every shard, a shard its own */
		(void) dunning_trigger_place(trigdata->tg_relation, "entry", "allocation", &target);
		ret = SPI_execute(psprintf("SELECT 1 FROM %s LIMIT 1", target), true, 1);
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
	dunning_trigger_check(fcinfo, "entry_guard", true, true);
	if (!TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"entry_guard\" must be fired for DELETE or TRUNCATE")));
	tupdesc = trigdata->tg_relation->rd_att;
	tuple = trigdata->tg_trigtuple;
	if (!dunning_numeric_equal(dunning_column_value(tuple, tupdesc, dunning_column_number(tupdesc, "open_amount")),
					   dunning_column_value(tuple, tupdesc, dunning_column_number(tupdesc, "amount"))))
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("cannot delete entry %s of customer %s: allocations use it",
						SPI_getvalue(tuple, tupdesc, dunning_column_number(tupdesc, "entry_id")),
						SPI_getvalue(tuple, tupdesc, dunning_column_number(tupdesc, "customer_id"))),
				 errdetail("It is lettered in group %s.",
						   SPI_getvalue(tuple, tupdesc, dunning_column_number(tupdesc, "letter_code"))),
				 errhint("Unletter the entry first.")));
	return PointerGetDatum(tuple);
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
	TriggerData *trigdata = dunning_trigger_check(fcinfo, "allocation_check", true, true);
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
	Datum		customer = dunning_column_value(newtuple, tupdesc, dunning_column_number(tupdesc, "customer_id"));
	Datum		debit_id = dunning_column_value(newtuple, tupdesc, dunning_column_number(tupdesc, "debit_id"));
	Datum		credit_id = dunning_column_value(newtuple, tupdesc, dunning_column_number(tupdesc, "credit_id"));
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

		lock_entries_plan = dunning_keep_plan(
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
		int64		id = DatumGetInt64(dunning_column_value(t, td, 1));
		bool		is_debit = DatumGetBool(dunning_column_value(t, td, 2));
		DateADT		doc = DatumGetDateADT(dunning_column_value(t, td, 4));

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

		lock_group_plan = dunning_keep_plan("SELECT 1 FROM " DUNNING_SCHEMA ".lettering "
									"WHERE customer_id OPERATOR(pg_catalog.=) $1 "
									"AND letter_code OPERATOR(pg_catalog.=) $2 "
									"FOR KEY SHARE",
									2, types);
	}
	args[1] = dunning_column_value(newtuple, tupdesc, dunning_column_number(tupdesc, "letter_code"));
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

	cols[0] = dunning_column_number(tupdesc, "allocated_on");
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
	Datum		amount = dunning_column_value(tuple, tupdesc, dunning_column_number(tupdesc, "amount"));
	int64		debit = DatumGetInt64(dunning_column_value(tuple, tupdesc, dunning_column_number(tupdesc, "debit_id")));
	char	   *cust;
	int64		failed;
	int			ret;

	args[0] = dunning_column_value(tuple, tupdesc, dunning_column_number(tupdesc, "customer_id"));
	args[1] = Int64GetDatum(debit);
	args[2] = dunning_column_value(tuple, tupdesc, dunning_column_number(tupdesc, "credit_id"));
	args[3] = sign > 0 ? amount : DirectFunctionCall1(numeric_uminus, amount);
	args[4] = dunning_column_value(tuple, tupdesc, dunning_column_number(tupdesc, "letter_code"));
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
		apply_plan = dunning_keep_plan(
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
		check_plan = dunning_keep_plan(
							   "SELECT kind, amount, open_amount "
							   "FROM " DUNNING_SCHEMA ".entry "
							   "WHERE customer_id OPERATOR(pg_catalog.=) $1 "
							   "AND entry_id OPERATOR(pg_catalog.=) $2",
							   2, types);
	}

	dunning_maintained_exec(apply_plan, args, NULL, false, SPI_OK_UPDATE_RETURNING);
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
	TriggerData *trigdata = dunning_trigger_check(fcinfo, "allocation_apply", false, true);
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

	trigdata = dunning_trigger_data(fcinfo, "lettering_cascade");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		DunningPlace place;
		char	   *target;

		dunning_trigger_check(fcinfo, "lettering_cascade", false, false);

		/*
		 * Since 0.2.0 a foreign key makes TRUNCATE take the allocations
		 * with the groups (CASCADE): they are gone already.  Under 0.1.0's
		 * objects they are still there, and distributed too (distribute()
		 * drops allocation's keys): each shard of the groups empties its
		 * shard of the allocations.
		 */
		place = dunning_trigger_place(trigdata->tg_relation, "lettering", "allocation", &target);
		if (place != DUNNING_SHELL)
		{
			if (SPI_execute(psprintf("SELECT 1 FROM %s LIMIT 1", target), true, 1) != SPI_OK_SELECT)
				elog(ERROR, "SPI_execute failed");
			if (SPI_processed > 0)
				dunning_placed_run(&truncate_plan, place, "TRUNCATE %s", target, NULL,
								   0, NULL, NULL, SPI_OK_UTILITY);
		}
		SPI_finish();
		return PointerGetDatum(NULL);
	}
	dunning_trigger_check(fcinfo, "lettering_cascade", false, true);
	tupdesc = trigdata->tg_relation->rd_att;
	oldtuple = trigdata->tg_trigtuple;
	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		Oid			types[2] = {TEXTOID, TEXTOID};
		Datum		args[2];

		args[0] = dunning_column_value(oldtuple, tupdesc, dunning_column_number(tupdesc, "customer_id"));
		args[1] = dunning_column_value(oldtuple, tupdesc, dunning_column_number(tupdesc, "letter_code"));
		/* not bulk: allocation_apply gives each amount back */
		if (delete_plan == NULL)
			delete_plan = dunning_keep_plan("DELETE FROM " DUNNING_SCHEMA ".allocation "
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

		args[0] = dunning_column_value(oldtuple, tupdesc, dunning_column_number(tupdesc, "customer_id"));
		args[1] = dunning_column_value(oldtuple, tupdesc, dunning_column_number(tupdesc, "letter_code"));
		args[2] = dunning_column_value(newtuple, tupdesc, dunning_column_number(tupdesc, "customer_id"));
		args[3] = dunning_column_value(newtuple, tupdesc, dunning_column_number(tupdesc, "letter_code"));
		args[4] = dunning_column_value(newtuple, tupdesc, dunning_column_number(tupdesc, "partial"));
		args[5] = heap_getattr(newtuple, dunning_column_number(tupdesc, "lettered_on"), tupdesc, &isnull);
		/* the amounts do not move: no need for the allocation triggers */
		dunning_cascade_run(&move_allocs_plan,
					"UPDATE " DUNNING_SCHEMA ".allocation SET customer_id = $3, letter_code = $4 "
					"WHERE customer_id OPERATOR(pg_catalog.=) $1 "
					"AND letter_code OPERATOR(pg_catalog.=) $2 "
					"AND (customer_id OPERATOR(pg_catalog.<>) $3 "
					"     OR letter_code OPERATOR(pg_catalog.<>) $4)",
					4, types, args, true, SPI_OK_UPDATE);
		{
			char		nulls[6] = {' ', ' ', ' ', ' ', ' ', isnull ? 'n' : ' '};

			if (move_entries_plan == NULL)
				move_entries_plan = dunning_keep_plan("UPDATE " DUNNING_SCHEMA ".entry SET letter_code = $4, "
											  "lettered_on = CASE WHEN $5 THEN NULL ELSE $6 END "
											  "WHERE customer_id OPERATOR(pg_catalog.=) ANY (ARRAY[$1, $3]) "
											  "AND letter_code OPERATOR(pg_catalog.=) $2",
											  6, types);
			dunning_maintained_exec(move_entries_plan, args, nulls, false, SPI_OK_UPDATE);
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
	TriggerData *trigdata = dunning_trigger_check(fcinfo, "allocation_truncated", false, false);
	DunningPlace place;
	char	   *target;

	if (!TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"allocation_truncated\" must be fired for TRUNCATE")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	place = dunning_trigger_place(trigdata->tg_relation, "allocation", "entry", &target);
	dunning_placed_run(&reset_plan, place,
					   "UPDATE %s SET open_amount = amount, "
					   "letter_code = NULL, lettered_on = NULL "
					   "WHERE open_amount OPERATOR(pg_catalog.<>) amount "
					   "OR letter_code IS NOT NULL",
					   target, NULL, 0, NULL, NULL, SPI_OK_UPDATE);
	SPI_finish();
	return PointerGetDatum(NULL);
}
