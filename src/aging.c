/*
 * aging.c
 *		The aging interval type dunning.aging and the bucket functions.
 *
 * An aging interval is a closed interval of whole days relative to a due
 * date: day 0 is the due date, positive days are days past due, negative
 * days are days before it.  Either end may be unbounded.  The internal form
 * is two int32, unbounded ends being stored as PG_INT32_MIN (lower) and
 * PG_INT32_MAX (upper), so that the natural order of the two words is the
 * order of the type: by lower bound, then by upper bound.
 */
#include "postgres.h"

#include <limits.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#endif
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rangetypes.h"
#include "utils/typcache.h"

#include "dunning.h"

typedef struct Aging
{
	int32		lo;
	int32		hi;
} Aging;

#define AGING_NEG_INF	PG_INT32_MIN
#define AGING_POS_INF	PG_INT32_MAX
#define AGING_MIN_BOUND (PG_INT32_MIN + 1)
#define AGING_MAX_BOUND (PG_INT32_MAX - 1)

#define DatumGetAgingP(X)		((Aging *) DatumGetPointer(X))
#define PG_GETARG_AGING_P(n)	DatumGetAgingP(PG_GETARG_DATUM(n))
#define PG_RETURN_AGING_P(x)	PG_RETURN_POINTER(x)

/* element properties of dunning.aging, for arrays */
#define AGING_TYPLEN	8
#define AGING_TYPBYVAL	false
#define AGING_TYPALIGN	TYPALIGN_INT

/*
 * Soft errors for the input function on 16+, so that pg_input_is_valid()
 * works; plain errors before.
 */
#if PG_VERSION_NUM >= 160000
#define AGING_ERROR(ctx, ...)	errsave(ctx, __VA_ARGS__)
#define AGING_FAILED(ctx)		SOFT_ERROR_OCCURRED(ctx)
#else
#define AGING_ERROR(ctx, ...)	ereport(ERROR, __VA_ARGS__)
#define AGING_FAILED(ctx)		false
#endif

/*
 * Allocate an aging value.
 */
static inline Aging *
aging_make(int32 lo, int32 hi)
{
	Aging	   *a = (Aging *) palloc(sizeof(Aging));

	a->lo = lo;
	a->hi = hi;
	return a;
}

/*
 * Skip white space.
 */
static inline const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/*
 * Parse one bound, an optionally negative whole number.  Returns false
 * (after reporting through escontext) when there is no number or it does not
 * fit; *end is set past the number.
 */
static bool
parse_bound(const char *p, const char **end, int32 *val, const char *lit,
			Node *escontext)
{
	bool		neg = false;
	int64		v = 0;
	const char *start;

	if (*p == '-')
	{
		neg = true;
		p++;
	}
	start = p;
	while (*p >= '0' && *p <= '9')
	{
		if (v <= (int64) PG_INT32_MAX + 1)
			v = v * 10 + (*p - '0');
		p++;
	}
	if (p == start)
	{
		AGING_ERROR(escontext,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type dunning.aging: \"%s\"", lit),
					 errdetail("Expected a whole number of days at \"%s\".",
							   *p ? p : "end of input")));
		return false;
	}
	if (neg)
		v = -v;
	if (v < AGING_MIN_BOUND || v > AGING_MAX_BOUND)
	{
		AGING_ERROR(escontext,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("bound of dunning.aging out of range in \"%s\"", lit),
					 errdetail("Bounds are whole days from %d to %d.",
							   AGING_MIN_BOUND, AGING_MAX_BOUND)));
		return false;
	}
	*val = (int32) v;
	*end = p;
	return true;
}

/*
 * Report junk at p.
 */
static void
report_junk(const char *p, const char *lit, Node *escontext)
{
	AGING_ERROR(escontext,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type dunning.aging: \"%s\"", lit),
				 errdetail("Unexpected \"%s\"; write an interval as 1..30, 31-60, 121+, ..0 or [31,60].", p)));
}

/*
 * Parse the text form of an aging interval into *out.  Accepted forms:
 * "a..b", "a..", "..b", "..", "a-b", "a+", "a", "[a,b]" with "(" or ")" for
 * an exclusive bound and either number left out for an unbounded end.
 */
