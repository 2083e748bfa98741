/*
 * interest.c
 *		Statutory late interest (README "Concepts", "Charges").
 *
 * Simple interest from the day after the due date to the end date, in
 * segments cut at every 1 January and 1 July; each segment at the rate of
 * its semester: the reference rate in force on the semester's first day
 * plus the regime's points.  The sum is kept exact (numeric) and divided
 * once; the public functions round it to the cent once.
 *
 * The reference rates a call site needs are read once into fn_extra, and
 * so are the sums of rate times days of the periods its items ask for:
 * the interest is the amount times that sum, divided once, so the items
 * due on the same day share one sum (a first run's items fall due on a few
 * hundred days).
 *
 * _item_interest, called for every item a letter charges interest, does the
 * multiplication, the division and the rounding in 128-bit integers at the
 * scales numeric arithmetic would use, to the same digit (interest_scaled),
 * and falls back to numerics for what the integers do not hold.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "dunning.h"
#include "fixed.h"

typedef enum DayCount
{
	DC_ACT_365,
	DC_ACT_360,
	DC_30_360
} DayCount;

typedef struct RateSeries
{
	int			n;
	DateADT    *from;			/* ascending */
	Datum	   *rate;			/* numeric, percent a year */
} RateSeries;

typedef struct RateCache
{
	bool		loaded[2];
	RateSeries	series[2];		/* 0 ecb_mro, 1 de_base */
	HTAB	   *sums;			/* SumKey -> SumEntry, NULL until asked */
} RateCache;

/* a period's sum of rate times days under a statutory regime */
typedef struct SumKey
{
	DateADT		due;
	DateADT		until;
	int32		regime;			/* index in regimes */
	int32		dc;				/* DayCount */
} SumKey;

#ifdef HAVE_INT128
/* a value >= 0 as an integer and its decimal scale: v 10^-scale */
typedef struct Scaled
{
	int128		v;
	int			scale;
} Scaled;
#endif

typedef struct SumEntry
{
	SumKey		key;
	Datum		sum;			/* numeric, in fn_mcxt */
#ifdef HAVE_INT128
	bool		scaled_ok;		/* the sum fits a Scaled, kept here */
	Scaled		scaled;
#endif
} SumEntry;

#ifdef HAVE_INT128
static bool scaled_read(Datum d, Scaled *out);
#endif

/* the sums kept per call site, at most (memory stays bounded) */
#define MAX_SUMS 4096

static const char *const series_name[2] = {"ecb_mro", "de_base"};

typedef struct Regime
{
	const char *name;
	int			series;			/* index in series_name */
	int			points;
	bool		half_up;		/* rounded up to the next half point */
} Regime;

static const Regime regimes[] = {
	{"fr", 0, 10, false},
	{"eu", 0, 8, false},
	{"be", 0, 8, true},
	{"de", 1, 9, false},
	{"de_b2c", 1, 5, false},
};

static Datum
int_numeric(int32 v)
{
	return NumericGetDatum(int64_to_numeric(v));
}

static void
series_load(FunctionCallInfo fcinfo, RateCache *cache, int s)
{
	int			nested;
	Oid			types[1] = {TEXTOID};
	Datum		args[1];
	MemoryContext old;
	uint64		i;
	int			ret;

	args[0] = CStringGetTextDatum(series_name[s]);
	nested = dunning_nested_reads_begin();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args("SELECT valid_from, rate FROM " DUNNING_SCHEMA ".reference_rate "
								"WHERE series OPERATOR(pg_catalog.=) $1 ORDER BY valid_from",
								1, types, args, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %d", ret);
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	cache->series[s].n = (int) SPI_processed;
	cache->series[s].from = palloc(sizeof(DateADT) * Max(1, SPI_processed));
	cache->series[s].rate = palloc(sizeof(Datum) * Max(1, SPI_processed));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		cache->series[s].from[i] = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[i],
																 SPI_tuptable->tupdesc, 1, &isnull));
		cache->series[s].rate[i] = PointerGetDatum(DatumGetNumericCopy(
																	   SPI_getbinval(SPI_tuptable->vals[i],
																					 SPI_tuptable->tupdesc, 2, &isnull)));
	}
	MemoryContextSwitchTo(old);
	SPI_finish();
	dunning_nested_reads_end(nested);
	cache->loaded[s] = true;
}

