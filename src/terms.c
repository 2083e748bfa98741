/*
 * terms.c
 *		Payment terms: dunning.due_date(doc_date, terms, calendar).
 *
 * Terms are steps joined by "+", applied left to right to the document
 * date: "Nd" adds N days, "Nm" adds N months (the day is kept, or the last
 * day of a shorter month), "eom" goes to the end of the month, "nbd" moves
 * to the next business day (the same day when it is one).  A business day is
 * neither a Saturday, nor a Sunday, nor a holiday of the calendar given.
 *
 * The parsed terms and the holidays of the calendar are kept in fn_extra, so
 * computing the due dates of a whole ledger parses each once.
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/memutils.h"

#include "dunning.h"

#define TERMS_MAX_STEPS		16
#define TERMS_MAX_DAYS		36600	/* a century */
#define TERMS_MAX_MONTHS	1200
#define NBD_MAX_SEARCH		366

typedef enum TermsStepKind
{
	STEP_DAYS,
	STEP_MONTHS,
	STEP_EOM,
	STEP_NBD
} TermsStepKind;

typedef struct TermsStep
{
	TermsStepKind kind;
	int32		n;
} TermsStep;

typedef struct TermsCache
{
	MemoryContext cxt;			/* holds terms_key, calendar and holidays */
	/* parsed terms */
	bool		terms_valid;
	Size		terms_len;
	char	   *terms_key;
	int			nsteps;
	TermsStep	steps[TERMS_MAX_STEPS];
	/* holidays of the calendar */
	bool		cal_valid;
	char	   *calendar;		/* NULL: weekends only */
	int			nholidays;
	DateADT    *holidays;		/* sorted */
} TermsCache;

/*
 * Report bad terms.
 */
static void
terms_syntax_error(const char *terms, const char *detail_fmt, const char *step)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid payment terms: \"%s\"", terms),
			 errdetail(detail_fmt, step),
			 errhint("Terms are steps joined by +: Nd (days), Nm (months), eom (end of month), nbd (next business day), as in 30d, 45d+eom, eom+10d.")));
}

/*
 * Parse terms (len bytes, not terminated) into steps.
 */
static int
terms_parse(const char *src, Size len, TermsStep *steps)
{
	char	   *terms = pnstrdup(src, len);
	char	   *p = terms;
	int			n = 0;

	for (;;)
	{
		char	   *start;
		char	   *stepend;
		char		step[32];
		int			steplen;

		while (*p == ' ' || *p == '\t')
			p++;
		start = p;
		while (*p != '\0' && *p != '+')
			p++;
		stepend = p;
		while (stepend > start && (stepend[-1] == ' ' || stepend[-1] == '\t'))
			stepend--;
		steplen = stepend - start;
		if (steplen == 0)
			terms_syntax_error(terms, "%s", *p == '+' || n > 0 ?
							   "A step is empty: two + follow each other or the terms end with +." :
							   "The terms are empty.");
		if (n >= TERMS_MAX_STEPS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("payment terms have too many steps: \"%s\"", terms),
					 errdetail("At most %d steps are allowed.", TERMS_MAX_STEPS)));
		if (steplen >= (int) sizeof(step))
			terms_syntax_error(terms, "Step \"%s\" is not a known step.",
							   pnstrdup(start, steplen));
		memcpy(step, start, steplen);
		step[steplen] = '\0';

		if (pg_strcasecmp(step, "eom") == 0)
			steps[n].kind = STEP_EOM, steps[n].n = 0;
		else if (pg_strcasecmp(step, "nbd") == 0)
			steps[n].kind = STEP_NBD, steps[n].n = 0;
		else
		{
			int64		v = 0;
			int			i = 0;
			char		unit;

			while (step[i] >= '0' && step[i] <= '9')
			{
				if (v <= TERMS_MAX_DAYS)
					v = v * 10 + (step[i] - '0');
				i++;
			}
			/* a space between number and unit is tolerated: "30 d" */
			while (step[i] == ' ')
				i++;
			unit = pg_ascii_tolower((unsigned char) step[i]);
			if (i == 0 || step[i] == '\0' || step[i + 1] != '\0' ||
				(unit != 'd' && unit != 'm'))
				terms_syntax_error(terms, "Step \"%s\" is not a known step.", step);
			if ((unit == 'd' && v > TERMS_MAX_DAYS) ||
				(unit == 'm' && v > TERMS_MAX_MONTHS))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("payment terms step out of range: \"%s\"", step),
						 errdetail("A step adds at most %d days or %d months.",
								   TERMS_MAX_DAYS, TERMS_MAX_MONTHS)));
			steps[n].kind = (unit == 'd') ? STEP_DAYS : STEP_MONTHS;
			steps[n].n = (int32) v;
		}
		n++;
		if (*p == '\0')
			break;
		p++;					/* skip '+' */
	}
	pfree(terms);
	return n;
}

