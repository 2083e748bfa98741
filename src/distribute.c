/*
 * distribute.c
 *		The planner hook that lets Citus see the tables behind the views of
 *		a distributed ledger (README "Outgrowing one server").
 *
 * The views are SQL function twins that PostgreSQL's planner inlines into
 * the query.  Citus decides whether a query is distributed before that
 * inlining: it sees a function in FROM, lets PostgreSQL plan the query
 * locally, finds the distributed tables once the bodies are inlined, and
 * refuses ("parameterized queries for SQL functions referencing distributed
 * tables are not supported").  On a database whose dunning.entry is
 * distributed, this hook does the inlining first, then hands the query to
 * the next planner (Citus's, when dunning is loaded after citus:
 * shared_preload_libraries = 'citus,dunning'):
 *   - a call of one of dunning's SQL set-returning functions in FROM is
 *     replaced by its body, as the planner would do it;
 *   - a call of aged_balance, a pass in C that would read every entry into
 *     the coordinator, becomes one of _aged_balance_sql, the same lines
 *     grouped by customer in SQL, which runs on the shards;
 *   - dunning.as_of() becomes the day it returns now: the workers do not
 *     have the session's settings (a change of dunning.as_of or
 *     dunning.time_zone discards this backend's cached plans); so does
 *     current_setting('dunning.language', true), the language of
 *     open_items' labels (and a change of dunning.language);
 *   - (SELECT expression) with no FROM and no column of the query becomes
 *     the expression: Citus refuses such init plans beside an outer join.
 * And on any database with Citus, a call that Citus would delegate to the
 * customer's node, of a customer given as NULL, stays here
 * (hide_null_customer).  On one server, and for every query that calls
 * none of dunning's functions in FROM, the query is planned as it was
 * written.
 *
 * And on any database, an executor hook: a plan that calls one of
 * dunning's functions (the views' plans all do) is not compiled by JIT
 * unless dunning.jit is on.  The whole ledger's proposal or item status
 * costs more than the server's jit_above_cost, and compiling their
 * hundreds of expressions, in the leader and in each parallel worker,
 * costs more than it saves (bench/README.md, "JIT").  At the executor's
 * start rather than in the planner: a session's first query is planned
 * before dunning's library is loaded (it loads when the planner first
 * evaluates one of its functions).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "jit/jit.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/planner.h"
#include "parser/parse_func.h"
#include "rewrite/rewriteManip.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/syscache.h"

#include "dunning.h"

static planner_hook_type prev_planner_hook = NULL;
static ExecutorStart_hook_type prev_executor_start = NULL;

/* true once this backend folded dunning.as_of() into a plan */
static bool folded_as_of = false;

typedef struct InlineContext
{
	PlannerInfo *root;			/* collects the inlined functions' dependencies */
	Oid			namespace;		/* dunning's schema */
	Oid			as_of_fn;		/* dunning.as_of() */
	Const	   *day;			/* what it returns now */
	Const	   *language;		/* current_setting('dunning.language', true) now */
	Oid			aged_balance[2];	/* aged_balance(date), (date, text[]) in C */
	Oid			aged_balance_sql;	/* _aged_balance_sql(date, text[]) */
} InlineContext;

static Node *inline_mutator(Node *node, InlineContext *cx);

/*
 * Is this range table entry a call of one of dunning's functions (only of
 * its SQL functions when sql_only)?
 */
static bool
dunning_call(RangeTblEntry *rte, Oid namespace, bool sql_only)
{
	RangeTblFunction *rtfunc;
	HeapTuple	tuple;
	bool		ours;

	if (rte->rtekind != RTE_FUNCTION || rte->funcordinality || list_length(rte->functions) != 1)
		return false;
	rtfunc = linitial_node(RangeTblFunction, rte->functions);
	if (!IsA(rtfunc->funcexpr, FuncExpr))
		return false;
	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(((FuncExpr *) rtfunc->funcexpr)->funcid));
	if (!HeapTupleIsValid(tuple))
		return false;
	ours = ((Form_pg_proc) GETSTRUCT(tuple))->pronamespace == namespace &&
		(!sql_only || ((Form_pg_proc) GETSTRUCT(tuple))->prolang == SQLlanguageId);
	ReleaseSysCache(tuple);
	return ours;
}