/* the call site's cache (fn_extra) */
static RateCache *
rate_cache(FunctionCallInfo fcinfo)
{
	RateCache  *cache = (RateCache *) fcinfo->flinfo->fn_extra;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RateCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	return cache;
}

/*
 * The reference rate of a series in force on a day, or an error naming the
 * series and the day.
 */
static Datum
rate_on(FunctionCallInfo fcinfo, int s, DateADT day)
{
	RateCache  *cache = rate_cache(fcinfo);
	RateSeries *rs;
	int			lo,
				hi;

	if (!cache->loaded[s])
		series_load(fcinfo, cache, s);
	rs = &cache->series[s];

	/* the last rate whose valid_from <= day */
	lo = 0;
	hi = rs->n;
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (rs->from[mid] <= day)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no %s reference rate in force on %s", series_name[s],
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(day)))),
				 errdetail("Late interest of a semester is computed at the reference rate in force on its first day."),
				 errhint("Add the rate to dunning.reference_rate (series '%s').", series_name[s])));
	return rs->rate[lo - 1];
}

static DayCount
day_count_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("day count must not be null"),
				 errdetail("Use 'act/365', 'act/360' or '30/360'.")));
	if (dunning_arg_is(fcinfo, argno, "act/365"))
		return DC_ACT_365;
	if (dunning_arg_is(fcinfo, argno, "act/360"))
		return DC_ACT_360;
	if (dunning_arg_is(fcinfo, argno, "30/360"))
		return DC_30_360;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown day count \"%s\"", text_to_cstring(PG_GETARG_TEXT_PP(argno))),
			 errdetail("Use 'act/365', 'act/360' or '30/360'.")));
	return DC_ACT_365;			/* not reached */
}

/*
 * Days from a (excluded) to b (included) under a day count.
 */
static int32
count_days(DayCount dc, DateADT a, DateADT b)
{
	int			y1,
				m1,
				d1,
				y2,
				m2,
				d2;

	if (dc != DC_30_360)
		return b - a;
	/* 30E/360: every month has 30 days */
	j2date(a + POSTGRES_EPOCH_JDATE, &y1, &m1, &d1);
	j2date(b + POSTGRES_EPOCH_JDATE, &y2, &m2, &d2);
	d1 = Min(d1, 30);
	d2 = Min(d2, 30);
	return 360 * (y2 - y1) + 30 * (m2 - m1) + (d2 - d1);
}

/*
 * The sum over the period from the day after due to until of each
 * semester's rate times its days (exact).  regime NULL: the fixed
 * annual_rate applies.
 */
static Datum
rate_days(FunctionCallInfo fcinfo, DateADT due, DateADT until,
		  const Regime *regime, Datum annual_rate, DayCount dc)
{
	Datum		sum = int_numeric(0);
	DateADT		cur;

	for (cur = due + 1; cur <= until;)
	{
		int			y,
					m,
					d;
		DateADT		start,
					next,
					end;
		Datum		rate;

		CHECK_FOR_INTERRUPTS();
		j2date(cur + POSTGRES_EPOCH_JDATE, &y, &m, &d);
		start = date2j(y, m <= 6 ? 1 : 7, 1) - POSTGRES_EPOCH_JDATE;
		next = (m <= 6 ? date2j(y, 7, 1) : date2j(y + 1, 1, 1)) - POSTGRES_EPOCH_JDATE;
		end = Min(until, next - 1);

		if (regime == NULL)
			rate = annual_rate;
		else
		{
			rate = DirectFunctionCall2(numeric_add, rate_on(fcinfo, regime->series, start),
									   int_numeric(regime->points));
			if (regime->half_up)
				rate = DirectFunctionCall2(numeric_div,
										   DirectFunctionCall1(numeric_ceil,
															   DirectFunctionCall2(numeric_mul, rate,
																				   int_numeric(2))),
										   int_numeric(2));
		}
		/* a negative reference rate plus the points stays a rate >= 0 */
		if (DatumGetBool(DirectFunctionCall2(numeric_gt, rate, int_numeric(0))))
			sum = DirectFunctionCall2(numeric_add, sum,
									  DirectFunctionCall2(numeric_mul, rate,
														  int_numeric(count_days(dc, cur - 1, end))));
		cur = next;
	}
	return sum;
}