static bool
aging_parse(const char *lit, Aging *out, Node *escontext)
{
	const char *p = skip_ws(lit);
	int32		lo = AGING_NEG_INF;
	int32		hi = AGING_POS_INF;

	if (*p == '\0')
	{
		AGING_ERROR(escontext,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type dunning.aging: \"%s\"", lit),
					 errdetail("The input is empty; write an interval as 1..30, 31-60, 121+, ..0 or [31,60].")));
		return false;
	}

	if (*p == '[' || *p == '(')
	{
		bool		lo_excl = (*p == '(');

		p = skip_ws(p + 1);
		if (*p != ',')
		{
			if (!parse_bound(p, &p, &lo, lit, escontext))
				return false;
			if (lo_excl)
			{
				if (lo >= AGING_MAX_BOUND)
				{
					AGING_ERROR(escontext,
								(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
								 errmsg("bound of dunning.aging out of range in \"%s\"", lit),
								 errdetail("Bounds are whole days from %d to %d.",
										   AGING_MIN_BOUND, AGING_MAX_BOUND)));
					return false;
				}
				lo++;
			}
			p = skip_ws(p);
		}
		if (*p != ',')
		{
			report_junk(*p ? p : "end of input", lit, escontext);
			return false;
		}
		p = skip_ws(p + 1);
		if (*p != ']' && *p != ')')
		{
			if (!parse_bound(p, &p, &hi, lit, escontext))
				return false;
			p = skip_ws(p);
			if (*p != ']' && *p != ')')
			{
				report_junk(*p ? p : "end of input", lit, escontext);
				return false;
			}
			if (*p == ')')
			{
				if (hi <= AGING_MIN_BOUND)
				{
					AGING_ERROR(escontext,
								(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
								 errmsg("bound of dunning.aging out of range in \"%s\"", lit),
								 errdetail("Bounds are whole days from %d to %d.",
										   AGING_MIN_BOUND, AGING_MAX_BOUND)));
					return false;
				}
				hi--;
			}
		}
		p = skip_ws(p + 1);
	}
	else if (p[0] == '.' && p[1] == '.')
	{
		p = skip_ws(p + 2);
		if (*p != '\0')
		{
			if (!parse_bound(p, &p, &hi, lit, escontext))
				return false;
			p = skip_ws(p);
		}
	}
	else
	{
		if (!parse_bound(p, &p, &lo, lit, escontext))
			return false;
		p = skip_ws(p);
		if (p[0] == '.' && p[1] == '.')
		{
			p = skip_ws(p + 2);
			if (*p != '\0')
			{
				if (!parse_bound(p, &p, &hi, lit, escontext))
					return false;
				p = skip_ws(p);
			}
		}
		else if (*p == '+')
			p = skip_ws(p + 1);
		else if (*p == '-')
		{
			p = skip_ws(p + 1);
			if (!parse_bound(p, &p, &hi, lit, escontext))
				return false;
			p = skip_ws(p);
		}
		else
			hi = lo;
	}

	if (*p != '\0')
	{
		report_junk(p, lit, escontext);
		return false;
	}
	if (lo > hi)
	{
		AGING_ERROR(escontext,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("lower bound of dunning.aging exceeds its upper bound in \"%s\"", lit),
					 errdetail("The interval starts at day %d and ends at day %d; write the smaller day first.",
							   lo, hi)));
		return false;
	}
	out->lo = lo;
	out->hi = hi;
	return true;
}

/*
 * Append the canonical text of a to buf: "1..30", "121..", "..0", "..".
 */
static void
aging_format(StringInfo buf, const Aging *a)
{
	if (a->lo != AGING_NEG_INF)
		appendStringInfo(buf, "%d", a->lo);
	appendStringInfoString(buf, "..");
	if (a->hi != AGING_POS_INF)
		appendStringInfo(buf, "%d", a->hi);
}

/*
 * Text of a for error messages, palloc'd.
 */
static char *
aging_text(const Aging *a)
{
	StringInfoData buf;

	initStringInfo(&buf);
	aging_format(&buf, a);
	return buf.data;
}

