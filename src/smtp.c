/*
 * smtp.c
 *		The SMTP client of send_outbox: dunning._smtp_send(recipients,
 *		sender, message) hands one MIME message to the server of
 *		dunning.smtp_url with libcurl and says what the server answered.
 *
 * Part of the second library, dunning_delivery.so.  The message is written
 * by src/smtp.sql (_email); this file only speaks SMTP.  Outcomes:
 *
 *	sent		the server took the message (its reply, such as
 *				"250 2.0.0 Ok: queued as 4F2A1")
 *	temporary	a 4xx reply, no connection, a timeout, a refused login: the
 *				email stays queued and is tried again
 *	permanent	a 5xx reply to the envelope or the data, such as "550 no
 *				such user": the email is failed
 *
 * One curl handle is kept for the backend's life, so that the emails of one
 * send_outbox go through one connection; it is cleaned up when the backend
 * exits.  Everything else of libcurl's (the recipient list) is freed before
 * this function returns or raises.  The callbacks never ereport: a pending
 * cancel makes the progress callback abort the transfer, and the cancel is
 * raised after curl has returned.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#define REPLY_MAX 512

typedef struct Upload
{
	const char *data;
	size_t		len;
	size_t		pos;
	char		reply[REPLY_MAX];	/* the server's last line */
	char		refusal[REPLY_MAX]; /* its first 4xx or 5xx line */
} Upload;

static CURL *curl = NULL;
static bool curl_ready = false;

static void
curl_cleanup(int code, Datum arg)
{
	if (curl)
		curl_easy_cleanup(curl);
	curl = NULL;
	if (curl_ready)
		curl_global_cleanup();
	curl_ready = false;
}

static size_t
upload_read(char *buffer, size_t size, size_t nitems, void *userdata)
{
	Upload	   *u = (Upload *) userdata;
	size_t		n = Min(size * nitems, u->len - u->pos);

	memcpy(buffer, u->data + u->pos, n);
	u->pos += n;
	return n;
}

/* keeps the server's last reply line; curl calls it with what it reads */
static int
upload_debug(CURL *handle, curl_infotype type, char *data, size_t size, void *userptr)
{
	Upload	   *u = (Upload *) userptr;
	size_t		n;

	if (type != CURLINFO_HEADER_IN)
		return 0;
	while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
		size--;
	if (size == 0)
		return 0;
	n = Min(size, REPLY_MAX - 1);
	memcpy(u->reply, data, n);
	u->reply[n] = '\0';
	/* after a refusal curl says QUIT: keep the refusal, not the goodbye */
	if (u->refusal[0] == '\0' && (data[0] == '4' || data[0] == '5'))
		memcpy(u->refusal, u->reply, n + 1);
	return 0;
}

/* a cancel or termination aborts the transfer (raised after curl returns) */
static int
upload_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
				curl_off_t ultotal, curl_off_t ulnow)
{
	return (QueryCancelPending || ProcDiePending) ? 1 : 0;
}

static const char *
setting(const char *name)
{
	const char *v = GetConfigOption(name, true, false);

	return (v && *v) ? v : NULL;
}

/*
 * dunning._smtp_send(recipients text[], sender text, message text,
 *		OUT outcome text, OUT code integer, OUT reply text)
 */