/* does any query in the tree call one of dunning's functions in FROM? */
static bool
calls_dunning_walker(Node *node, Oid *namespace)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
		return dunning_call((RangeTblEntry *) node, *namespace, false);
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, calls_dunning_walker, namespace,
								 QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, calls_dunning_walker, namespace);
}

/*
 * Is dunning.entry a distributed table here?  pg_dist_partition read
 * directly: the planner does not run SQL.
 */
static bool
ledger_is_distributed(Oid namespace)
{
	Oid			entry;
	Oid			partition;
	AttrNumber	att;
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	bool		found;

	if (!OidIsValid(get_extension_oid("citus", true)))
		return false;
	entry = get_relname_relid("entry", namespace);
	partition = get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE);
	if (!OidIsValid(entry) || !OidIsValid(partition))
		return false;
	att = get_attnum(partition, "logicalrelid");
	if (att == InvalidAttrNumber)
		return false;
	rel = table_open(partition, AccessShareLock);
	ScanKeyInit(&key, att, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(entry));
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Does the expression read a column of a query, at any level, or hold a
 * subquery or an aggregate of its own (or, unless *params_allowed, a
 * parameter)?
 */
static bool
reads_the_query(Node *node, bool *params_allowed)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param))
		return !*params_allowed;
	if (IsA(node, Var) || IsA(node, PlaceHolderVar) ||
		IsA(node, Aggref) || IsA(node, GroupingFunc) || IsA(node, WindowFunc) ||
		IsA(node, SubLink) || IsA(node, Query))
		return true;
	return expression_tree_walker(node, reads_the_query, params_allowed);
}

/*
 * Is this sublink (SELECT expression), with no FROM, no column of any query
 * and nothing that must run once: an expression the query can carry as it
 * is?
 */
static bool
trivial_sublink(SubLink *sublink)
{
	Query	   *q;
	TargetEntry *tle;
	bool		no = false;

	if (sublink->subLinkType != EXPR_SUBLINK || !IsA(sublink->subselect, Query))
		return false;
	q = (Query *) sublink->subselect;
	if (q->commandType != CMD_SELECT || q->rtable != NIL || q->jointree == NULL ||
		q->jointree->fromlist != NIL || q->jointree->quals != NULL ||
		q->hasAggs || q->hasWindowFuncs || q->hasTargetSRFs || q->hasSubLinks ||
		q->cteList != NIL || q->groupClause != NIL || q->groupingSets != NIL ||
		q->havingQual != NULL || q->sortClause != NIL || q->distinctClause != NIL ||
		q->limitCount != NULL || q->limitOffset != NULL || q->setOperations != NULL ||
		q->rowMarks != NIL || list_length(q->targetList) != 1)
		return false;
	tle = linitial_node(TargetEntry, q->targetList);
	return !tle->resjunk &&
		!reads_the_query((Node *) tle->expr, &no) &&
		!contain_volatile_functions((Node *) tle->expr);
}

/*
 * The output columns of an inlined body named as the function names them:
 * Citus writes the subquery out as SQL for the workers, and the query
 * around it reads those names.
 */
static void
name_columns(Query *body, List *colnames)
{
	ListCell   *lc;
	ListCell   *name = list_head(colnames);

	foreach(lc, body->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (tle->resjunk || name == NULL)
			continue;
		tle->resname = pstrdup(strVal(lfirst(name)));
		name = lnext(colnames, name);
	}
}

/*
 * A call of aged_balance (its pass in C would read the whole ledger into
 * this backend) made a call of _aged_balance_sql, which gives the same
 * lines in SQL.
 */