/*
 * rate_days under a statutory regime, kept per call site: the same period
 * asked again (items due on the same day) is not summed again.  The sum
 * is exact, so the kept one is the one computed.  found, when not NULL,
 * gets the entry (its integer form too), kept or not.
 */
static Datum
regime_rate_days(FunctionCallInfo fcinfo, DateADT due, DateADT until,
				 const Regime *regime, DayCount dc, SumEntry *found)
{
	RateCache  *cache = rate_cache(fcinfo);
	SumKey		key;
	SumEntry   *entry;

	if (cache->sums == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(SumKey);
		ctl.entrysize = sizeof(SumEntry);
		ctl.hcxt = fcinfo->flinfo->fn_mcxt;
		cache->sums = hash_create("dunning interest sums", 256, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	memset(&key, 0, sizeof(key));
	key.due = due;
	key.until = until;
	key.regime = (int32) (regime - regimes);
	key.dc = (int32) dc;
	entry = (SumEntry *) hash_search(cache->sums, &key, HASH_FIND, NULL);
	if (entry == NULL)
	{
		SumEntry	computed;

		entry = &computed;
		entry->sum = rate_days(fcinfo, due, until, regime, (Datum) 0, dc);
#ifdef HAVE_INT128
		entry->scaled_ok = scaled_read(entry->sum, &entry->scaled);
#endif
		if (hash_get_num_entries(cache->sums) < MAX_SUMS)
		{
			MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
			Datum		kept = PointerGetDatum(DatumGetNumericCopy(entry->sum));

			MemoryContextSwitchTo(old);
			entry = (SumEntry *) hash_search(cache->sums, &key, HASH_ENTER, NULL);
			entry->sum = kept;
#ifdef HAVE_INT128
			entry->scaled_ok = computed.scaled_ok;
			entry->scaled = computed.scaled;
#endif
		}
		if (found != NULL)
			*found = computed;
		return computed.sum;
	}
	if (found != NULL)
		*found = *entry;
	return entry->sum;
}

/*
 * The interest, unrounded.  regime NULL: the fixed annual_rate applies.
 */
static Datum
interest(FunctionCallInfo fcinfo, Datum amount, DateADT due, DateADT until,
		 const Regime *regime, Datum annual_rate, DayCount dc)
{
	Datum		sum;
	Datum		basis;

	if (DATE_NOT_FINITE(due) || DATE_NOT_FINITE(until))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("dates of late interest must be finite"),
				 errdetail("Interest runs from the day after the due date to the end date.")));
	if (fixed_below_zero(amount))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount of late interest must not be negative"),
				 errdetail("Interest runs on an open debit, %s here.",
						   DatumGetCString(DirectFunctionCall1(numeric_out, amount)))));
	if (until <= due)
		return int_numeric(0);

	sum = regime == NULL ? rate_days(fcinfo, due, until, NULL, annual_rate, dc)
		: regime_rate_days(fcinfo, due, until, regime, dc, NULL);
	basis = int_numeric(dc == DC_ACT_365 ? 36500 : 36000);
	return DirectFunctionCall2(numeric_div,
							   DirectFunctionCall2(numeric_mul, amount, sum), basis);
}

static Datum
round_cent(Datum n)
{
	return DirectFunctionCall2(numeric_round, n, Int32GetDatum(2));
}

#ifdef HAVE_INT128
/*
 * The interest in integers, to the digit the numeric path gives.  That
 * path's numeric_mul is exact; its numeric_div rounds the quotient half
 * away from zero at the scale numeric.c's select_div_scale picks from the
 * weight and first base-10000 digit of each operand (at least 16
 * significant digits, and no fewer decimals than the product has).  The
 * terms of an item, each so rounded, are summed exactly and rounded to the
 * cent once.  Here each step is done in 128-bit integers at that same
 * scale and with that same rounding, so the cent is the same; a value the
 * integers do not hold (more than 8 decimals, as the 'be' regime's rates
 * have, 10^28 or more, a product or quotient past 128 bits) makes the
 * caller use the numeric path.  Asserting builds compute both and compare
 * them byte for byte.
 */