/*
 * Text input.
 */
PG_FUNCTION_INFO_V1(aging_in);
Datum
aging_in(PG_FUNCTION_ARGS)
{
	char	   *lit = PG_GETARG_CSTRING(0);
	Node	   *escontext = fcinfo->context;
	Aging		a;

	if (!aging_parse(lit, &a, escontext))
		PG_RETURN_NULL();
	PG_RETURN_AGING_P(aging_make(a.lo, a.hi));
}

/*
 * Text output, canonical.
 */
PG_FUNCTION_INFO_V1(aging_out);
Datum
aging_out(PG_FUNCTION_ARGS)
{
	Aging	   *a = PG_GETARG_AGING_P(0);

	PG_RETURN_CSTRING(aging_text(a));
}

/*
 * Binary input: two int4, unbounded ends as INT4 minimum and maximum;
 * validated like the text input.
 */
PG_FUNCTION_INFO_V1(aging_recv);
Datum
aging_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		lo = pq_getmsgint(buf, 4);
	int32		hi = pq_getmsgint(buf, 4);

	if (lo == AGING_POS_INF || hi == AGING_NEG_INF || lo > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external dunning.aging value"),
				 errdetail("The bounds received are %d and %d; the lower must not exceed the upper and neither may be infinite on the wrong side.",
						   lo, hi)));
	PG_RETURN_AGING_P(aging_make(lo, hi));
}

/*
 * Binary output.
 */
PG_FUNCTION_INFO_V1(aging_send);
Datum
aging_send(PG_FUNCTION_ARGS)
{
	Aging	   *a = PG_GETARG_AGING_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, a->lo);
	pq_sendint32(&buf, a->hi);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Three-way comparison: by lower bound, then by upper bound.
 */
static inline int
aging_compare(const Aging *a, const Aging *b)
{
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return 0;
}

/*
 * Btree support function.
 */
PG_FUNCTION_INFO_V1(aging_cmp);
Datum
aging_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(aging_compare(PG_GETARG_AGING_P(0), PG_GETARG_AGING_P(1)));
}

/*
 * a = b
 */
PG_FUNCTION_INFO_V1(aging_eq);
Datum
aging_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(aging_compare(PG_GETARG_AGING_P(0), PG_GETARG_AGING_P(1)) == 0);
}

/*
 * a <> b
 */
PG_FUNCTION_INFO_V1(aging_ne);
Datum
aging_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(aging_compare(PG_GETARG_AGING_P(0), PG_GETARG_AGING_P(1)) != 0);
}

/*
 * a < b
 */
PG_FUNCTION_INFO_V1(aging_lt);
Datum
aging_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(aging_compare(PG_GETARG_AGING_P(0), PG_GETARG_AGING_P(1)) < 0);
}

/*
 * a <= b
 */
PG_FUNCTION_INFO_V1(aging_le);
Datum
aging_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(aging_compare(PG_GETARG_AGING_P(0), PG_GETARG_AGING_P(1)) <= 0);
}

/*
 * a > b
 */
PG_FUNCTION_INFO_V1(aging_gt);
Datum
aging_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(aging_compare(PG_GETARG_AGING_P(0), PG_GETARG_AGING_P(1)) > 0);
}

/*
 * a >= b
 */
PG_FUNCTION_INFO_V1(aging_ge);
Datum
aging_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(aging_compare(PG_GETARG_AGING_P(0), PG_GETARG_AGING_P(1)) >= 0);
}

/*
 * Hash support function: the two words, so equal values hash equally.
 */
PG_FUNCTION_INFO_V1(aging_hash);
Datum
aging_hash(PG_FUNCTION_ARGS)
{
	Aging	   *a = PG_GETARG_AGING_P(0);

	return hash_any((const unsigned char *) a, sizeof(Aging));
}

/*
 * Extended hash support function, with a seed.
 */
PG_FUNCTION_INFO_V1(aging_hash_extended);
Datum
aging_hash_extended(PG_FUNCTION_ARGS)
{
	Aging	   *a = PG_GETARG_AGING_P(0);

	return hash_any_extended((const unsigned char *) a, sizeof(Aging),
							 PG_GETARG_INT64(1));
}