static void
swap_aged_balance(RangeTblEntry *rte, InlineContext *cx)
{
	FuncExpr   *call;

	if (rte->rtekind != RTE_FUNCTION || rte->funcordinality || list_length(rte->functions) != 1 ||
		!IsA(linitial_node(RangeTblFunction, rte->functions)->funcexpr, FuncExpr) ||
		!OidIsValid(cx->aged_balance_sql))
		return;
	call = (FuncExpr *) linitial_node(RangeTblFunction, rte->functions)->funcexpr;
	/* arguments the planner would not inline (a subquery): the pass in C */
	if (contain_volatile_functions((Node *) call->args) || checkExprHasSubLink((Node *) call->args))
		return;
	if (call->funcid == cx->aged_balance[0] && list_length(call->args) == 1)
		call->args = lappend(call->args, makeNullConst(TEXTARRAYOID, -1, InvalidOid));
	else if (call->funcid != cx->aged_balance[1] || !IsA(lsecond(call->args), Const) ||
			 ((Const *) lsecond(call->args))->constisnull)
		return;					/* customer_ids not known now: the pass in C checks them */
	call->funcid = cx->aged_balance_sql;
}

/* the arguments of a call that read no column, as values */
static void
fold_arguments(RangeTblFunction *rtfunc, InlineContext *cx)
{
	FuncExpr   *call = (FuncExpr *) rtfunc->funcexpr;
	ListCell   *lc;
	bool		yes = true;

	foreach(lc, call->args)
	{
		Node	   *arg = lfirst(lc);

		if (IsA(arg, Const) || contain_volatile_functions(arg) || reads_the_query(arg, &yes))
			continue;
		lfirst(lc) = estimate_expression_value(cx->root, arg);
	}
}

/*
 * The GROUP BY keys of a query that are a column with a collation given
 * (customer_id COLLATE "C": reminder_proposal sorts its groups as bytes),
 * made the column itself, when both collations are deterministic: the same
 * groups, and Citus then sees the distribution column it pushes a grouped
 * query down to the shards by.
 */
static void
group_by_columns(Query *query)
{
	ListCell   *lc;

	foreach(lc, query->groupClause)
	{
		TargetEntry *tle = get_sortgroupclause_tle(lfirst_node(SortGroupClause, lc),
												   query->targetList);
		CollateExpr *ce;

		if (!IsA(tle->expr, CollateExpr))
			continue;
		ce = (CollateExpr *) tle->expr;
		if (IsA(ce->arg, Var) && OidIsValid(((Var *) ce->arg)->varcollid) &&
			get_collation_isdeterministic(((Var *) ce->arg)->varcollid) &&
			get_collation_isdeterministic(ce->collOid))
			tle->expr = ce->arg;
	}
}

/*
 * A query: the calls of dunning's SQL functions in its FROM replaced by
 * their bodies, then everything in it (the new subqueries included) seen by
 * inline_mutator.  Changed in place.
 */
static Query *
inline_query(Query *query, InlineContext *cx)
{
	ListCell   *lc;

	foreach(lc, query->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		Query	   *body;

		if (!dunning_call(rte, cx->namespace, false))
			continue;
		/*
		 * The arguments first: the body receives the day, not the call.  An
		 * argument that reads no column (current_date, a bound parameter)
		 * is computed now, as dunning.as_of() is.
		 */
		rte->functions = (List *) inline_mutator((Node *) rte->functions, cx);
		/* the defaults of the arguments not given are added here */
		rte->functions = (List *) eval_const_expressions(cx->root, (Node *) rte->functions);
		fold_arguments(linitial_node(RangeTblFunction, rte->functions), cx);
		swap_aged_balance(rte, cx);
		if (!dunning_call(rte, cx->namespace, true))
			continue;
		body = inline_set_returning_function(cx->root, rte);
		if (body == NULL)
			continue;
		name_columns(body, rte->eref->colnames);
		rte->rtekind = RTE_SUBQUERY;
		rte->subquery = body;
		rte->security_barrier = false;
		rte->functions = NIL;
		rte->funcordinality = false;
	}
	group_by_columns(query);
	return query_tree_mutator(query, inline_mutator, cx, QTW_DONT_COPY_QUERY);
}

/*
 * Is this current_setting('dunning.language', true), which the open_items
 * view reads for its labels?  A worker does not have the session's
 * settings: the call becomes the value it returns now.
 */
static bool
is_language_setting(Node *node)
{
	FuncExpr   *f;
	Const	   *name;

	if (!IsA(node, FuncExpr))
		return false;
	f = (FuncExpr *) node;
	if (f->funcid != F_CURRENT_SETTING_TEXT_BOOL || !IsA(linitial(f->args), Const))
		return false;
	name = linitial_node(Const, f->args);
	return !name->constisnull && name->consttype == TEXTOID &&
		strcmp(TextDatumGetCString(name->constvalue), "dunning.language") == 0;
}