/* numeric.c's NUMERIC_MIN_SIG_DIGITS and display scale bounds */
#define DIV_MIN_SIG_DIGITS	16
#define DIV_MAX_SCALE		1000

static bool
scaled_read(Datum d, Scaled *out)
{
	int128		v;
	int			dscale;
	int128		unit;

	if (!fixed_read(d, &v, &dscale) || v < 0)
		return false;
	unit = fixed_pow10(FIXED_SCALE - dscale);
	if (v % unit != 0)
		return false;
	out->v = v / unit;
	out->scale = dscale;
	return true;
}

/* decimal digits of v > 0, or FIXED_POW10_MAX + 1 when that many or more */
static int
decimal_digits(int128 v)
{
	int			n = 1;

	while (n <= FIXED_POW10_MAX && v >= fixed_pow10(n))
		n++;
	return n;
}

/* numeric_div(numeric_mul(amount, sum), basis), basis 36500 or 36000 */
static bool
term_scaled(const Scaled *amount, const Scaled *sum, int32 basis, Scaled *term)
{
	int128		p;
	int			ps = amount->scale + sum->scale;
	int			e,
				w,
				k,
				qweight,
				rscale,
				m;
	int128		first,
				n,
				q,
				r;

	Assert(basis == 36500 || basis == 36000);
	if (__builtin_mul_overflow(amount->v, sum->v, &p))
		return false;
	if (p == 0)
	{
		term->v = 0;
		term->scale = 0;
		return true;
	}
	e = decimal_digits(p) - 1;
	if (e >= FIXED_POW10_MAX)
		return false;
	/* the product is p 10^-ps, at least 10^(e - ps): weight w, first digit */
	e -= ps;
	w = e >= 0 ? e / FIXED_DEC_DIGITS : -((-e + FIXED_DEC_DIGITS - 1) / FIXED_DEC_DIGITS);
	k = ps + FIXED_DEC_DIGITS * w;	/* -3 <= k <= e + ps */
	first = k >= 0 ? p / fixed_pow10(k) : p * fixed_pow10(-k);
	Assert(first >= 1 && first < FIXED_NBASE);

	/* select_div_scale: the basis has weight 1 and first digit 3 */
	qweight = w - 1;
	if (first <= 3)
		qweight--;
	rscale = DIV_MIN_SIG_DIGITS - qweight * FIXED_DEC_DIGITS;
	rscale = Max(rscale, ps);
	rscale = Max(rscale, 0);
	rscale = Min(rscale, DIV_MAX_SCALE);

	/* the quotient at rscale decimals, half away from zero */
	m = rscale - ps;
	if (m > FIXED_POW10_MAX || __builtin_mul_overflow(p, fixed_pow10(m), &n))
		return false;
	q = n / basis;
	r = n % basis;
	if (r >= basis - r)
		q++;
	term->v = q;
	term->scale = rscale;
	return true;
}

static bool
scaled_add(Scaled *acc, const Scaled *t)
{
	int			scale = Max(acc->scale, t->scale);
	int128		a,
				b;

	if (scale - acc->scale > FIXED_POW10_MAX || scale - t->scale > FIXED_POW10_MAX ||
		__builtin_mul_overflow(acc->v, fixed_pow10(scale - acc->scale), &a) ||
		__builtin_mul_overflow(t->v, fixed_pow10(scale - t->scale), &b) ||
		__builtin_add_overflow(a, b, &acc->v))
		return false;
	acc->scale = scale;
	return true;
}

/* round_cent of the sum, as a numeric */
static bool
scaled_cent(const Scaled *x, Datum *result)
{
	int128		cents;
	int128		micros;

	if (x->scale <= 2)
	{
		if (__builtin_mul_overflow(x->v, fixed_pow10(2 - x->scale), &cents))
			return false;
	}
	else
	{
		int128		d;
		int128		r;

		if (x->scale - 2 > FIXED_POW10_MAX)
			return false;
		d = fixed_pow10(x->scale - 2);
		cents = x->v / d;
		r = x->v % d;
		if (r >= d - r)
			cents++;
	}
	if (__builtin_mul_overflow(cents, fixed_pow10(FIXED_SCALE - 2), &micros) ||
		micros >= fixed_pow10(FIXED_POW10_MAX))
		return false;
	*result = fixed_numeric(micros, 2);
	return true;
}