/*
 * Does a hold day d?
 */
static inline bool
aging_holds(const Aging *a, int32 d)
{
	return a->lo <= d && d <= a->hi;
}

/*
 * aging @> integer
 */
PG_FUNCTION_INFO_V1(aging_contains_day);
Datum
aging_contains_day(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(aging_holds(PG_GETARG_AGING_P(0), PG_GETARG_INT32(1)));
}

/*
 * integer <@ aging
 */
PG_FUNCTION_INFO_V1(aging_day_contained);
Datum
aging_day_contained(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(aging_holds(PG_GETARG_AGING_P(1), PG_GETARG_INT32(0)));
}

/*
 * aging @> aging
 */
PG_FUNCTION_INFO_V1(aging_contains);
Datum
aging_contains(PG_FUNCTION_ARGS)
{
	Aging	   *a = PG_GETARG_AGING_P(0);
	Aging	   *b = PG_GETARG_AGING_P(1);

	PG_RETURN_BOOL(a->lo <= b->lo && b->hi <= a->hi);
}

/*
 * aging <@ aging
 */
PG_FUNCTION_INFO_V1(aging_contained);
Datum
aging_contained(PG_FUNCTION_ARGS)
{
	Aging	   *a = PG_GETARG_AGING_P(0);
	Aging	   *b = PG_GETARG_AGING_P(1);

	PG_RETURN_BOOL(b->lo <= a->lo && a->hi <= b->hi);
}

/*
 * aging && aging: do the intervals share a day?
 */
PG_FUNCTION_INFO_V1(aging_overlaps);
Datum
aging_overlaps(PG_FUNCTION_ARGS)
{
	Aging	   *a = PG_GETARG_AGING_P(0);
	Aging	   *b = PG_GETARG_AGING_P(1);

	PG_RETURN_BOOL(a->lo <= b->hi && b->lo <= a->hi);
}

/*
 * lower(aging): first day, NULL when unbounded.
 */
PG_FUNCTION_INFO_V1(aging_lower);
Datum
aging_lower(PG_FUNCTION_ARGS)
{
	Aging	   *a = PG_GETARG_AGING_P(0);

	if (a->lo == AGING_NEG_INF)
		PG_RETURN_NULL();
	PG_RETURN_INT32(a->lo);
}

/*
 * upper(aging): last day, NULL when unbounded.
 */
PG_FUNCTION_INFO_V1(aging_upper);
Datum
aging_upper(PG_FUNCTION_ARGS)
{
	Aging	   *a = PG_GETARG_AGING_P(0);

	if (a->hi == AGING_POS_INF)
		PG_RETURN_NULL();
	PG_RETURN_INT32(a->hi);
}

/*
 * dunning.aging(lower, upper): constructor, NULL meaning unbounded.
 */
PG_FUNCTION_INFO_V1(aging_construct);
Datum
aging_construct(PG_FUNCTION_ARGS)
{
	int32		lo = PG_ARGISNULL(0) ? AGING_NEG_INF : PG_GETARG_INT32(0);
	int32		hi = PG_ARGISNULL(1) ? AGING_POS_INF : PG_GETARG_INT32(1);

	if ((!PG_ARGISNULL(0) && lo < AGING_MIN_BOUND) ||
		(!PG_ARGISNULL(1) && hi > AGING_MAX_BOUND))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("bound of dunning.aging out of range"),
				 errdetail("Bounds are whole days from %d to %d; pass NULL for an unbounded end.",
						   AGING_MIN_BOUND, AGING_MAX_BOUND)));
	if (lo > hi)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("lower bound of dunning.aging exceeds its upper bound"),
				 errdetail("The interval would start at day %d and end at day %d.", lo, hi)));
	PG_RETURN_AGING_P(aging_make(lo, hi));
}

/*
 * Type cache entry of int4range, kept in fn_extra.
 */
static TypeCacheEntry *
int4range_typcache(FunctionCallInfo fcinfo)
{
	TypeCacheEntry *typcache = (TypeCacheEntry *) fcinfo->flinfo->fn_extra;

	if (typcache == NULL)
	{
		typcache = lookup_type_cache(INT4RANGEOID, TYPECACHE_RANGE_INFO);
		fcinfo->flinfo->fn_extra = typcache;
	}
	return typcache;
}

