/*
 * render.c
 *		dunning.render(template text, context jsonb): the text of a letter.
 *
 * A small, logic-less subset of Mustache:
 *
 *	{{a.b}}				the value at that path of the context
 *	{{a.b|money}}		a number as money in the context's language
 *	{{a.b|date}}		an ISO date written out in the context's language
 *	{{#items}}..{{/items}}	once per element of an array (the element is
 *						the innermost context), once for an object or a true
 *						value, never for false, null, 0, "" or []
 *	{{^items}}..{{/items}}	only when #items would not render
 *	{{! comment }}
 *
 * A name is looked up in the innermost context first, then outwards.  A
 * name found nowhere is an error: a misspelt placeholder must not reach a
 * customer.  The language is the context's top-level "language" ('en' when
 * absent); money and dates are written for fr, en, de, nl, es, it and pt.
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "dunning.h"

#define RENDER_MAX_DEPTH 32

typedef struct Render
{
	const char *tpl;			/* whole template, for positions in errors */
	char		lang[3];
	StringInfo	out;
	int			depth;
	JsonbValue	stack[RENDER_MAX_DEPTH + 1];	/* contexts, innermost last */
} Render;

/* a tag: its kind and its name (and filter), inside the template */
typedef struct Tag
{
	char		kind;			/* '\0' value, '#', '^', '/', '!' */
	const char *name;
	int			namelen;
	const char *filter;
	int			filterlen;
	const char *start;			/* the first '{' */
	const char *end;			/* just after the last '}' */
} Tag;

static int
line_of(const Render *r, const char *p)
{
	int			line = 1;
	const char *q;

	for (q = r->tpl; q < p; q++)
		if (*q == '\n')
			line++;
	return line;
}

/*
 * The next tag at or after p, before end; false if none.
 */
static bool
next_tag(const Render *r, const char *p, const char *end, Tag *tag)
{
	const char *open = NULL;
	const char *close;
	const char *a,
			   *b,
			   *bar;

	for (; p + 1 < end; p++)
		if (p[0] == '{' && p[1] == '{')
		{
			open = p;
			break;
		}
	if (open == NULL)
		return false;
	for (close = open + 2; close + 1 < end; close++)
		if (close[0] == '}' && close[1] == '}')
			break;
	if (close + 1 >= end)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("unterminated tag in template"),
				 errdetail("A \"{{\" on line %d has no closing \"}}\".", line_of(r, open))));

	tag->start = open;
	tag->end = close + 2;
	a = open + 2;
	b = close;
	while (a < b && (*a == ' ' || *a == '\t'))
		a++;
	tag->kind = '\0';
	if (a < b && (*a == '#' || *a == '^' || *a == '/' || *a == '!'))
		tag->kind = *a++;
	if (tag->kind == '!')
	{
		tag->name = a;
		tag->namelen = 0;
		tag->filter = NULL;
		tag->filterlen = 0;
		return true;
	}
	while (a < b && (*a == ' ' || *a == '\t'))
		a++;
	while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
		b--;
	bar = memchr(a, '|', b - a);
	tag->filter = NULL;
	tag->filterlen = 0;
	if (bar != NULL)
	{
		const char *f = bar + 1;

		while (f < b && *f == ' ')
			f++;
		tag->filter = f;
		tag->filterlen = b - f;
		b = bar;
		while (b > a && b[-1] == ' ')
			b--;
	}
	tag->name = a;
	tag->namelen = b - a;
	{
		const char *q;
		bool		ok = tag->namelen > 0;

		for (q = a; q < b && ok; q++)
			ok = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
				(*q >= '0' && *q <= '9') || *q == '_' || *q == '-' || *q == '.';
		if (tag->namelen == 1 && *a == '.')
			ok = tag->kind == '\0';
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid tag \"%.*s\" in template", (int) Min(tag->end - tag->start, 64),
							tag->start),
					 errdetail("Line %d: a tag holds a name of letters, digits, '_', '-' and '.', optionally after #, ^ or / and before |money or |date.",
							   line_of(r, open))));
	}
	return true;
}