/* interest() in integers: false where the numeric path must do it */
static bool
interest_scaled(FunctionCallInfo fcinfo, Datum amount, DateADT due, DateADT until,
				const Regime *regime, Datum annual_rate, DayCount dc, Scaled *out)
{
	Scaled		a;
	Scaled		sum;

	if (DATE_NOT_FINITE(due) || DATE_NOT_FINITE(until) || !scaled_read(amount, &a))
		return false;			/* the numeric path's error */
	if (until <= due)
	{
		out->v = 0;
		out->scale = 0;
		return true;
	}
	if (regime == NULL)
	{
		if (!scaled_read(rate_days(fcinfo, due, until, NULL, annual_rate, dc), &sum))
			return false;
	}
	else
	{
		SumEntry	entry;

		(void) regime_rate_days(fcinfo, due, until, regime, dc, &entry);
		if (!entry.scaled_ok)
			return false;
		sum = entry.scaled;
	}
	return term_scaled(&a, &sum, dc == DC_ACT_365 ? 36500 : 36000, out);
}
#endif							/* HAVE_INT128 */

static void
require_args(FunctionCallInfo fcinfo, int rate_arg, const char *what)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(rate_arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("amount, due, until and %s must not be null", what),
				 errdetail("Late interest needs an amount, a due date, an end date and a rate.")));
}

static const Regime *
regime_arg(FunctionCallInfo fcinfo, int argno)
{
	Size		i;

	for (i = 0; i < lengthof(regimes); i++)
		if (dunning_arg_is(fcinfo, argno, regimes[i].name))
			return &regimes[i];
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown interest regime \"%s\"", text_to_cstring(PG_GETARG_TEXT_PP(argno))),
			 errdetail("Regimes are fr (ECB rate + 10), eu (ECB + 8), be (ECB + 8, rounded up to a half point), de (base rate + 9) and de_b2c (base rate + 5); for a fixed rate pass the rate as a number.")));
	return NULL;				/* not reached */
}

static Datum
rate_arg(FunctionCallInfo fcinfo, int argno)
{
	Datum		rate = PG_GETARG_DATUM(argno);

	if (DatumGetBool(DirectFunctionCall2(numeric_lt, rate, int_numeric(0))) ||
		numeric_is_nan(DatumGetNumeric(rate)) || numeric_is_inf(DatumGetNumeric(rate)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("annual rate must be a percentage of 0 or more"),
				 errdetail("The rate is in percent a year: 8.5 means 8.5 %%.")));
	return rate;
}

static Datum
amount_value(Datum amount)
{
	if (numeric_is_nan(DatumGetNumeric(amount)) || numeric_is_inf(DatumGetNumeric(amount)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount of late interest must be a finite number"),
				 errdetail("NaN and infinity are not amounts.")));
	return amount;
}

static Datum
amount_arg(FunctionCallInfo fcinfo, int argno)
{
	return amount_value(PG_GETARG_DATUM(argno));
}

/*
 * dunning.late_interest(amount, due, until, regime text, day_count text)
 */
PG_FUNCTION_INFO_V1(dunning_late_interest_regime);
Datum
dunning_late_interest_regime(PG_FUNCTION_ARGS)
{
	require_args(fcinfo, 3, "regime");
	PG_RETURN_DATUM(round_cent(interest(fcinfo, amount_arg(fcinfo, 0), PG_GETARG_DATEADT(1),
										PG_GETARG_DATEADT(2), regime_arg(fcinfo, 3),
										(Datum) 0, day_count_arg(fcinfo, 4))));
}

/*
 * dunning.late_interest(amount, due, until, annual_rate numeric, day_count text)
 */
PG_FUNCTION_INFO_V1(dunning_late_interest_rate);
Datum
dunning_late_interest_rate(PG_FUNCTION_ARGS)
{
	require_args(fcinfo, 3, "annual_rate");
	PG_RETURN_DATUM(round_cent(interest(fcinfo, amount_arg(fcinfo, 0), PG_GETARG_DATEADT(1),
										PG_GETARG_DATEADT(2), NULL,
										rate_arg(fcinfo, 3), day_count_arg(fcinfo, 4))));
}