static Node *
inline_mutator(Node *node, InlineContext *cx)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Query))
		return (Node *) inline_query((Query *) node, cx);
	if (IsA(node, FuncExpr) && ((FuncExpr *) node)->funcid == cx->as_of_fn)
		return (Node *) copyObject(cx->day);
	if (is_language_setting(node))
		return (Node *) copyObject(cx->language);
	if (IsA(node, SubLink) && trivial_sublink((SubLink *) node))
	{
		Query	   *q = (Query *) ((SubLink *) node)->subselect;

		return inline_mutator((Node *) linitial_node(TargetEntry, q->targetList)->expr, cx);
	}
	return expression_tree_mutator(node, inline_mutator, cx);
}

/* is parameter paramid bound, to NULL (a custom plan's value)? */
static bool
bound_null(ParamListInfo params, int paramid)
{
	ParamExternData space;
	ParamExternData *p;

	if (params == NULL || paramid <= 0 || paramid > params->numParams)
		return false;
	p = params->paramFetch != NULL ?
		params->paramFetch(params, paramid, false, &space) : &params->params[paramid - 1];
	return p != NULL && OidIsValid(p->ptype) && p->isnull;
}

/*
 * A call of one of dunning's functions, of a customer given as NULL, where
 * Citus would delegate it (SELECT f(...) or SELECT ... FROM f(...)): the
 * NULL hidden in an expression Citus does not take for a value, so that the
 * function runs here and refuses the NULL itself.  Citus 13.2 hashes the
 * NULL to find the customer's shard and the backend crashes.
 */
static void
hide_null_customer(Query *parse, Oid namespace, ParamListInfo boundParams)
{
	List	   *calls = NIL;
	ListCell   *lc;

	if (parse->commandType != CMD_SELECT)
		return;
	foreach(lc, parse->targetList)
		if (IsA(lfirst_node(TargetEntry, lc)->expr, FuncExpr))
			calls = lappend(calls, lfirst_node(TargetEntry, lc)->expr);
	foreach(lc, parse->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_FUNCTION && list_length(rte->functions) == 1 &&
			IsA(linitial_node(RangeTblFunction, rte->functions)->funcexpr, FuncExpr))
			calls = lappend(calls, linitial_node(RangeTblFunction, rte->functions)->funcexpr);
	}
	foreach(lc, calls)
	{
		FuncExpr   *call = lfirst(lc);
		Const	   *first;
		CaseExpr   *hidden;
		CaseWhen   *when;
		NullTest   *test;

		Node	   *arg = call->args != NIL ? linitial(call->args) : NULL;

		if (arg != NULL && IsA(arg, Param) && ((Param *) arg)->paramkind == PARAM_EXTERN &&
			bound_null(boundParams, ((Param *) arg)->paramid))
			arg = (Node *) makeNullConst(((Param *) arg)->paramtype, ((Param *) arg)->paramtypmod,
										 ((Param *) arg)->paramcollid);
		if (arg == NULL || !IsA(arg, Const) || !((Const *) arg)->constisnull ||
			get_func_namespace(call->funcid) != namespace)
			continue;
		/* (only now, so that other queries cost no catalog read) */
		if (!OidIsValid(get_extension_oid("citus", true)))
			return;
		first = (Const *) arg;
		/* CASE WHEN now() IS NOT NULL THEN NULL END: NULL, and not a constant */
		test = makeNode(NullTest);
		test->arg = (Expr *) makeFuncExpr(F_NOW, TIMESTAMPTZOID, NIL, InvalidOid, InvalidOid,
										  COERCE_EXPLICIT_CALL);
		test->nulltesttype = IS_NOT_NULL;
		test->location = -1;
		when = makeNode(CaseWhen);
		when->expr = (Expr *) test;
		when->result = (Expr *) copyObject(first);
		when->location = -1;
		hidden = makeNode(CaseExpr);
		hidden->casetype = first->consttype;
		hidden->casecollid = first->constcollid;
		hidden->args = list_make1(when);
		hidden->defresult = (Expr *) copyObject(first);
		hidden->location = -1;
		linitial(call->args) = hidden;
	}
}

