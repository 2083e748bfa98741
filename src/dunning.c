/*
 * dunning.c
 *		Module entry point and the session's as-of date.
 *
 * Every view of the extension is computed "as of" a date: the setting
 * dunning.as_of when it is set, else today in the business time zone of the
 * setting dunning.time_zone (README "The as-of date"), else current_date.
 * dunning.as_of is parsed once, when it is assigned, so dunning.as_of()
 * costs a branch per call when it is set.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "access/xact.h"
#include "pgtime.h"
#include "utils/guc.h"

#include "dunning.h"
#include "fixed.h"

PG_MODULE_MAGIC;

static char *as_of_setting = NULL;
static bool as_of_is_set = false;
static DateADT as_of_value = 0;

/*
 * Parse an ISO date YYYY-MM-DD without raising; false when it is not one.
 */
bool
dunning_parse_iso_date(const char *s, DateADT *result)
{
	int			y = 0,
				m = 0,
				d = 0,
				n = 0;
	int			yy,
				mm,
				dd;

	while (*s == ' ')
		s++;
	for (; *s >= '0' && *s <= '9'; s++, n++)
		if (n < 5)
			y = y * 10 + (*s - '0');
	if (n != 4 || *s++ != '-')
		return false;
	for (n = 0; *s >= '0' && *s <= '9'; s++, n++)
		if (n < 3)
			m = m * 10 + (*s - '0');
	if (n < 1 || n > 2 || *s++ != '-')
		return false;
	for (n = 0; *s >= '0' && *s <= '9'; s++, n++)
		if (n < 3)
			d = d * 10 + (*s - '0');
	if (n < 1 || n > 2)
		return false;
	while (*s == ' ')
		s++;
	if (*s != '\0' || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	/* reject 2025-02-30 and friends: the day must survive a round trip */
	j2date(date2j(y, m, d), &yy, &mm, &dd);
	if (yy != y || mm != m || dd != d)
		return false;
	*result = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
	return true;
}

/*
 * Check hook of dunning.as_of: empty (use current_date) or an ISO date.
 */
static bool
check_as_of(char **newval, void **extra, GucSource source)
{
	DateADT		d;
	DateADT    *keep;

	if (*newval == NULL || **newval == '\0')
		return true;
	if (!dunning_parse_iso_date(*newval, &d))
	{
		GUC_check_errcode(ERRCODE_INVALID_DATETIME_FORMAT);
		GUC_check_errmsg("invalid value for dunning.as_of: \"%s\"", *newval);
		GUC_check_errdetail("The as-of date is written YYYY-MM-DD, for example 2025-06-30, or is empty for the current date.");
		return false;
	}
	keep = (DateADT *) malloc(sizeof(DateADT));
	if (keep == NULL)
		return false;
	*keep = d;
	*extra = keep;
	return true;
}

/*
 * Assign hook of dunning.as_of: remember the parsed date.
 */
static void
assign_as_of(const char *newval, void *extra)
{
	as_of_is_set = (extra != NULL);
	if (extra != NULL)
		as_of_value = *(DateADT *) extra;
	dunning_day_changed();
}

/* dunning.time_zone: the business time zone, or empty */
static char *time_zone_setting = NULL;

/*
 * Check hook of dunning.time_zone: empty (the session's TimeZone) or a time
 * zone the server knows, as for TimeZone.
 */
static bool
check_time_zone(char **newval, void **extra, GucSource source)
{
	pg_tz	   *tz;

	if (*newval == NULL || **newval == '\0')
		return true;
	tz = pg_tzset(*newval);
	if (tz == NULL || !pg_tz_acceptable(tz))
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errmsg("invalid value for dunning.time_zone: \"%s\"", *newval);
		GUC_check_errdetail("The business time zone is a name of the time zone database, such as Europe/Paris, or is empty for the session's TimeZone.");
		return false;
	}
	return true;
}

/*
 * Assign hook of dunning.time_zone: plans that hold the day are planned
 * again (src/distribute.c).
 */
static void
assign_time_zone(const char *newval, void *extra)
{
	dunning_day_changed();
}

/*
 * Today for the business: the day the current transaction started on in
 * dunning.time_zone when it is set, else current_date (the session's
 * TimeZone).  Two sessions in different time zones read the same day.
 */
static DateADT
business_today(void)
{
	if (time_zone_setting != NULL && *time_zone_setting != '\0')
	{
		pg_tz	   *tz = pg_tzset(time_zone_setting);
		struct pg_tm tm;
		fsec_t		fsec;
		int			tzoff;

		if (tz != NULL &&
			timestamp2tm(GetCurrentTransactionStartTimestamp(), &tzoff, &tm, &fsec, NULL, tz) == 0)
			return date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
	}
	return GetSQLCurrentDate();
}