/*
 * dunning._late_interest(amount, due, until, regime text, annual_rate
 * numeric, day_count text): unrounded, for sums rounded once.  The regime
 * when it is not NULL nor 'fixed', else the rate.
 */
PG_FUNCTION_INFO_V1(dunning_late_interest_exact);
Datum
dunning_late_interest_exact(PG_FUNCTION_ARGS)
{
	bool		fixed = PG_ARGISNULL(3) ||
		strcmp(text_to_cstring(PG_GETARG_TEXT_PP(3)), "fixed") == 0;

	require_args(fcinfo, fixed ? 4 : 3, fixed ? "annual_rate" : "regime");
	PG_RETURN_DATUM(interest(fcinfo, amount_arg(fcinfo, 0), PG_GETARG_DATEADT(1),
							 PG_GETARG_DATEADT(2), fixed ? NULL : regime_arg(fcinfo, 3),
							 fixed ? rate_arg(fcinfo, 4) : (Datum) 0,
							 day_count_arg(fcinfo, 5)));
}

/*
 * dunning._item_interest(customer_id, entry_id, amount, open_amount,
 * due_date, as_of, regime, annual_rate, day_count, post_charges): the
 * interest a letter charges on an item it dunns at a level that charges
 * it (README "Charges"), rounded once: on the open amount from the start
 * to the day, and on each payment allocated to the item after the start
 * until its date.  The start is the due date, or with post_charges the
 * last letter not cancelled that charged the item interest, if later.
 * Not strict: a NULL where _late_interest needs a value is its error.
 *
 * One call per item charged, from the proposal's _letter (src/proposal.c)
 * and from issuing's _letter_items.  An item nothing was paid on by the
 * day reads no table: its open amount is its amount less the allocations
 * dated up to the day, each above 0, so none falls in the period.  That
 * is nearly every item charged a month after a run; the others read their
 * allocations with one saved plan (a PL/pgSQL function doing the same
 * cost 52 us an item, bench/README.md).  On a shard the reads are local to
 * the item's node (distribute.c).
 */
static SPIPlanPtr last_interest_plan;
static SPIPlanPtr payments_plan;

/* payment i of the reads' result: its amount and date */
static Datum
payment_amount(uint64 i)
{
	bool		isnull;

	return SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
}

static DateADT
payment_on(uint64 i)
{
	bool		isnull;

	return DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
}

/*
 * An item's interest rounded to the cent: on the open amount from the
 * start to until, and on each of the npaid payments of SPI_tuptable from
 * the start to its date.  In integers where they hold every value, else
 * as numerics (asserting builds: both, compared).
 */
static Datum
item_interest(FunctionCallInfo fcinfo, Datum open, DateADT from, DateADT until,
			  const Regime *regime, Datum rate, DayCount dc, uint64 npaid)
{
	Datum		sum;
	uint64		i;
#ifdef HAVE_INT128
	Scaled		acc;
	Datum		fast = (Datum) 0;
	bool		ok = interest_scaled(fcinfo, open, from, until, regime, rate, dc, &acc);

	for (i = 0; ok && i < npaid; i++)
	{
		Scaled		t;

		ok = interest_scaled(fcinfo, payment_amount(i), from, payment_on(i), regime, rate, dc, &t) &&
			scaled_add(&acc, &t);
	}
	if (ok && scaled_cent(&acc, &fast))
	{
#ifndef USE_ASSERT_CHECKING
		return fast;
#endif
	}
	else
		fast = (Datum) 0;
#endif
	sum = interest(fcinfo, amount_value(open), from, until, regime, rate, dc);
	for (i = 0; i < npaid; i++)
		sum = DirectFunctionCall2(numeric_add, sum,
								  interest(fcinfo, amount_value(payment_amount(i)), from,
										   payment_on(i), regime, rate, dc));
	sum = round_cent(sum);
#ifdef HAVE_INT128
	Assert(fast == (Datum) 0 ||
		   (VARSIZE(DatumGetPointer(fast)) == VARSIZE(DatumGetPointer(sum)) &&
			memcmp(DatumGetPointer(fast), DatumGetPointer(sum), VARSIZE(DatumGetPointer(sum))) == 0));
#endif
	return sum;
}

