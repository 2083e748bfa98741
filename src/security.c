/*
 * security.c
 *		The row tests of the policies on a distributed ledger (README
 *		"Row security", "Outgrowing one server").
 *
 * Citus refuses subqueries in the policies of its tables, so on a
 * distributed ledger each policy calls one of these functions once a row
 * (security.sql, _citus_policies); on one server the policies are
 * subqueries that PostgreSQL tests once a query, and these functions are
 * not called.  The rule is the same:
 *   - every row passes when row security is off (dunning.row_security) or
 *     when the user is a member of dunning_admin;
 *   - a customer row passes when its manager's role (credit_manager.
 *     role_name) is one the user is a member of (pg_has_role MEMBER);
 *   - a row of another customer table passes when its customer does.
 * What does not depend on the row is read once a call site (a policy in
 * one scan): whether every row passes, and the managers the user is.  A
 * row of another table reads its customer's manager by key (a query on
 * the customer's node), and a run of rows of the same customer reads it
 * once.  (Reading all the customers of the user's managers at once was a
 * query over every shard from inside a shard's query, and two workers
 * crashed in citus.so at the commit after it, once in three runs.)  As SQL
 * functions that read the user's roles from pg_roles a row, these tests
 * cost 0.3 ms a customer row and 0.8 ms an entry on two workers (README
 * "Outgrowing one server").
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "dunning.h"

typedef struct RlsCache
{
	bool		all;			/* every row passes */
	int			nmanagers;		/* the managers whose role the user is a member of */
	char	  **managers;		/* sorted */
	char	   *last_customer;	/* the last customer read by key, and its answer */
	bool		last_passes;
	MemoryContext cxt;			/* fn_mcxt */
} RlsCache;

static SPIPlanPtr customer_plan;

static int
cstring_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* is value (NULL: none) one of the n sorted values */
static bool
sorted_has(char **values, int n, const char *value)
{
	return value != NULL && n > 0 &&
		bsearch(&value, values, n, sizeof(char *), cstring_cmp) != NULL;
}

/* is the user a member of a role, by name (no such role: no) */
static bool
member_of(const char *role)
{
	Oid			oid = get_role_oid(role, true);

	return OidIsValid(oid) && is_member_of_role(GetUserId(), oid);
}

/*
 * The call site's cache: whether every row passes and the user's managers,
 * read at its first call.
 */
static RlsCache *
rls_cache(FunctionCallInfo fcinfo)
{
	RlsCache   *cache = (RlsCache *) fcinfo->flinfo->fn_extra;
	MemoryContext old;
	uint64		i;
	bool		isnull;
	int			nested;

	if (cache != NULL)
		return cache;
	nested = dunning_nested_reads_begin();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RlsCache));
	cache->cxt = fcinfo->flinfo->fn_mcxt;

	if (SPI_execute("SELECT NOT EXISTS (SELECT 1 FROM " DUNNING_SCHEMA ".row_security s "
					"WHERE s.enabled)", true, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "the row security setting could not be read");
	cache->all = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) ||
		member_of("dunning_admin");
	if (!cache->all)
	{
		if (SPI_execute("SELECT m.manager_id, m.role_name FROM " DUNNING_SCHEMA ".credit_manager m "
						"WHERE m.role_name IS NOT NULL", true, 0) != SPI_OK_SELECT)
			elog(ERROR, "the credit managers could not be read");
		old = MemoryContextSwitchTo(cache->cxt);
		cache->managers = palloc(sizeof(char *) * Max(1, SPI_processed));
		MemoryContextSwitchTo(old);
		for (i = 0; i < SPI_processed; i++)
		{
			char	   *role = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

			if (member_of(role))
				cache->managers[cache->nmanagers++] =
					MemoryContextStrdup(cache->cxt,
										SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
		}
		qsort(cache->managers, cache->nmanagers, sizeof(char *), cstring_cmp);
	}
	SPI_finish();
	dunning_nested_reads_end(nested);
	fcinfo->flinfo->fn_extra = cache;
	return cache;
}

/*
 * Does a customer pass: its manager is one of the user's.  The same
 * customer as the last one asked is answered without a read.
 */
static bool
customer_passes(RlsCache *cache, text *customer_id)
{
	char	   *id = text_to_cstring(customer_id);
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {PointerGetDatum(customer_id)};
	bool		passes;
	int			nested;

	if (cache->last_customer != NULL && strcmp(cache->last_customer, id) == 0)
	{
		pfree(id);
		return cache->last_passes;
	}
	nested = dunning_nested_reads_begin();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_plan(dunning_saved_plan(&customer_plan,
											"SELECT c.manager_id FROM " DUNNING_SCHEMA ".customer c "
											"WHERE c.customer_id OPERATOR(pg_catalog.=) $1",
											1, types),
						 args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "the customer's manager could not be read");
	passes = SPI_processed == 1 &&
		sorted_has(cache->managers, cache->nmanagers,
				   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	SPI_finish();
	dunning_nested_reads_end(nested);
	if (cache->last_customer != NULL)
		pfree(cache->last_customer);
	cache->last_customer = MemoryContextStrdup(cache->cxt, id);
	cache->last_passes = passes;
	pfree(id);
	return passes;
}

/*
 * dunning._rls_all(): every row passes (row security off, or the user is
 * a member of dunning_admin)
 */
PG_FUNCTION_INFO_V1(dunning_rls_all);
Datum
dunning_rls_all(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(rls_cache(fcinfo)->all);
}

/*
 * dunning._rls_manager(manager_id): a customer row of that manager passes
 */
PG_FUNCTION_INFO_V1(dunning_rls_manager);
Datum
dunning_rls_manager(PG_FUNCTION_ARGS)
{
	RlsCache   *cache = rls_cache(fcinfo);
	char	   *manager;
	bool		passes;

	if (cache->all)
		PG_RETURN_BOOL(true);
	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	manager = text_to_cstring(PG_GETARG_TEXT_PP(0));
	passes = sorted_has(cache->managers, cache->nmanagers, manager);
	pfree(manager);
	PG_RETURN_BOOL(passes);
}

/*
 * dunning._rls_customer(customer_id): a row of that customer passes
 */
PG_FUNCTION_INFO_V1(dunning_rls_customer);
Datum
dunning_rls_customer(PG_FUNCTION_ARGS)
{
	RlsCache   *cache = rls_cache(fcinfo);

	if (cache->all)
		PG_RETURN_BOOL(true);
	if (cache->nmanagers == 0 || PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(customer_passes(cache, PG_GETARG_TEXT_PP(0)));
}
