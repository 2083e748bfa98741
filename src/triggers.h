/*
 * triggers.h
 *		What the C triggers of dunning share (src/triggers.c).
 */
#ifndef DUNNING_TRIGGERS_H
#define DUNNING_TRIGGERS_H

#include "access/htup.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

/* true while our own triggers write maintained columns */
extern bool dunning_maintaining;

extern TriggerData *dunning_trigger_data(FunctionCallInfo fcinfo, const char *name);
extern TriggerData *dunning_trigger_check(FunctionCallInfo fcinfo, const char *name,
										  bool before, bool row);
extern int	dunning_column_number(TupleDesc tupdesc, const char *col);
extern Datum dunning_column_value(HeapTuple tuple, TupleDesc tupdesc, int attnum);
extern bool dunning_column_unchanged(HeapTuple a, HeapTuple b, TupleDesc tupdesc,
									 const char *col);
extern SPIPlanPtr dunning_keep_plan(const char *sql, int nargs, Oid *argtypes);
extern void dunning_maintained_exec(SPIPlanPtr plan, Datum *args, const char *nulls,
									bool bulk, int expected);
/* where a trigger runs: one server, a Citus table, a shard of one */
typedef enum DunningPlace
{
	DUNNING_SERVER,
	DUNNING_SHELL,
	DUNNING_SHARD
} DunningPlace;

extern DunningPlace dunning_trigger_place(Relation rel, const char *table, const char *other,
										  char **target);
extern void dunning_placed_run(SPIPlanPtr *plan, DunningPlace place, const char *sql,
							   const char *t1, const char *t2, int nargs, Oid *types,
							   Datum *args, int expected);
extern void dunning_cascade_run(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types,
								Datum *args, bool bulk, int expected);

/* numeric a = b */
static inline bool
dunning_numeric_equal(Datum a, Datum b)
{
	return DatumGetBool(DirectFunctionCall2(numeric_eq, a, b));
}

#endif							/* DUNNING_TRIGGERS_H */