PG_FUNCTION_INFO_V1(dunning_item_interest);
Datum
dunning_item_interest(PG_FUNCTION_ARGS)
{
	bool		fixed = PG_ARGISNULL(6) || dunning_arg_is(fcinfo, 6, "fixed");
	bool		keyed = !PG_ARGISNULL(0) && !PG_ARGISNULL(1);
	bool		post = !PG_ARGISNULL(9) && PG_GETARG_BOOL(9);
	bool		paid;
	bool		from_null = PG_ARGISNULL(4);
	DateADT		from = from_null ? 0 : PG_GETARG_DATEADT(4);
	MemoryContext caller = CurrentMemoryContext;
	const Regime *regime;
	Datum		rate;
	DayCount	dc;
	Datum		sum;
	Datum		args[4];
	Oid			types[4] = {TEXTOID, INT8OID, DATEOID, DATEOID};
	int			nested = 0;
	uint64		npaid = 0;

	/*
	 * something paid by the day: the amount is not the open amount (compared
	 * as integers where fixed.c reads both, as numeric_eq otherwise)
	 */
	paid = PG_ARGISNULL(2) || PG_ARGISNULL(3);
	if (!paid)
	{
#ifdef HAVE_INT128
		int128		a,
					o;
		int			ascale,
					oscale;

		if (fixed_read(PG_GETARG_DATUM(2), &a, &ascale) &&
			fixed_read(PG_GETARG_DATUM(3), &o, &oscale))
			paid = (a != o);
		else
#endif
			paid = !DatumGetBool(DirectFunctionCall2(numeric_eq, PG_GETARG_DATUM(2),
													 PG_GETARG_DATUM(3)));
	}
	if (keyed && (post || paid))
	{
		nested = dunning_nested_reads_begin();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		args[0] = PG_GETARG_DATUM(0);
		args[1] = PG_GETARG_DATUM(1);
	}
	if (keyed && post)
	{
		bool		isnull;
		Datum		last;

		if (SPI_execute_plan(dunning_saved_plan(&last_interest_plan,
										"SELECT pg_catalog.max(r.as_of) "
										"FROM " DUNNING_SCHEMA ".reminder_line rl "
										"JOIN " DUNNING_SCHEMA ".reminder r "
										"ON r.customer_id OPERATOR(pg_catalog.=) rl.customer_id "
										"AND r.reminder_id OPERATOR(pg_catalog.=) rl.reminder_id "
										"WHERE rl.customer_id OPERATOR(pg_catalog.=) $1 "
										"AND rl.entry_id OPERATOR(pg_catalog.=) $2 "
										"AND rl.interest OPERATOR(pg_catalog.>) 0 "
										"AND r.status OPERATOR(pg_catalog.<>) 'cancelled'",
										2, types),
							 args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "the last interest of an item could not be read");
		last = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		/* greatest(due_date, last) */
		if (!isnull && (from_null || DatumGetDateADT(last) > from))
		{
			from = DatumGetDateADT(last);
			from_null = false;
		}
	}

	/* _late_interest(open_amount, from, as_of, regime, annual_rate, day_count) */
	if (PG_ARGISNULL(3) || from_null || PG_ARGISNULL(5) || PG_ARGISNULL(fixed ? 7 : 6))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("amount, due, until and %s must not be null", fixed ? "annual_rate" : "regime"),
				 errdetail("Late interest needs an amount, a due date, an end date and a rate.")));
	regime = fixed ? NULL : regime_arg(fcinfo, 6);
	rate = fixed ? rate_arg(fcinfo, 7) : (Datum) 0;
	dc = day_count_arg(fcinfo, 8);

	/* each payment after the start, until its date */
	if (keyed && paid)
	{
		args[2] = DateADTGetDatum(from);
		args[3] = PG_GETARG_DATUM(5);
		if (SPI_execute_plan(dunning_saved_plan(&payments_plan,
										"SELECT a.amount, a.allocated_on "
										"FROM " DUNNING_SCHEMA ".allocation a "
										"WHERE a.customer_id OPERATOR(pg_catalog.=) $1 "
										"AND a.debit_id OPERATOR(pg_catalog.=) $2 "
										"AND a.allocated_on OPERATOR(pg_catalog.>) $3 "
										"AND a.allocated_on OPERATOR(pg_catalog.<=) $4",
										4, types),
							 args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "the payments of an item could not be read");
		npaid = SPI_processed;
	}
	sum = item_interest(fcinfo, PG_GETARG_DATUM(3), from, PG_GETARG_DATEADT(5), regime, rate,
						dc, npaid);
	if (keyed && (post || paid))
	{
		/* the result in the caller's context, then the reads' memory freed */
		MemoryContext old = MemoryContextSwitchTo(caller);

		sum = PointerGetDatum(DatumGetNumericCopy(sum));
		MemoryContextSwitchTo(old);
		SPI_finish();
		dunning_nested_reads_end(nested);
	}
	PG_RETURN_DATUM(sum);
}