static char *smtp_url_setting = NULL;
static char *smtp_from_setting = NULL;
static char *smtp_user_setting = NULL;
static char *smtp_password_setting = NULL;
static int	smtp_max_attempts_setting = 5;
static int	smtp_retry_minutes_setting = 5;
static int	smtp_timeout_setting = 30;
static char *daily_strategies_setting = NULL;
static char *language_setting = NULL;
/* src/distribute.c's planner hook reads it */
bool		dunning_jit = false;

/*
 * dunning.smtp_url: empty, or smtp://host[:port] or smtps://host[:port]
 * (the client is libcurl, in dunning_delivery; README "Delivery").  A host
 * is a name, an IPv4 address or an IPv6 address in brackets.
 */
static bool
check_smtp_url(char **newval, void **extra, GucSource source)
{
	const char *s = *newval;
	const char *p;
	int			port_digits = 0;

	if (s == NULL || *s == '\0')
		return true;
	if (strncmp(s, "smtp://", 7) == 0)
		p = s + 7;
	else if (strncmp(s, "smtps://", 8) == 0)
		p = s + 8;
	else
	{
		GUC_check_errdetail("The URL of the SMTP server starts with smtp:// or smtps://.");
		return false;
	}
	if (*p == '[')
	{
		for (p++; *p && *p != ']'; p++)
			if (!isxdigit((unsigned char) *p) && *p != ':' && *p != '.')
				break;
		if (*p != ']')
		{
			GUC_check_errdetail("An IPv6 host is written in brackets, such as smtp://[::1]:25.");
			return false;
		}
		p++;
	}
	else
	{
		const char *h = p;

		while (isalnum((unsigned char) *p) || *p == '.' || *p == '-' || *p == '_')
			p++;
		if (p == h)
		{
			GUC_check_errdetail("The URL names no host: smtp://host:port.");
			return false;
		}
	}
	if (*p == ':')
	{
		for (p++; isdigit((unsigned char) *p); p++)
			port_digits++;
		if (port_digits == 0 || port_digits > 5)
		{
			GUC_check_errdetail("A port is 1 to 65535.");
			return false;
		}
	}
	if (*p == '/')
		p++;
	if (*p != '\0')
	{
		GUC_check_errdetail("The URL is smtp://host:port or smtps://host:port, nothing after the port.");
		return false;
	}
	return true;
}

/*
 * dunning.language: a language the labels of the views are written in.
 */
static bool
check_language(char **newval, void **extra, GucSource source)
{
	const char *s = *newval;

	if (s == NULL || *s == '\0' || strncmp(s, "en", 2) == 0 || strncmp(s, "fr", 2) == 0)
		return true;
	GUC_check_errdetail("The labels of the views exist in English (en) and French (fr).");
	return false;
}

/* on a distributed ledger the plans hold the language as a value */
static void
assign_language(const char *newval, void *extra)
{
	dunning_day_changed();
}

/*
 * Module load: define the settings.
 */