/* the function dunning.<name>(types), or InvalidOid */
static Oid
dunning_function(const char *name, int nargs, const Oid *types)
{
	return LookupFuncName(list_make2(makeString(DUNNING_SCHEMA), makeString(pstrdup(name))),
						  nargs, types, true);
}

/*
 * The hook: a query that calls dunning's SQL functions, on a database whose
 * ledger is distributed, is inlined before the next planner sees it.
 */
static PlannedStmt *
dunning_planner(Query *parse, const char *query_string, int cursorOptions,
				ParamListInfo boundParams)
{
	PlannerGlobal glob = {0};
	PlannerInfo root = {0};
	Oid			namespace = InvalidOid;
	PlannedStmt *result;
	bool		inlined = false;

	if (IsTransactionState() && !IsBootstrapProcessingMode())
		namespace = get_namespace_oid(DUNNING_SCHEMA, true);
	if (OidIsValid(namespace) &&
		calls_dunning_walker((Node *) parse, &namespace) &&
		ledger_is_distributed(namespace))
	{
		InlineContext cx;
		Oid			no_args[1] = {InvalidOid};
		Oid			day_arg[1] = {DATEOID};
		Oid			day_and_ids[2] = {DATEOID, TEXTARRAYOID};

		glob.type = T_PlannerGlobal;
		glob.boundParams = boundParams;
		root.type = T_PlannerInfo;
		root.glob = &glob;
		root.parse = parse;
		root.query_level = 1;
		cx.root = &root;
		cx.namespace = namespace;
		cx.as_of_fn = dunning_function("as_of", 0, no_args);
		cx.aged_balance[0] = dunning_function("aged_balance", 1, day_arg);
		cx.aged_balance[1] = dunning_function("aged_balance", 2, day_and_ids);
		cx.aged_balance_sql = dunning_function("_aged_balance_sql", 2, day_and_ids);
		cx.day = makeConst(DATEOID, -1, InvalidOid, sizeof(DateADT),
						   DateADTGetDatum(dunning_as_of_now()), false, true);
		{
			const char *language = GetConfigOption("dunning.language", true, false);

			cx.language = language == NULL
				? makeNullConst(TEXTOID, -1, DEFAULT_COLLATION_OID)
				: makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1,
							CStringGetTextDatum(language), false, false);
		}
		(void) inline_query(parse, &cx);
		folded_as_of = true;
		inlined = true;
	}
	/* after the inlining, which computes the arguments that read no column */
	if (OidIsValid(namespace))
		hide_null_customer(parse, namespace, boundParams);
	if (prev_planner_hook)
		result = prev_planner_hook(parse, query_string, cursorOptions, boundParams);
	else
		result = standard_planner(parse, query_string, cursorOptions, boundParams);
	if (inlined)
	{
		/* the plan depends on the inlined functions as the planner's own would */
		result->invalItems = list_concat(result->invalItems, glob.invalItems);
		result->dependsOnRole |= glob.dependsOnRole;
	}
	return result;
}

/*
 * A setting the day depends on changed: plans that folded the day in are
 * planned again.
 */
void
dunning_day_changed(void)
{
	if (folded_as_of)
		ResetPlanCache();
}

/*
 * The queries dunning's C functions make of their own inside a query that
 * Citus runs on a shard: the configuration they read through SPI and keep
 * (policies and levels, reference rates, holidays: reference tables there)
 * and the interest of an item the proposal charges (the item's allocations
 * and reminders: the co-located shards of the same node).  Citus refuses
 * them unless citus.allow_nested_distributed_execution is on.  A reference
 * table has a copy on every node and a customer's rows are all on the
 * node of its shard: Citus reads both locally, in the same transaction, so
 * the nesting is safe for these reads, and the setting is on for them only
 * (restored at the end, or by the abort of the transaction or
 * subtransaction on an error).  Without Citus, nothing.
 */
#define CITUS_NESTED "citus.allow_nested_distributed_execution"