/*
 * Load the holidays of calendar into cache (in cache->cxt) through SPI.
 * A calendar with no holiday at all is unknown: most likely a typing error.
 */
static void
calendar_load(TermsCache *cache, text *calendar)
{
	int			nested;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	int			ret;
	uint64		i;
	MemoryContext old;
	char	   *name = text_to_cstring(calendar);

	values[0] = PointerGetDatum(calendar);
	nested = dunning_nested_reads_begin();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args("SELECT day FROM " DUNNING_SCHEMA ".holiday "
								"WHERE calendar OPERATOR(pg_catalog.=) $1 "
								"ORDER BY day",
								1, argtypes, values, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %d", ret);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown calendar \"%s\"", name),
				 errdetail("Table dunning.holiday has no day for calendar \"%s\"; add its holidays, or pass NULL for weekends only.", name)));

	old = MemoryContextSwitchTo(cache->cxt);
	cache->calendar = pstrdup(name);
	cache->holidays = (DateADT *) palloc(sizeof(DateADT) * SPI_processed);
	MemoryContextSwitchTo(old);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		cache->holidays[i] = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc,
														   1, &isnull));
	}
	cache->nholidays = (int) SPI_processed;
	SPI_finish();
	dunning_nested_reads_end(nested);
}

/*
 * Is d a holiday of the cached calendar?
 */
static bool
is_holiday(const TermsCache *cache, DateADT d)
{
	int			lo = 0;
	int			hi = cache->nholidays - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (cache->holidays[mid] == d)
			return true;
		if (cache->holidays[mid] < d)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

/*
 * Raise the error of a due date past the range of type date.
 */
static void
date_overflow(DateADT doc_date)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("due date out of range"),
			 errdetail("The terms move the document date %s past the range of type date.",
					   DatumGetCString(DirectFunctionCall1(date_out,
														   DateADTGetDatum(doc_date))))));
}

/*
 * Apply steps to doc_date.
 */
static DateADT
terms_apply(const TermsCache *cache, DateADT doc_date)
{
	DateADT		d = doc_date;
	int			s;

	for (s = 0; s < cache->nsteps; s++)
	{
		const TermsStep *step = &cache->steps[s];
		int			y,
					m,
					dd;

		switch (step->kind)
		{
			case STEP_DAYS:
				d += step->n;	/* |d| < 2^31 / 2, n <= 36600: no overflow */
				break;
			case STEP_MONTHS:
				j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &dd);
				m += step->n;
				y += (m - 1) / MONTHS_PER_YEAR;
				m = (m - 1) % MONTHS_PER_YEAR + 1;
				if (!IS_VALID_JULIAN(y, m, 1))
					date_overflow(doc_date);
				if (dd > day_tab[isleap(y)][m - 1])
					dd = day_tab[isleap(y)][m - 1];
				d = date2j(y, m, dd) - POSTGRES_EPOCH_JDATE;
				break;
			case STEP_EOM:
				j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &dd);
				d = date2j(y, m, day_tab[isleap(y)][m - 1]) - POSTGRES_EPOCH_JDATE;
				break;
			case STEP_NBD:
				{
					int			tries = 0;

					for (;;)
					{
						int			wd = j2day(d + POSTGRES_EPOCH_JDATE);

						if (wd != 0 && wd != 6 && !is_holiday(cache, d))
							break;
						if (++tries > NBD_MAX_SEARCH)
							ereport(ERROR,
									(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
									 errmsg("no business day within %d days", NBD_MAX_SEARCH),
									 errdetail("Calendar \"%s\" marks every day of a year as a holiday.",
											   cache->calendar ? cache->calendar : "(weekends)")));
						d++;
					}
				}
				break;
		}
		if (!IS_VALID_DATE(d))
			date_overflow(doc_date);
	}
	return d;
}

