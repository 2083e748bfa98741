/*
 * dunning.h
 *		Declarations shared by the C files of the dunning extension.
 */
#ifndef DUNNING_H
#define DUNNING_H

#include "utils/date.h"

/* Schema of the extension: relocatable = false, so it is fixed. */
#define DUNNING_SCHEMA "dunning"

#if PG_VERSION_NUM < 160000
extern void _PG_init(void);
#endif

extern bool dunning_parse_iso_date(const char *s, DateADT *result);
extern DateADT dunning_check_as_of(Datum arg, bool isnull);
extern DateADT dunning_as_of_now(void);
/* a C function's query, prepared once per backend (SPIPlanPtr) */
extern struct _SPI_plan *dunning_saved_plan(struct _SPI_plan **plan, const char *query, int nargs,
											Oid *types);

/* distribute.c: the planner hook of a distributed ledger */
extern void dunning_distribute_init(void);
extern bool dunning_jit;
extern void dunning_day_changed(void);
extern int	dunning_nested_reads_begin(void);
extern void dunning_nested_reads_end(int level);

/* escalation.c: what the judgement of an item reads of its policy */
typedef struct DunningPolicyTerms
{
	char	   *currency;
	int32		min_interval_days;
	bool		statement_account;	/* statement = 'account' */
	int			n_excluded_sources;
	char	  **excluded_sources;
	int			n_excluded_methods;
	char	  **excluded_methods;
	text	   *interest_regime;	/* NULL: none */
	bool		has_rate;
	Datum		interest_rate;	/* numeric */
	text	   *day_count;
	bool		post_charges;
	Datum		compensation;	/* numeric */
	Datum		min_balance;	/* numeric */
} DunningPolicyTerms;

extern int	dunning_text_array(Datum arr, char ***out);
extern bool dunning_arg_is(FunctionCallInfo fcinfo, int k, const char *s);
extern const DunningPolicyTerms *dunning_policy_terms(void **slot, MemoryContext cxt,
													  text *policy_id);

/* escalation.c: one item's verdict (a level, or a code <= 0), with the
 * policies cached in *slot */
extern int32 dunning_escalate_item(void **slot, MemoryContext cxt, text *policy_id, int32 days,
								   bool has_level, int32 level, bool has_last, DateADT last,
								   DateADT as_of);
extern bool dunning_code_at_level(int32 code);
extern Datum dunning_level_amount(void **slot, MemoryContext cxt, text *policy_id, int32 level,
								  text *currency, int which);
extern bool dunning_level_charges_interest(void **slot, MemoryContext cxt, text *policy_id,
										   int32 level);
extern void dunning_level_letter(void **slot, MemoryContext cxt, text *policy_id, int32 level,
								 const char **channel, const char **template);

/* triggers.c: set by the lettering engine while it writes in bulk */
extern bool dunning_bulk_writes;

#endif							/* DUNNING_H */