/*
 * Cast aging to int4range: [lo, hi + 1), infinite ends kept.
 */
PG_FUNCTION_INFO_V1(aging_to_int4range);
Datum
aging_to_int4range(PG_FUNCTION_ARGS)
{
	Aging	   *a = PG_GETARG_AGING_P(0);
	TypeCacheEntry *typcache = int4range_typcache(fcinfo);
	RangeBound	lower;
	RangeBound	upper;

	lower.val = Int32GetDatum(a->lo);
	lower.infinite = (a->lo == AGING_NEG_INF);
	lower.inclusive = true;
	lower.lower = true;
	upper.val = Int32GetDatum(a->hi);
	upper.infinite = (a->hi == AGING_POS_INF);
	upper.inclusive = true;
	upper.lower = false;
#if PG_VERSION_NUM >= 160000
	PG_RETURN_RANGE_P(make_range(typcache, &lower, &upper, false, NULL));
#else
	PG_RETURN_RANGE_P(make_range(typcache, &lower, &upper, false));
#endif
}

/*
 * Cast int4range to aging; an empty range has no aging equivalent.
 */
PG_FUNCTION_INFO_V1(aging_from_int4range);
Datum
aging_from_int4range(PG_FUNCTION_ARGS)
{
	RangeType  *r = PG_GETARG_RANGE_P(0);
	TypeCacheEntry *typcache = int4range_typcache(fcinfo);
	RangeBound	lower;
	RangeBound	upper;
	bool		empty;
	int64		lo = AGING_NEG_INF;
	int64		hi = AGING_POS_INF;

	range_deserialize(typcache, r, &lower, &upper, &empty);
	if (empty)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot cast an empty int4range to dunning.aging"),
				 errdetail("An aging interval holds at least one day.")));
	if (!lower.infinite)
		lo = (int64) DatumGetInt32(lower.val) + (lower.inclusive ? 0 : 1);
	if (!upper.infinite)
		hi = (int64) DatumGetInt32(upper.val) - (upper.inclusive ? 0 : 1);
	if ((!lower.infinite && (lo < AGING_MIN_BOUND || lo > AGING_MAX_BOUND)) ||
		(!upper.infinite && (hi < AGING_MIN_BOUND || hi > AGING_MAX_BOUND)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("int4range bound out of range for dunning.aging"),
				 errdetail("Bounds are whole days from %d to %d.",
						   AGING_MIN_BOUND, AGING_MAX_BOUND)));
	PG_RETURN_AGING_P(aging_make((int32) lo, (int32) hi));
}

/*
 * A bucket scheme parsed once per call site: the elements sorted by lower
 * bound and checked for gaps and overlaps.  The raw bytes of the array are
 * kept as the key, so a scheme that changes from row to row is re-parsed
 * and one that does not costs a memcmp.
 */
typedef struct SchemeCache
{
	MemoryContext cxt;			/* holds key and elems */
	bool		stable;			/* argument cannot change during the scan */
	bool		valid;
	Size		keylen;
	char	   *key;
	int			n;
	Aging	   *elems;
} SchemeCache;

/*
 * qsort comparator for aging values.
 */
static int
aging_qsort_cmp(const void *a, const void *b)
{
	return aging_compare((const Aging *) a, (const Aging *) b);
}

/*
 * Parse and check a scheme array into cache (in cache->cxt).
 */