/*
 * Look up one key in a context; false if the context is not an object or
 * has no such key.
 */
static bool
lookup_key(const JsonbValue *ctx, const char *key, int keylen, JsonbValue *res)
{
	JsonbValue *v;
	JsonbValue	k;

	if (ctx->type != jbvBinary || !JsonContainerIsObject(ctx->val.binary.data))
		return false;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = keylen;
	v = findJsonbValueFromContainer(ctx->val.binary.data, JB_FOBJECT, &k);
	if (v == NULL)
		return false;
	*res = *v;
	return true;
}

/*
 * The value of a dotted name: the first part in the innermost context that
 * has it, the rest from there.  An error names what is missing.
 */
static void
lookup(const Render *r, const Tag *tag, JsonbValue *res)
{
	const char *p = tag->name;
	const char *end = tag->name + tag->namelen;
	const char *dot;
	int			i;
	bool		found = false;

	if (tag->namelen == 1 && *p == '.')
	{
		*res = r->stack[r->depth];
		return;
	}
	dot = memchr(p, '.', end - p);
	if (dot == NULL)
		dot = end;
	for (i = r->depth; i >= 0 && !found; i--)
		found = lookup_key(&r->stack[i], p, dot - p, res);
	while (found && dot < end)
	{
		JsonbValue	cur = *res;

		p = dot + 1;
		dot = memchr(p, '.', end - p);
		if (dot == NULL)
			dot = end;
		found = lookup_key(&cur, p, dot - p, res);
	}
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown template placeholder \"%.*s\"", tag->namelen, tag->name),
				 errdetail("Line %d of the template names \"%.*s\", which the context does not hold.",
						   line_of(r, tag->start), (int) (dot - p), p)));
}

static bool
truthy(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return false;
		case jbvBool:
			return v->val.boolean;
		case jbvString:
			return v->val.string.len > 0;
		case jbvNumeric:
			return numeric_is_nan(v->val.numeric) ||
				DatumGetInt32(DirectFunctionCall2(numeric_cmp,
												  NumericGetDatum(v->val.numeric),
												  DirectFunctionCall1(int4_numeric,
																	  Int32GetDatum(0)))) != 0;
		case jbvBinary:
			return !JsonContainerIsArray(v->val.binary.data) ||
				JsonContainerSize(v->val.binary.data) > 0;
		default:
			return true;
	}
}

static void
append_money(Render *r, Numeric n)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out,
														DirectFunctionCall2(numeric_round,
																			NumericGetDatum(n),
																			Int32GetDatum(2))));
	const char *thousands = ",";
	char		decimal = '.';
	char	   *point;
	char	   *digits = s;
	int			intlen,
				i;

	if (strcmp(r->lang, "fr") == 0)
	{
		thousands = " ";
		decimal = ',';
	}
	else if (strcmp(r->lang, "de") == 0 || strcmp(r->lang, "nl") == 0 ||
			 strcmp(r->lang, "es") == 0 || strcmp(r->lang, "it") == 0 ||
			 strcmp(r->lang, "pt") == 0)
	{
		thousands = ".";
		decimal = ',';
	}
	if (*digits == '-')
	{
		appendStringInfoChar(r->out, '-');
		digits++;
	}
	point = strchr(digits, '.');
	intlen = point ? point - digits : (int) strlen(digits);
	for (i = 0; i < intlen; i++)
	{
		if (i > 0 && (intlen - i) % 3 == 0)
			appendStringInfoString(r->out, thousands);
		appendStringInfoChar(r->out, digits[i]);
	}
	appendStringInfoChar(r->out, decimal);
	appendStringInfoString(r->out, point ? point + 1 : "00");
}