/*
 * dunning._item_compensated(customer_id, entry_id): a letter not cancelled
 * charged the item the flat compensation already (README "Charges": once
 * per late invoice), as the entry's counter says (entry.compensated,
 * src/counters.c).  Issuing's _letter_items asks it of each item it would
 * charge: a function call rather than a correlated subquery, which Citus
 * refuses in the query it runs on a shard, and whose read is local to the
 * item's node there (distribute.c).  The items come customer by customer
 * (the letters' window sorts them so), so the call reads the entries a
 * customer was charged the compensation on once, with one saved plan, and
 * answers that customer's other items from them: a month after a run,
 * 100,000 reads for the backlog's 700,000 items rather than one each.  The
 * proposal's _letter reads the column itself, from _item_inputs.
 */
typedef struct CompensatedCache
{
	MemoryContext cxt;			/* the customer's, reset at the next */
	text	   *customer_id;	/* NULL: none read yet */
	int64	   *entry_ids;		/* ascending */
	uint64		n;
} CompensatedCache;

static SPIPlanPtr compensated_plan;

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : x > y;
}

PG_FUNCTION_INFO_V1(dunning_item_compensated);
Datum
dunning_item_compensated(PG_FUNCTION_ARGS)
{
	CompensatedCache *cache = (CompensatedCache *) fcinfo->flinfo->fn_extra;
	text	   *customer;
	int64		entry_id;

	/* no item: no letter charged it */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_BOOL(false);
	customer = PG_GETARG_TEXT_PP(0);
	entry_id = PG_GETARG_INT64(1);
	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CompensatedCache));
		cache->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "dunning compensated items",
										   ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = cache;
	}
	if (cache->customer_id == NULL ||
		VARSIZE_ANY_EXHDR(cache->customer_id) != VARSIZE_ANY_EXHDR(customer) ||
		memcmp(VARDATA_ANY(cache->customer_id), VARDATA_ANY(customer),
			   VARSIZE_ANY_EXHDR(customer)) != 0)
	{
		Oid			types[1] = {TEXTOID};
		Datum		args[1] = {PointerGetDatum(customer)};
		int			nested;
		uint64		i;

		MemoryContextReset(cache->cxt);
		cache->customer_id = NULL;
		nested = dunning_nested_reads_begin();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute_plan(dunning_saved_plan(&compensated_plan,
										"SELECT e.entry_id FROM " DUNNING_SCHEMA ".entry e "
										"WHERE e.customer_id OPERATOR(pg_catalog.=) $1 "
										"AND e.compensated",
										1, types),
							 args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "the compensation of a customer's items could not be read");
		cache->n = SPI_processed;
		cache->entry_ids = MemoryContextAlloc(cache->cxt, sizeof(int64) * Max(cache->n, 1));
		for (i = 0; i < cache->n; i++)
		{
			bool		isnull;

			cache->entry_ids[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
															  SPI_tuptable->tupdesc, 1, &isnull));
		}
		SPI_finish();
		dunning_nested_reads_end(nested);
		qsort(cache->entry_ids, cache->n, sizeof(int64), int64_cmp);
		cache->customer_id = MemoryContextAlloc(cache->cxt, VARSIZE_ANY(customer));
		memcpy(cache->customer_id, customer, VARSIZE_ANY(customer));
	}
	PG_RETURN_BOOL(cache->n > 0 &&
				   bsearch(&entry_id, cache->entry_ids, cache->n, sizeof(int64), int64_cmp) != NULL);
}