/*
 * dunning.due_date(doc_date, terms, calendar DEFAULT NULL): the due date of
 * a document under payment terms.  A NULL document date gives NULL; NULL
 * terms are an error.
 */
PG_FUNCTION_INFO_V1(dunning_due_date);
Datum
dunning_due_date(PG_FUNCTION_ARGS)
{
	TermsCache *cache = (TermsCache *) fcinfo->flinfo->fn_extra;
	text	   *terms;
	DateADT		doc_date;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("payment terms must not be null"),
				 errdetail("Pass terms such as '30d' or '45d+eom'; '0d' means due on the document date.")));
	terms = PG_GETARG_TEXT_PP(1);

	if (cache == NULL)
	{
		cache = (TermsCache *) MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
													  sizeof(TermsCache));
		cache->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
										   "dunning payment terms",
										   ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = cache;
	}

	/* terms: parse unless the same text as last time */
	if (!cache->terms_valid ||
		VARSIZE_ANY_EXHDR(terms) != cache->terms_len ||
		memcmp(VARDATA_ANY(terms), cache->terms_key, cache->terms_len) != 0)
	{
		TermsStep	steps[TERMS_MAX_STEPS];
		int			n;

		cache->terms_valid = false;
		n = terms_parse(VARDATA_ANY(terms), VARSIZE_ANY_EXHDR(terms), steps);
		if (cache->terms_key != NULL)
			pfree(cache->terms_key);
		cache->terms_len = VARSIZE_ANY_EXHDR(terms);
		cache->terms_key = MemoryContextAlloc(cache->cxt, cache->terms_len + 1);
		memcpy(cache->terms_key, VARDATA_ANY(terms), cache->terms_len);
		memcpy(cache->steps, steps, sizeof(TermsStep) * n);
		cache->nsteps = n;
		cache->terms_valid = true;
	}

	/* calendar: load unless the same as last time */
	if (PG_ARGISNULL(2))
	{
		if (!cache->cal_valid || cache->calendar != NULL)
		{
			if (cache->calendar)
				pfree(cache->calendar);
			if (cache->holidays)
				pfree(cache->holidays);
			cache->calendar = NULL;
			cache->holidays = NULL;
			cache->nholidays = 0;
			cache->cal_valid = true;
		}
	}
	else
	{
		text	   *cal = PG_GETARG_TEXT_PP(2);
		Size		len = VARSIZE_ANY_EXHDR(cal);

		if (!cache->cal_valid || cache->calendar == NULL ||
			strlen(cache->calendar) != len ||
			memcmp(cache->calendar, VARDATA_ANY(cal), len) != 0)
		{
			cache->cal_valid = false;
			if (cache->calendar)
				pfree(cache->calendar);
			if (cache->holidays)
				pfree(cache->holidays);
			cache->calendar = NULL;
			cache->holidays = NULL;
			cache->nholidays = 0;
			calendar_load(cache, cal);
			cache->cal_valid = true;
		}
	}

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	doc_date = PG_GETARG_DATEADT(0);
	if (DATE_NOT_FINITE(doc_date))
		PG_RETURN_DATEADT(doc_date);
	PG_RETURN_DATEADT(terms_apply(cache, doc_date));
}