int
dunning_nested_reads_begin(void)
{
	const char *now = GetConfigOption(CITUS_NESTED, true, false);
	int			level;

	/* no Citus, or on already: nothing to set, nothing to restore */
	if (now == NULL || strcmp(now, "on") == 0)
		return 0;
	level = NewGUCNestLevel();
	(void) set_config_option(CITUS_NESTED, "on", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

void
dunning_nested_reads_end(int level)
{
	if (level > 0)
		AtEOXact_GUC(true, level);
}

/* does the expression call a function or aggregate of dunning's schema? */
static bool
expr_calls_dunning(Node *node, Oid *namespace)
{
	Oid			fn = InvalidOid;

	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr))
		fn = ((FuncExpr *) node)->funcid;
	else if (IsA(node, Aggref))
		fn = ((Aggref *) node)->aggfnoid;
	else if (IsA(node, WindowFunc))
		fn = ((WindowFunc *) node)->winfnoid;
	if (OidIsValid(fn) && get_func_namespace(fn) == *namespace)
		return true;
	return expression_tree_walker(node, expr_calls_dunning, namespace);
}

/*
 * Does a node of the plan call one of dunning's functions in its output,
 * its filters or its function scans?  (Only the nodes' general
 * expressions and children: a plan that calls them only elsewhere, in an
 * index condition for instance, is left to the server's settings.)
 */
static bool
plan_calls_dunning(Plan *plan, Oid *namespace)
{
	ListCell   *lc;
	List	   *children = NIL;

	if (plan == NULL)
		return false;
	if (expr_calls_dunning((Node *) plan->targetlist, namespace) ||
		expr_calls_dunning((Node *) plan->qual, namespace))
		return true;
	switch (nodeTag(plan))
	{
		case T_FunctionScan:
			if (expr_calls_dunning((Node *) ((FunctionScan *) plan)->functions, namespace))
				return true;
			break;
		case T_NestLoop:
		case T_MergeJoin:
		case T_HashJoin:
			if (expr_calls_dunning((Node *) ((Join *) plan)->joinqual, namespace))
				return true;
			break;
		case T_Append:
			children = ((Append *) plan)->appendplans;
			break;
		case T_MergeAppend:
			children = ((MergeAppend *) plan)->mergeplans;
			break;
		case T_SubqueryScan:
			children = list_make1(((SubqueryScan *) plan)->subplan);
			break;
		case T_CustomScan:
			children = ((CustomScan *) plan)->custom_plans;
			break;
		default:
			break;
	}
	foreach(lc, children)
		if (plan_calls_dunning(lfirst(lc), namespace))
			return true;
	return plan_calls_dunning(plan->lefttree, namespace) ||
		plan_calls_dunning(plan->righttree, namespace);
}

/*
 * The executor hook: a plan the planner chose to compile by JIT is run
 * without it when it calls dunning's functions and dunning.jit is off.
 * The statement is copied, not changed: a cached plan keeps its flags for
 * the day dunning.jit is on.
 */
static void
dunning_executor_start(QueryDesc *queryDesc, int eflags)
{
	PlannedStmt *stmt = queryDesc->plannedstmt;

	if (!dunning_jit && stmt != NULL && stmt->jitFlags != PGJIT_NONE &&
		IsTransactionState())
	{
		Oid			namespace = get_namespace_oid(DUNNING_SCHEMA, true);
		bool		calls = false;
		ListCell   *lc;

		if (OidIsValid(namespace))
		{
			calls = plan_calls_dunning(stmt->planTree, &namespace);
			foreach(lc, stmt->subplans)
				if (!calls)
					calls = plan_calls_dunning(lfirst(lc), &namespace);
		}
		if (calls)
		{
			PlannedStmt *copy = MemoryContextAlloc(GetMemoryChunkContext(queryDesc),
												   sizeof(PlannedStmt));

			*copy = *stmt;
			copy->jitFlags = PGJIT_NONE;
			queryDesc->plannedstmt = copy;
		}
	}
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/*
 * Module load: install the hooks.
 */
void
dunning_distribute_init(void)
{
	prev_planner_hook = planner_hook;
	planner_hook = dunning_planner;
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = dunning_executor_start;
}