static void
append_date(Render *r, const Tag *tag, const char *s, int len)
{
	static const char *const en[] = {"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"};
	static const char *const fr[] = {"janvier", "février", "mars", "avril", "mai", "juin", "juillet",
	"août", "septembre", "octobre", "novembre", "décembre"};
	static const char *const de[] = {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
	"August", "September", "Oktober", "November", "Dezember"};
	static const char *const nl[] = {"januari", "februari", "maart", "april", "mei", "juni", "juli",
	"augustus", "september", "oktober", "november", "december"};
	char	   *str = pnstrdup(s, len);
	DateADT		d;
	int			y,
				m,
				dd;

	if (!dunning_parse_iso_date(str, &d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
				 errmsg("\"%.*s\" is not a date", tag->namelen, tag->name),
				 errdetail("The date filter on line %d needs a YYYY-MM-DD value; the context holds \"%s\".",
						   line_of(r, tag->start), str)));
	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &dd);
	if (strcmp(r->lang, "fr") == 0)
		appendStringInfo(r->out, "%d%s %s %d", dd, dd == 1 ? "er" : "", fr[m - 1], y);
	else if (strcmp(r->lang, "de") == 0)
		appendStringInfo(r->out, "%d. %s %d", dd, de[m - 1], y);
	else if (strcmp(r->lang, "nl") == 0)
		appendStringInfo(r->out, "%d %s %d", dd, nl[m - 1], y);
	else if (strcmp(r->lang, "en") == 0)
		appendStringInfo(r->out, "%d %s %d", dd, en[m - 1], y);
	else
		appendStringInfo(r->out, "%04d-%02d-%02d", y, m, dd);
}

static void
append_value(Render *r, const Tag *tag, const JsonbValue *v)
{
	bool		money = false;
	bool		date = false;

	if (tag->filter != NULL)
	{
		if (tag->filterlen == 5 && strncmp(tag->filter, "money", 5) == 0)
			money = true;
		else if (tag->filterlen == 4 && strncmp(tag->filter, "date", 4) == 0)
			date = true;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown template filter \"%.*s\"", tag->filterlen, tag->filter),
					 errdetail("Line %d: the filters are money and date.", line_of(r, tag->start))));
	}

	if (v->type == jbvNull)
		return;
	if (money)
	{
		Numeric		n = NULL;

		if (v->type == jbvNumeric)
			n = v->val.numeric;
		if (n == NULL || numeric_is_nan(n))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%.*s\" is not an amount", tag->namelen, tag->name),
					 errdetail("The money filter on line %d needs a number.", line_of(r, tag->start))));
		append_money(r, n);
		return;
	}
	if (date)
	{
		if (v->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
					 errmsg("\"%.*s\" is not a date", tag->namelen, tag->name),
					 errdetail("The date filter on line %d needs a YYYY-MM-DD string.", line_of(r, tag->start))));
		append_date(r, tag, v->val.string.val, v->val.string.len);
		return;
	}
	switch (v->type)
	{
		case jbvString:
			appendBinaryStringInfo(r->out, v->val.string.val, v->val.string.len);
			break;
		case jbvNumeric:
			appendStringInfoString(r->out, DatumGetCString(DirectFunctionCall1(numeric_out,
																			   NumericGetDatum(v->val.numeric))));
			break;
		case jbvBool:
			appendStringInfoString(r->out, v->val.boolean ? "true" : "false");
			break;
		case jbvBinary:
			appendStringInfoString(r->out, JsonbToCString(NULL, v->val.binary.data,
														  v->val.binary.len));
			break;
		default:
			break;
	}
}

static void render_part(Render *r, const char *p, const char *end);

/*
 * Render a section's body with v as its context: once per element of an
 * array, once otherwise.
 */
static void
render_section(Render *r, const char *body, const char *body_end, const JsonbValue *v)
{
	if (r->depth >= RENDER_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("template sections nested too deeply"),
				 errdetail("At most %d sections can be nested.", RENDER_MAX_DEPTH)));
	if (v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data))
	{
		uint32		n = JsonContainerSize(v->val.binary.data);
		uint32		i;

		for (i = 0; i < n; i++)
		{
			JsonbValue *e = getIthJsonbValueFromContainer(v->val.binary.data, i);

			r->stack[++r->depth] = *e;
			render_part(r, body, body_end);
			r->depth--;
			pfree(e);
		}
		return;
	}
	r->stack[++r->depth] = *v;
	render_part(r, body, body_end);
	r->depth--;
}