PG_FUNCTION_INFO_V1(_smtp_send);
Datum
_smtp_send(PG_FUNCTION_ARGS)
{
	const char *url = setting("dunning.smtp_url");
	const char *user = setting("dunning.smtp_user");
	const char *password = setting("dunning.smtp_password");
	const char *timeout = setting("dunning.smtp_timeout");
	ArrayType  *rcpt;
	Datum	   *elems;
	bool	   *nulls;
	int			nrcpt;
	char	   *sender;
	text	   *message;
	Upload		u;
	struct curl_slist *list = NULL;
	char		errbuf[CURL_ERROR_SIZE];
	CURLcode	res;
	long		code = 0;
	const char *outcome;
	char	   *reply;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		isnull[3] = {false, false, false};
	int			i;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("recipients, sender and message must not be null"),
				 errdetail("An email has an envelope and a message.")));
	if (url == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dunning.smtp_url is not set"),
				 errdetail("send_outbox sends through the SMTP server of this setting."),
				 errhint("ALTER SYSTEM SET dunning.smtp_url = 'smtp://mail.example.com:25'")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "_smtp_send must return a record");
	tupdesc = BlessTupleDesc(tupdesc);

	rcpt = PG_GETARG_ARRAYTYPE_P(0);
	deconstruct_array(rcpt, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nrcpt);
	sender = text_to_cstring(PG_GETARG_TEXT_PP(1));
	message = PG_GETARG_TEXT_PP(2);
	if (nrcpt == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an email needs at least one recipient"),
				 errdetail("The envelope's recipient list is empty.")));

	if (!curl_ready)
	{
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			ereport(ERROR,
					(errcode(ERRCODE_SYSTEM_ERROR),
					 errmsg("libcurl could not be initialized"),
					 errdetail("curl_global_init failed.")));
		curl_ready = true;
		on_proc_exit(curl_cleanup, (Datum) 0);
	}
	if (curl == NULL)
		curl = curl_easy_init();
	else
		curl_easy_reset(curl);	/* keeps the open connection */
	if (curl == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("libcurl could not make a handle"),
				 errdetail("curl_easy_init failed.")));

	memset(&u, 0, sizeof(u));
	u.data = VARDATA_ANY(message);
	u.len = VARSIZE_ANY_EXHDR(message);
	errbuf[0] = '\0';

	/* the recipient list is libcurl's memory: built and freed without ereport */
	for (i = 0; i < nrcpt; i++)
	{
		struct curl_slist *next;
		char	   *addr;

		if (nulls[i])
			continue;
		addr = TextDatumGetCString(elems[i]);
		next = curl_slist_append(list, addr);
		pfree(addr);
		if (next == NULL)
		{
			curl_slist_free_all(list);
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("libcurl could not list the recipients"),
					 errdetail("curl_slist_append failed.")));
		}
		list = next;
	}

	curl_easy_setopt(curl, CURLOPT_URL, url);
	if (strncmp(url, "smtp://", 7) == 0)
		curl_easy_setopt(curl, CURLOPT_USE_SSL, (long) CURLUSESSL_TRY);
	if (user)
		curl_easy_setopt(curl, CURLOPT_USERNAME, user);
	if (password)
		curl_easy_setopt(curl, CURLOPT_PASSWORD, password);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, sender);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, list);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) u.len);
	curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, upload_debug);
	curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &u);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, upload_progress);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout ? atol(timeout) : 30L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeout ? atol(timeout) : 30L);

	res = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	/* the handle must not keep pointers to this call's memory */
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(curl, CURLOPT_READDATA, NULL);
	curl_easy_setopt(curl, CURLOPT_DEBUGDATA, NULL);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(list);
	list = NULL;
	CHECK_FOR_INTERRUPTS();

	if (res == CURLE_OK)
		outcome = "sent";
	else if (code >= 500 && code < 600 && res != CURLE_LOGIN_DENIED)
		outcome = "permanent";
	else
		outcome = "temporary";	/* 4xx, no connection, a timeout, the login */
	if (res != CURLE_OK && u.refusal[0] != '\0')
		reply = pstrdup(u.refusal);
	else if (u.reply[0] != '\0' && res != CURLE_OPERATION_TIMEDOUT && res != CURLE_COULDNT_CONNECT)
		reply = pstrdup(u.reply);
	else
		reply = psprintf("%s%s%s", curl_easy_strerror(res), errbuf[0] ? ": " : "", errbuf);

	values[0] = CStringGetTextDatum(outcome);
	values[1] = Int32GetDatum((int32) code);
	values[2] = CStringGetTextDatum(reply);
	if (code == 0)
		isnull[1] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, isnull)));
}