static void
scheme_load(SchemeCache *cache, ArrayType *arr)
{
	int			nitems = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	Datum	   *elems;
	bool	   *nulls;
	int			i;

	if (nitems == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("aging scheme is empty"),
				 errdetail("A scheme lists the buckets, for example dunning.default_scheme().")));
	deconstruct_array(arr, ARR_ELEMTYPE(arr), AGING_TYPLEN, AGING_TYPBYVAL,
					  AGING_TYPALIGN, &elems, &nulls, &nitems);
	cache->elems = (Aging *) palloc(sizeof(Aging) * nitems);
	for (i = 0; i < nitems; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("aging scheme contains a NULL bucket"),
					 errdetail("Element %d of the scheme is NULL; every bucket must be an interval.", i + 1)));
		cache->elems[i] = *DatumGetAgingP(elems[i]);
	}
	qsort(cache->elems, nitems, sizeof(Aging), aging_qsort_cmp);
	for (i = 1; i < nitems; i++)
	{
		Aging	   *prev = &cache->elems[i - 1];
		Aging	   *cur = &cache->elems[i];

		if (prev->hi >= cur->lo)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("aging scheme has overlapping buckets"),
					 errdetail("Buckets %s and %s share days; each day must fall in one bucket.",
							   aging_text(prev), aging_text(cur))));
		if ((int64) prev->hi + 1 < (int64) cur->lo)
		{
			char	   *gap = (prev->hi + 1 == cur->lo - 1) ?
				psprintf("day %d falls", prev->hi + 1) :
				psprintf("days %d to %d fall", prev->hi + 1, cur->lo - 1);

			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("aging scheme has a gap"),
					 errdetail("Between buckets %s and %s, %s in no bucket.",
							   aging_text(prev), aging_text(cur), gap)));
		}
	}
	cache->n = nitems;
}

/*
 * Get the parsed scheme of argument argno, from the cache when unchanged.
 */
static SchemeCache *
scheme_get(FunctionCallInfo fcinfo, int argno)
{
	SchemeCache *cache = (SchemeCache *) fcinfo->flinfo->fn_extra;
	Datum		d = PG_GETARG_DATUM(argno);
	struct varlena *raw = (struct varlena *) DatumGetPointer(d);
	bool		inline_form = VARATT_IS_4B_U(raw) ||
		(VARATT_IS_1B(raw) && !VARATT_IS_1B_E(raw));
	MemoryContext old;
	ArrayType  *arr;

	if (cache == NULL)
	{
		cache = (SchemeCache *) MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
													   sizeof(SchemeCache));
		cache->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
										   "dunning aging scheme",
										   ALLOCSET_SMALL_SIZES);
		cache->stable = get_fn_expr_arg_stable(fcinfo->flinfo, argno);
		fcinfo->flinfo->fn_extra = cache;
	}
	if (cache->valid)
	{
		if (cache->stable)
			return cache;
		if (inline_form &&
			VARSIZE_ANY_EXHDR(raw) == cache->keylen &&
			memcmp(VARDATA_ANY(raw), cache->key, cache->keylen) == 0)
			return cache;
	}

	/* (re)load: everything lives in cache->cxt, reset first */
	cache->valid = false;
	MemoryContextReset(cache->cxt);
	old = MemoryContextSwitchTo(cache->cxt);
	arr = DatumGetArrayTypeP(d);
	scheme_load(cache, arr);
	cache->keylen = VARSIZE(arr) - VARHDRSZ;
	cache->key = palloc(cache->keylen);
	memcpy(cache->key, VARDATA(arr), cache->keylen);
	MemoryContextSwitchTo(old);
	cache->valid = true;
	return cache;
}

/*
 * Index of the bucket of scheme that holds day d, or -1.
 */
static int
scheme_find(const SchemeCache *cache, int32 d)
{
	int			lo = 0;
	int			hi = cache->n - 1;

	/* binary search on the sorted, disjoint buckets */
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		const Aging *b = &cache->elems[mid];

		if (d < b->lo)
			hi = mid - 1;
		else if (d > b->hi)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

/*
 * dunning.bucket(days, scheme): the bucket of the scheme that holds days,
 * NULL when none does.  A NULL scheme is an error, a NULL day gives NULL.
 */
PG_FUNCTION_INFO_V1(aging_bucket);
Datum
aging_bucket(PG_FUNCTION_ARGS)
{
	SchemeCache *cache;
	int			i;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("aging scheme must not be null"),
				 errdetail("Pass a scheme such as dunning.default_scheme(), or leave the argument out.")));
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	cache = scheme_get(fcinfo, 1);
	i = scheme_find(cache, PG_GETARG_INT32(0));
	if (i < 0)
		PG_RETURN_NULL();
	PG_RETURN_AGING_P(aging_make(cache->elems[i].lo, cache->elems[i].hi));
}