/*
 * Render the template between p and end.
 */
static void
render_part(Render *r, const char *p, const char *end)
{
	Tag			tag;

	CHECK_FOR_INTERRUPTS();
	check_stack_depth();
	while (next_tag(r, p, end, &tag))
	{
		appendBinaryStringInfo(r->out, p, tag.start - p);
		p = tag.end;
		switch (tag.kind)
		{
			case '!':
				break;
			case '/':
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("unexpected \"{{/%.*s}}\" in template", tag.namelen, tag.name),
						 errdetail("Line %d closes a section that is not open.", line_of(r, tag.start))));
				break;
			case '\0':
				{
					JsonbValue	v;

					lookup(r, &tag, &v);
					append_value(r, &tag, &v);
				}
				break;
			default:
				{
					/* a section: find its end, counting nested sections */
					Tag			t;
					const char *q = p;
					int			nest = 0;
					JsonbValue	v;

					if (tag.filter != NULL)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
								 errmsg("a section takes no filter"),
								 errdetail("Line %d: \"{{%c%.*s|...}}\".", line_of(r, tag.start),
										   tag.kind, tag.namelen, tag.name)));
					for (;;)
					{
						if (!next_tag(r, q, end, &t))
							ereport(ERROR,
									(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
									 errmsg("section \"%.*s\" is not closed", tag.namelen, tag.name),
									 errdetail("Line %d opens it; add \"{{/%.*s}}\".",
											   line_of(r, tag.start), tag.namelen, tag.name)));
						q = t.end;
						if (t.kind == '#' || t.kind == '^')
							nest++;
						else if (t.kind == '/')
						{
							if (nest-- > 0)
								continue;
							if (t.namelen != tag.namelen ||
								memcmp(t.name, tag.name, t.namelen) != 0)
								ereport(ERROR,
										(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
										 errmsg("section \"%.*s\" is closed by \"{{/%.*s}}\"",
												tag.namelen, tag.name, t.namelen, t.name),
										 errdetail("Line %d opens it, line %d closes another name.",
												   line_of(r, tag.start), line_of(r, t.start))));
							break;
						}
					}
					lookup(r, &tag, &v);
					if (tag.kind == '#' && truthy(&v))
						render_section(r, p, t.start, &v);
					else if (tag.kind == '^' && !truthy(&v))
						render_part(r, p, t.start);
					p = t.end;
				}
				break;
		}
	}
	appendBinaryStringInfo(r->out, p, end - p);
}

/*
 * dunning.render(template text, context jsonb) RETURNS text
 */
PG_FUNCTION_INFO_V1(dunning_render);
Datum
dunning_render(PG_FUNCTION_ARGS)
{
	text	   *tpl;
	Jsonb	   *ctx;
	Render		r;
	StringInfoData out;
	JsonbValue	lang;
	int			len;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("template and context must not be null"),
				 errdetail("Pass '{}' for a template with no placeholder.")));
	tpl = PG_GETARG_TEXT_PP(0);
	ctx = PG_GETARG_JSONB_P(1);
	if (!JB_ROOT_IS_OBJECT(ctx))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("template context must be a JSON object"),
				 errdetail("Placeholders are looked up by name in an object such as '{\"customer\": {\"name\": \"...\"}}'.")));

	len = VARSIZE_ANY_EXHDR(tpl);
	r.tpl = VARDATA_ANY(tpl);
	r.depth = 0;
	r.stack[0].type = jbvBinary;
	r.stack[0].val.binary.data = &ctx->root;
	r.stack[0].val.binary.len = VARSIZE(ctx) - VARHDRSZ;
	strcpy(r.lang, "en");
	if (lookup_key(&r.stack[0], "language", 8, &lang) && lang.type == jbvString &&
		lang.val.string.len >= 2)
	{
		r.lang[0] = lang.val.string.val[0];
		r.lang[1] = lang.val.string.val[1];
		r.lang[2] = '\0';
	}
	initStringInfo(&out);
	r.out = &out;
	render_part(&r, r.tpl, r.tpl + len);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