void
_PG_init(void)
{
	fixed_init();
	dunning_distribute_init();
	DefineCustomStringVariable("dunning.as_of",
							   "Date the views of dunning are computed as of.",
							   "Empty means current_date. Written YYYY-MM-DD.",
							   &as_of_setting,
							   "",
							   PGC_USERSET,
							   0,
							   check_as_of,
							   assign_as_of,
							   NULL);
	DefineCustomStringVariable("dunning.time_zone",
							   "Business time zone of dunning's today.",
							   "Empty means the session's TimeZone. A name such as Europe/Paris; set it per database.",
							   &time_zone_setting,
							   "",
							   PGC_USERSET,
							   0,
							   check_time_zone,
							   assign_time_zone,
							   NULL);
	/*
	 * The SMTP client's settings (src/smtp.c reads them).  Only superusers
	 * set them, so that no user redirects the mail; the user and password
	 * are shown to superusers only (README "Delivery" says where to set
	 * them so that they are never a placeholder anyone can read).
	 */
	DefineCustomStringVariable("dunning.smtp_url",
							   "SMTP server send_outbox sends through.",
							   "smtp://host:port (STARTTLS when the server offers it) or smtps://host:port (TLS).",
							   &smtp_url_setting, "", PGC_SUSET, 0,
							   check_smtp_url, NULL, NULL);
	DefineCustomStringVariable("dunning.smtp_from",
							   "Sender address of the emails.",
							   "Empty means the email of the customer's company.",
							   &smtp_from_setting, "", PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("dunning.smtp_user",
							   "User name for the SMTP server.",
							   "Empty means no authentication.",
							   &smtp_user_setting, "", PGC_SUSET, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("dunning.smtp_password",
							   "Password for the SMTP server.",
							   NULL,
							   &smtp_password_setting, "", PGC_SUSET, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("dunning.smtp_max_attempts",
							"Attempts at an email before it is failed.",
							"Temporary failures (4xx, no connection, a timeout) are tried again until then.",
							&smtp_max_attempts_setting, 5, 1, 100, PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dunning.smtp_retry_minutes",
							"Minutes before an email's second attempt; the delay doubles at each attempt.",
							NULL,
							&smtp_retry_minutes_setting, 5, 0, 1440, PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dunning.smtp_timeout",
							"Seconds an SMTP exchange may take.",
							NULL,
							&smtp_timeout_setting, 30, 1, 600, PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomStringVariable("dunning.language",
							   "Language of the labels the views carry (open_items.bucket_label).",
							   "en or fr.",
							   &language_setting, "en", PGC_USERSET, 0,
							   check_language, assign_language, NULL);
	DefineCustomBoolVariable("dunning.jit",
							 "Whether plans that read dunning's functions and views may be compiled by JIT.",
							 "Off: they are never compiled. On: the server's jit settings decide, as for any query.",
							 &dunning_jit, false, PGC_USERSET, 0,
							 NULL, NULL, NULL);
	/* daily_run (src/daily.sql) checks the names when it starts */
	DefineCustomStringVariable("dunning.daily_strategies",
							   "Lettering strategies of daily_run, in order.",
							   "A comma-separated list of auto_letter's strategies: reference, exact, subset, fifo.",
							   &daily_strategies_setting, "reference,exact,subset,fifo", PGC_USERSET, 0,
							   NULL, NULL, NULL);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("dunning");
#else
	EmitWarningsOnPlaceholders("dunning");
#endif
}

/*
 * dunning.as_of(): the setting dunning.as_of, else the business today.
 */
PG_FUNCTION_INFO_V1(dunning_as_of);
Datum
dunning_as_of(PG_FUNCTION_ARGS)
{
	if (as_of_is_set)
		PG_RETURN_DATEADT(as_of_value);
	PG_RETURN_DATEADT(business_today());
}

/* what dunning.as_of() returns now (src/distribute.c folds it into plans) */
DateADT
dunning_as_of_now(void)
{
	return as_of_is_set ? as_of_value : business_today();
}

/*
 * dunning._today(): the business today, whatever dunning.as_of says (the
 * latest day reminders may be issued as of).
 */
PG_FUNCTION_INFO_V1(dunning_today);
Datum
dunning_today(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATEADT(business_today());
}

/*
 * dunning._as_of_arg(date): the as-of argument of a view's function twin;
 * a NULL date is refused rather than silently giving no rows.
 */
PG_FUNCTION_INFO_V1(dunning_as_of_arg);
Datum
dunning_as_of_arg(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATEADT(dunning_check_as_of(PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0),
										  PG_ARGISNULL(0)));
}

/* the checks of _as_of_arg, for the C functions that take an as_of */
DateADT
dunning_check_as_of(Datum arg, bool isnull)
{
	DateADT		d;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of must not be null"),
				 errdetail("The function twins of the dunning views need a date; pass dunning.as_of() for the session's date.")));
	d = DatumGetDateADT(arg);
	if (DATE_NOT_FINITE(d))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("as_of must be a finite date"),
				 errdetail("An aged balance is computed as of a calendar day, not \"infinity\".")));
	return d;
}

/*
 * dunning._is_currency(text): three upper-case ASCII letters, the form of an
 * ISO 4217 code.  A C function rather than a regular expression: the check
 * constraints that use it run on every update of a ledger row.
 */
PG_FUNCTION_INFO_V1(dunning_is_currency);
Datum
dunning_is_currency(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	const char *p = VARDATA_ANY(t);

	PG_RETURN_BOOL(VARSIZE_ANY_EXHDR(t) == 3 &&
				   p[0] >= 'A' && p[0] <= 'Z' &&
				   p[1] >= 'A' && p[1] <= 'Z' &&
				   p[2] >= 'A' && p[2] <= 'Z');
}

/*
 * A query of a C function prepared once per backend and kept: *plan holds
 * it after the first call.
 */
SPIPlanPtr
dunning_saved_plan(SPIPlanPtr *plan, const char *query, int nargs, Oid *types)
{
	if (*plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(query, nargs, types);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*plan = p;
	}
	return *plan;
}