/*
 * Language code reduced to what label() knows: "fr", "fr_BE", "FR-fr" give
 * "fr".  Returns 0 for English, 1 for French.
 */
static int
label_language(text *lang)
{
	char	   *s = VARDATA_ANY(lang);
	int			len = VARSIZE_ANY_EXHDR(lang);
	char		l0,
				l1;

	if (len >= 2 && (len == 2 || s[2] == '_' || s[2] == '-'))
	{
		l0 = pg_ascii_tolower((unsigned char) s[0]);
		l1 = pg_ascii_tolower((unsigned char) s[1]);
		if (l0 == 'e' && l1 == 'n')
			return 0;
		if (l0 == 'f' && l1 == 'r')
			return 1;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unsupported language for dunning.label: \"%s\"",
					text_to_cstring(lang)),
			 errdetail("Labels exist in English (en) and French (fr).")));
	return 0;					/* keep compiler quiet */
}

/*
 * dunning.label(aging, language): a credit manager's name for a bucket,
 * "1-30 days", "over 120 days", "not due"; in French "1 à 30 jours",
 * "plus de 120 jours", "non échu".
 */
PG_FUNCTION_INFO_V1(aging_label);
Datum
aging_label(PG_FUNCTION_ARGS)
{
	Aging	   *a;
	bool		fr;
	bool		lo_inf;
	bool		hi_inf;
	StringInfoData buf;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("language must not be null"),
				 errdetail("Pass 'en' or 'fr', or leave the argument out for English.")));
	fr = label_language(PG_GETARG_TEXT_PP(1)) == 1;
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	a = PG_GETARG_AGING_P(0);
	lo_inf = (a->lo == AGING_NEG_INF);
	hi_inf = (a->hi == AGING_POS_INF);
	initStringInfo(&buf);

	if (lo_inf && hi_inf)
		appendStringInfoString(&buf, fr ? "tous" : "all");
	else if (!hi_inf && a->hi <= 0)
	{
		/* not yet due */
		if (lo_inf && a->hi == 0)
			appendStringInfoString(&buf, fr ? "non échu" : "not due");
		else if (lo_inf)
			appendStringInfo(&buf, fr ? "échéance dans plus de %d jours" : "due in over %d days",
							 -a->hi - 1);
		else if (a->lo == 0)
			appendStringInfoString(&buf, fr ? "échéance aujourd'hui" : "due today");
		else if (a->hi == 0)
			appendStringInfo(&buf, fr ? "échéance sous %d jours" : "due within %d days",
							 -a->lo);
		else if (a->lo == a->hi)
			appendStringInfo(&buf, fr ? "échéance dans %d jour%s" : "due in %d day%s",
							 -a->lo, -a->lo == 1 ? "" : "s");
		else
			appendStringInfo(&buf, fr ? "échéance dans %d à %d jours" : "due in %d-%d days",
							 -a->hi, -a->lo);
	}
	else if (!lo_inf && a->lo >= 1)
	{
		/* overdue */
		if (hi_inf && a->lo == 1)
			appendStringInfoString(&buf, fr ? "échu" : "overdue");
		else if (hi_inf)
			appendStringInfo(&buf, fr ? "plus de %d jours" : "over %d days", a->lo - 1);
		else if (a->lo == a->hi)
			appendStringInfo(&buf, fr ? "%d jour%s" : "%d day%s",
							 a->lo, a->lo == 1 ? "" : "s");
		else
			appendStringInfo(&buf, fr ? "%d à %d jours" : "%d-%d days", a->lo, a->hi);
	}
	else
	{
		/* straddles the due date */
		if (lo_inf)
			appendStringInfo(&buf, fr ? "jusqu'à %d jours" : "up to %d days", a->hi);
		else if (hi_inf)
			appendStringInfo(&buf, fr ? "%d jours et plus" : "%d days and over", a->lo);
		else
			appendStringInfo(&buf, fr ? "de %d à %d jours" : "from %d to %d days", a->lo, a->hi);
	}
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}
