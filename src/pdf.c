/*
 * pdf.c
 *		The printed letter: dunning._pdf(docs refcursor) lays out the letters
 *		a cursor returns, as one A4 PDF, with cairo and pango.
 *
 * Part of the second library, dunning_delivery.so (README "Delivery"): only
 * the functions that print or send load it, so a backend that letters or
 * proposes never maps cairo, pango or libcurl.
 *
 * The SQL side (src/pdf.sql, _letter_doc and _message_doc) decides every
 * word of a letter: labels in the customer's language, amounts and dates
 * written out, the payment reference, the QR payload.  Each row of the
 * cursor is one letter, a jsonb document; this file only places it on the
 * page.  The page follows DIN 5008 form B: the letterhead in the top 45 mm,
 * the address field 20 mm from the left and 45 mm from the top, 85 x 45 mm
 * (a 5 mm return-address line, then the recipient from 62.7 mm), so that a
 * window envelope C5/6 or DL with the window on the left shows it; fold
 * marks at 105 and 210 mm and the punch mark at 148.5 mm.
 *
 * A letter is laid out twice with the same code: once without drawing, to
 * count its pages ("page 2/7" needs the total), then drawn.  Table rows have
 * a fixed height and are not measured; only running text is.
 *
 * cairo, pango, glib and libqrencode allocate outside PostgreSQL's memory
 * contexts.  Every object of theirs hangs off the Pdf struct and is freed
 * by pdf_free(), on success and, through PG_CATCH, on error; no ereport
 * happens while a pango iterator or a QR code is held.  The bytes cairo
 * writes go into a StringInfo of the calling context, which becomes the
 * result.  Each letter's
 * document is parsed in a memory context reset after it.
 */
#include "postgres.h"

#include <cairo.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <qrencode.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/portal.h"

#include "dunning.h"

PG_MODULE_MAGIC;

/* A4 in points, positions in millimetres */
#define MM(x)			((x) * 72.0 / 25.4)
#define PAGE_W			MM(210.0)
#define PAGE_H			MM(297.0)
#define LEFT			MM(25.0)
#define RIGHT			MM(190.0)
#define TEXT_W			(RIGHT - LEFT)
#define FIRST_TOP		MM(98.46)	/* subject line of DIN 5008 form B */
#define NEXT_TOP		MM(30.0)
#define BOTTOM			MM(270.0)
#define ROW_H			MM(5.0)
#define QR_SIZE			MM(32.0)
#define FONT			"DejaVu Sans"

/* the running text of a letter: subject, body before and after the table,
 * payment instructions; each is laid out once and drawn from that layout */
#define FLOW_SUBJECT	0
#define FLOW_BODY		1
#define FLOW_CLOSING	2
#define FLOW_PAYMENT	3
#define FLOWS			4
/* the most lines kept laid out for the next letters */
#define LABELS_MAX		1024

/* most recipient lines the address field holds */
#define ADDRESS_LINES	6
/* a letter's running text past this is refused rather than laid out */
#define MAX_TEXT		(1024 * 1024)

typedef struct Strs
{
	int			n;
	char	  **v;
} Strs;

/* One letter, as _letter_doc wrote it; strings are valid UTF-8. */
typedef struct Letter
{
	char	   *company_id;
	Strs		letterhead;		/* [0] is the company's name */
	char	   *return_address;
	Strs		recipient;
	Strs		info;			/* label, value, label, value ... */
	char	   *subject;
	char	   *body;			/* a form feed marks where the table goes */
	Strs		columns;		/* five headers */
	int			nitems;
	Strs	   *items;			/* five cells each */
	Strs		totals;			/* label, amount, ... ; the last one bold */
	char	   *payment;		/* the payment instructions */
	char	   *qr;				/* EPC069-12 payload, or NULL */
	char	   *qr_caption;
	Strs		footer;
	char	   *page_word;
	char	   *date;			/* ISO date of the letter */
} Letter;

/* A decoded logo, cached per company for one call. */
typedef struct Logo
{
	char	   *company_id;
	cairo_surface_t *image;		/* NULL: the company has none */
	struct Logo *next;
} Logo;

typedef struct Pdf
{
	/* foreign objects: all freed by pdf_free() */
	cairo_surface_t *surface;
	cairo_t    *cr;
	PangoContext *pctx;			/* of every layout below */
	PangoLayout *layout;		/* lines, cells */
	GHashTable *labels;			/* layouts of the lines every letter repeats */
	PangoLayout *flows[FLOWS];	/* running text, one a part of the letter */
	PangoLayoutIter *iter;		/* flow's walk through a flow layout */
	PangoFontDescription *font;
	QRcode	   *qr;
	cairo_surface_t *qr_image;
	Logo	   *logos;

	MemoryContext call_cxt;		/* outlives the letters: the logo cache */
	StringInfo	out;			/* the PDF bytes; NULL: discard them */
	bool		write_failed;
	bool		dated;			/* metadata written */

	/* the letter being laid out */
	Letter	   *L;
	bool		draw;
	double		y;
	int			page;
	int			pages;
	bool		in_table;
	int			sheets;			/* pages of the whole document */
} Pdf;

/* cairo's write callback: never ereport here (we are inside cairo) */
static cairo_status_t
pdf_write(void *closure, const unsigned char *data, unsigned int length)
{
	Pdf		   *p = (Pdf *) closure;

	if (p->out == NULL)
		return CAIRO_STATUS_WRITE_ERROR;	/* an error path: nothing to keep */
	if ((Size) p->out->len + length >= MaxAllocSize - 1)
	{
		p->write_failed = true;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	appendBinaryStringInfo(p->out, (const char *) data, (int) length);
	return CAIRO_STATUS_SUCCESS;
}

static void
pdf_free(Pdf *p)
{
	Logo	   *l;

	for (l = p->logos; l; l = l->next)
		g_clear_pointer(&l->image, cairo_surface_destroy);
	p->logos = NULL;
	g_clear_pointer(&p->qr, QRcode_free);
	g_clear_pointer(&p->qr_image, cairo_surface_destroy);
	g_clear_pointer(&p->iter, pango_layout_iter_free);
	for (int i = 0; i < FLOWS; i++)
		g_clear_object(&p->flows[i]);
	g_clear_pointer(&p->labels, g_hash_table_destroy);
	g_clear_pointer(&p->font, pango_font_description_free);
	g_clear_object(&p->layout);
	g_clear_object(&p->pctx);
	g_clear_pointer(&p->cr, cairo_destroy);
	/* destroying an unfinished surface finishes it: into our buffer, or
	 * nowhere on an error path (p->out is NULL then) */
	g_clear_pointer(&p->surface, cairo_surface_destroy);
}

/* ---------------------------------------------------------------------
 * The document of a letter
 * --------------------------------------------------------------------- */

/*
 * Text from the document as valid UTF-8: control characters other than the
 * newline (and, in running text, the form feed) become spaces; in a line,
 * the newline too.
 */
static char *
clean_text(const char *s, int len, bool running)
{
	char	   *u;
	char	   *r;
	int			i;

	u = (char *) pg_server_to_any(s, len, PG_UTF8);
	if (u == s)
		u = pnstrdup(s, len);
	len = strlen(u);
	r = palloc(len + 1);
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) u[i];

		if (c == '\r')
			r[i] = running ? '\n' : ' ';
		else if ((c < 0x20 || c == 0x7f) &&
				 !(running && (c == '\n' || c == '\f')))
			r[i] = ' ';
		else
			r[i] = (char) c;
	}
	r[len] = '\0';
	/* pango needs valid UTF-8; a database in SQL_ASCII may hold anything */
	if (!pg_verify_mbstr(PG_UTF8, r, len, true))
	{
		gchar	   *g = g_utf8_make_valid(r, len);

		r = pstrdup(g);
		g_free(g);
	}
	return r;
}

static JsonbValue *
doc_get(JsonbContainer *doc, const char *key)
{
	return getKeyJsonValueFromContainer(doc, key, strlen(key), NULL);
}

static char *
value_text(JsonbValue *v, bool running, const char *key)
{
	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("letter document key \"%s\" is not a string", key),
				 errdetail("The documents of _letter_doc hold strings and arrays of strings.")));
	if (v->val.string.len > MAX_TEXT)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("letter text \"%s\" is %d bytes long", key, v->val.string.len),
				 errdetail("A letter's text is at most %d bytes.", MAX_TEXT)));
	return clean_text(v->val.string.val, v->val.string.len, running);
}

static char *
doc_text(JsonbContainer *doc, const char *key, bool running)
{
	return value_text(doc_get(doc, key), running, key);
}

static Strs
value_strs(JsonbValue *v, const char *key)
{
	Strs		s = {0, NULL};
	int			i;

	if (v == NULL || v->type == jbvNull)
		return s;
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("letter document key \"%s\" is not an array", key),
				 errdetail("The documents of _letter_doc hold strings and arrays of strings.")));
	s.n = JsonContainerSize(v->val.binary.data);
	s.v = palloc0(sizeof(char *) * (s.n + 1));
	for (i = 0; i < s.n; i++)
	{
		char	   *t = value_text(getIthJsonbValueFromContainer(v->val.binary.data, i),
								   false, key);

		s.v[i] = t ? t : "";
	}
	return s;
}

static Strs
doc_strs(JsonbContainer *doc, const char *key)
{
	return value_strs(doc_get(doc, key), key);
}

static Letter *
letter_parse(Jsonb *j)
{
	JsonbContainer *doc = &j->root;
	Letter	   *L = palloc0(sizeof(Letter));
	JsonbValue *items;

	if (!JB_ROOT_IS_OBJECT(j))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a letter document must be a jsonb object"),
				 errdetail("dunning._letter_doc and dunning._message_doc write them.")));
	L->company_id = doc_text(doc, "company_id", false);
	L->letterhead = doc_strs(doc, "letterhead");
	L->return_address = doc_text(doc, "return_address", false);
	L->recipient = doc_strs(doc, "recipient");
	L->info = doc_strs(doc, "info");
	L->subject = doc_text(doc, "subject", false);
	L->body = doc_text(doc, "body", true);
	L->columns = doc_strs(doc, "columns");
	items = doc_get(doc, "items");
	if (items && items->type == jbvBinary && JsonContainerIsArray(items->val.binary.data))
	{
		int			i;

		L->nitems = JsonContainerSize(items->val.binary.data);
		L->items = palloc0(sizeof(Strs) * (L->nitems + 1));
		for (i = 0; i < L->nitems; i++)
			L->items[i] = value_strs(getIthJsonbValueFromContainer(items->val.binary.data, i),
									 "items");
	}
	else if (items && items->type != jbvNull)
		(void) value_strs(items, "items");	/* the error */
	L->totals = doc_strs(doc, "totals");
	L->payment = doc_text(doc, "payment", true);
	L->qr = doc_text(doc, "qr", true);
	L->qr_caption = doc_text(doc, "qr_caption", false);
	L->footer = doc_strs(doc, "footer");
	L->page_word = doc_text(doc, "page_word", false);
	L->date = doc_text(doc, "date", false);
	return L;
}

/* ---------------------------------------------------------------------
 * Drawing
 * --------------------------------------------------------------------- */

static void
set_font(Pdf *p, PangoLayout *layout, double size, bool bold)
{
	pango_font_description_set_family(p->font, FONT);
	pango_font_description_set_weight(p->font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_font_description_set_absolute_size(p->font, size * PANGO_SCALE);
	pango_layout_set_font_description(layout, p->font);
}

/*
 * One line of text in a box of width w (ellipsized when it does not fit),
 * aligned; returns its height.  Drawn only in the drawing pass.  A label
 * (a line every letter of the company repeats: letterhead, footer, column
 * headers) is laid out once a call and kept; other lines are laid out in
 * the one shared layout.
 */
static double
text_line(Pdf *p, double x, double y, double w, double size, bool bold,
		  const char *s, PangoAlignment align, bool label)
{
	PangoLayout *layout = NULL;
	gchar	   *key = NULL;
	int			h;

	if (!p->draw)
		return size * 1.3;
	if (s == NULL)
		s = "";
	if (label)
	{
		key = g_strdup_printf("%.3f %.2f %d %d %s", w, size, (int) bold, (int) align, s);
		layout = g_hash_table_lookup(p->labels, key);
		if (layout == NULL && g_hash_table_size(p->labels) < LABELS_MAX)
		{
			layout = pango_layout_new(p->pctx);
			g_hash_table_insert(p->labels, key, layout);	/* owns key and layout */
			key = NULL;
			set_font(p, layout, size, bold);
			pango_layout_set_width(layout, (int) (w * PANGO_SCALE));
			pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
			pango_layout_set_single_paragraph_mode(layout, TRUE);
			pango_layout_set_alignment(layout, align);
			pango_layout_set_text(layout, s, -1);
		}
		g_free(key);
	}
	if (layout == NULL)
	{
		layout = p->layout;
		set_font(p, layout, size, bold);
		pango_layout_set_width(layout, (int) (w * PANGO_SCALE));
		pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
		pango_layout_set_single_paragraph_mode(layout, TRUE);
		pango_layout_set_alignment(layout, align);
		pango_layout_set_text(layout, s, -1);
	}
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, layout);
	pango_layout_get_size(layout, NULL, &h);
	return (double) h / PANGO_SCALE;
}

#define line_at(p, x, y, w, size, bold, s, align) text_line(p, x, y, w, size, bold, s, align, false)
#define label_at(p, x, y, w, size, bold, s, align) text_line(p, x, y, w, size, bold, s, align, true)

static void page_start(Pdf *p);

/* the footer of a page, and the page out */
static void
page_end(Pdf *p)
{
	Letter	   *L = p->L;
	char		label[64];
	int			i;
	double		y = MM(280.0);

	if (!p->draw)
		return;
	cairo_set_line_width(p->cr, 0.4);
	cairo_move_to(p->cr, LEFT, MM(277.0));
	cairo_line_to(p->cr, RIGHT, MM(277.0));
	cairo_stroke(p->cr);
	for (i = 0; i < L->footer.n && i < 3; i++)
		y += label_at(p, LEFT, y, TEXT_W - MM(30.0), 7.0, false, L->footer.v[i],
					 PANGO_ALIGN_LEFT);
	snprintf(label, sizeof(label), "%s %d/%d",
			 L->page_word ? L->page_word : "page", p->page, p->pages);
	line_at(p, RIGHT - MM(30.0), MM(280.0), MM(30.0), 8.0, false, label, PANGO_ALIGN_RIGHT);
	cairo_show_page(p->cr);
	p->sheets++;
}

/* a page is full: close it and start the next */
static void
page_break(Pdf *p)
{
	page_end(p);
	p->page++;
	page_start(p);
}

/* the items table's columns, in mm: 165 mm, the text width */
static const double widths[5] = {45.0, 25.0, 27.0, 30.0, 38.0};

static void
table_header(Pdf *p)
{
	Letter	   *L = p->L;
	double		x = LEFT;
	int			i;

	if (p->draw)
	{
		for (i = 0; i < 5 && i < L->columns.n; i++)
		{
			label_at(p, x + MM(1.0), p->y, MM(widths[i] - 2.0), 8.5, true, L->columns.v[i],
					i == 0 ? PANGO_ALIGN_LEFT : PANGO_ALIGN_RIGHT);
			x += MM(widths[i]);
		}
		cairo_set_line_width(p->cr, 0.6);
		cairo_move_to(p->cr, LEFT, p->y + ROW_H - MM(0.6));
		cairo_line_to(p->cr, RIGHT, p->y + ROW_H - MM(0.6));
		cairo_stroke(p->cr);
	}
	p->y += ROW_H;
}

static void
page_start(Pdf *p)
{
	Letter	   *L = p->L;

	if (p->page == 1)
		return;					/* letter_first_page draws it */
	p->y = NEXT_TOP;
	if (p->draw)
	{
		/* a running head: who writes, about what */
		label_at(p, LEFT, MM(15.0), TEXT_W / 2, 8.0, true,
				L->letterhead.n > 0 ? L->letterhead.v[0] : "", PANGO_ALIGN_LEFT);
		line_at(p, LEFT + TEXT_W / 2, MM(15.0), TEXT_W / 2, 8.0, false,
				L->subject, PANGO_ALIGN_RIGHT);
		cairo_set_line_width(p->cr, 0.4);
		cairo_move_to(p->cr, LEFT, MM(20.5));
		cairo_line_to(p->cr, RIGHT, MM(20.5));
		cairo_stroke(p->cr);
	}
	if (p->in_table)
		table_header(p);
}

/*
 * Running text of the given width, line by line, breaking pages between
 * lines.  The measuring pass lays it out in the layout of its part of the
 * letter (slot); the drawing pass walks that same layout, so both break
 * alike.  page_break draws with other layouts while this one is walked.
 */
static void
flow(Pdf *p, int slot, double x, const char *text, int len, double size, bool bold, double width)
{
	PangoLayout *layout = p->flows[slot];
	PangoLayoutIter *it;

	if (len <= 0)
		return;
	if (!p->draw)
	{
		set_font(p, layout, size, bold);
		pango_layout_set_width(layout, (int) (width * PANGO_SCALE));
		pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
		pango_layout_set_text(layout, text, len);
	}
	it = pango_layout_get_iter(layout);
	p->iter = it;
	do
	{
		PangoRectangle logical;
		double		h;
		int			baseline;

		pango_layout_iter_get_line_extents(it, NULL, &logical);
		baseline = pango_layout_iter_get_baseline(it);
		h = (double) logical.height / PANGO_SCALE;
		if (p->y + h > BOTTOM)
			page_break(p);
		if (p->draw)
		{
			cairo_move_to(p->cr, x + (double) logical.x / PANGO_SCALE,
						  p->y + (double) (baseline - logical.y) / PANGO_SCALE);
			pango_cairo_show_layout_line(p->cr, pango_layout_iter_get_line_readonly(it));
		}
		p->y += h;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	p->iter = NULL;
}

/* the height running text takes in a width, laid out in p->layout */
static double
text_height(Pdf *p, const char *text, int len, double size, double width)
{
	int			h;

	set_font(p, p->layout, size, false);
	pango_layout_set_width(p->layout, (int) (width * PANGO_SCALE));
	pango_layout_set_ellipsize(p->layout, PANGO_ELLIPSIZE_NONE);
	pango_layout_set_single_paragraph_mode(p->layout, FALSE);
	pango_layout_set_wrap(p->layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(p->layout, PANGO_ALIGN_LEFT);
	pango_layout_set_text(p->layout, text, len);
	pango_layout_get_size(p->layout, NULL, &h);
	return (double) h / PANGO_SCALE;
}

/*
 * The running text up to the table marker (part 0) or after it (part 1).
 * The closing and signature after the table go to the next page whole
 * rather than leave the signature alone at its top, when they fit one.
 */
static void
body_part(Pdf *p, int part)
{
	const char *b = p->L->body;
	const char *ff;

	if (b == NULL)
		return;
	ff = strchr(b, '\f');
	if (part == 0)
		flow(p, FLOW_BODY, LEFT, b, ff ? (int) (ff - b) : (int) strlen(b), 10.0, false, TEXT_W);
	else if (ff)
	{
		int			len = (int) strlen(ff + 1);
		double		h = text_height(p, ff + 1, len, 10.0, TEXT_W);

		if (p->y + h > BOTTOM && h <= BOTTOM - NEXT_TOP)
			page_break(p);
		flow(p, FLOW_CLOSING, LEFT, ff + 1, len, 10.0, false, TEXT_W);
	}
}

static cairo_status_t
png_read(void *closure, unsigned char *data, unsigned int length)
{
	StringInfo	buf = (StringInfo) closure;

	if ((unsigned int) (buf->len - buf->cursor) < length)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, buf->data + buf->cursor, length);
	buf->cursor += length;
	return CAIRO_STATUS_SUCCESS;
}

/* the company's logo, decoded once per call; NULL when it has none */
static cairo_surface_t *
company_logo(Pdf *p, const char *company_id)
{
	Logo	   *l;
	Datum		arg;
	int			rc;

	if (company_id == NULL)
		return NULL;
	for (l = p->logos; l; l = l->next)
		if (strcmp(l->company_id, company_id) == 0)
			return l->image;
	/* the cache outlives the letter's memory context */
	l = MemoryContextAllocZero(p->call_cxt, sizeof(Logo));
	l->company_id = MemoryContextStrdup(p->call_cxt, company_id);
	arg = CStringGetTextDatum(company_id);
	rc = SPI_execute_with_args("SELECT logo FROM " DUNNING_SCHEMA ".company WHERE company_id = $1",
							   1, (Oid[]) {TEXTOID}, &arg, NULL, true, 1);
	if (rc == SPI_OK_SELECT && SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
		{
			bytea	   *png = DatumGetByteaPP(d);
			StringInfoData buf;
			cairo_surface_t *img;

			buf.data = VARDATA_ANY(png);
			buf.len = VARSIZE_ANY_EXHDR(png);
			buf.cursor = 0;
			img = cairo_image_surface_create_from_png_stream(png_read, &buf);
			if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS)
			{
				const char *why = cairo_status_to_string(cairo_surface_status(img));

				cairo_surface_destroy(img);
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
						 errmsg("the logo of company \"%s\" cannot be read as a PNG image", company_id),
						 errdetail("cairo says: %s.", why)));
			}
			l->image = img;
		}
	}
	SPI_freetuptable(SPI_tuptable);
	l->next = p->logos;
	p->logos = l;
	return l->image;
}

/* DIN 5008 form B: letterhead, folding marks, address field, information block */
static void
letter_first_page(Pdf *p)
{
	Letter	   *L = p->L;
	int			i;
	double		y;

	p->y = FIRST_TOP;
	if (!p->draw)
		return;

	/* folding marks (105 and 210 mm) and the punch mark (148.5 mm) */
	cairo_set_line_width(p->cr, 0.3);
	cairo_move_to(p->cr, MM(4.0), MM(105.0));
	cairo_line_to(p->cr, MM(9.0), MM(105.0));
	cairo_move_to(p->cr, MM(4.0), MM(210.0));
	cairo_line_to(p->cr, MM(9.0), MM(210.0));
	cairo_move_to(p->cr, MM(4.0), MM(148.5));
	cairo_line_to(p->cr, MM(11.0), MM(148.5));
	cairo_stroke(p->cr);

	/* letterhead: the company at the left, its logo at the right */
	y = MM(12.0);
	for (i = 0; i < L->letterhead.n && i < 7; i++)
		y += label_at(p, LEFT, y, MM(100.0), i == 0 ? 13.0 : 8.0, i == 0,
					 L->letterhead.v[i], PANGO_ALIGN_LEFT) + (i == 0 ? MM(1.0) : 0);
	{
		cairo_surface_t *logo = company_logo(p, L->company_id);

		if (logo)
		{
			double		w = cairo_image_surface_get_width(logo);
			double		h = cairo_image_surface_get_height(logo);
			double		s = Min(MM(60.0) / w, MM(25.0) / h);

			cairo_save(p->cr);
			cairo_translate(p->cr, RIGHT - w * s, MM(12.0));
			cairo_scale(p->cr, s, s);
			cairo_set_source_surface(p->cr, logo, 0, 0);
			cairo_paint(p->cr);
			cairo_restore(p->cr);
		}
	}

	/* the address field: 20 mm from the left, 45 mm from the top */
	if (L->return_address)
	{
		double		h = label_at(p, LEFT, MM(46.5), MM(80.0), 6.5, false, L->return_address,
								PANGO_ALIGN_LEFT);

		cairo_set_line_width(p->cr, 0.3);
		cairo_move_to(p->cr, LEFT, MM(46.5) + h + 0.5);
		cairo_line_to(p->cr, LEFT + MM(80.0), MM(46.5) + h + 0.5);
		cairo_stroke(p->cr);
	}
	y = MM(62.7);
	for (i = 0; i < L->recipient.n && i < ADDRESS_LINES; i++)
		y += line_at(p, LEFT, y, MM(80.0), 10.0, false, L->recipient.v[i], PANGO_ALIGN_LEFT);

	/* the information block: 125 mm from the left, from 50 mm */
	y = MM(50.0);
	for (i = 0; i + 1 < L->info.n && i < 16; i += 2)
	{
		label_at(p, MM(125.0), y, MM(27.0), 8.0, false, L->info.v[i], PANGO_ALIGN_LEFT);
		y += line_at(p, MM(152.0), y, RIGHT - MM(152.0), 8.0, false, L->info.v[i + 1],
					 PANGO_ALIGN_LEFT);
	}
}

static void
table_rows(Pdf *p)
{
	Letter	   *L = p->L;
	int			r;

	if (L->nitems == 0 || L->columns.n == 0)
		return;
	p->y += MM(3.0);
	if (p->y + 2 * ROW_H > BOTTOM)
		page_break(p);
	p->in_table = true;
	table_header(p);
	for (r = 0; r < L->nitems; r++)
	{
		if (p->y + ROW_H > BOTTOM)
			page_break(p);
		if (p->draw)
		{
			double		x = LEFT;
			int			i;

			for (i = 0; i < 5 && i < L->items[r].n; i++)
			{
				line_at(p, x + MM(1.0), p->y + MM(0.6), MM(widths[i] - 2.0), 8.5, false,
						L->items[r].v[i], i == 0 ? PANGO_ALIGN_LEFT : PANGO_ALIGN_RIGHT);
				x += MM(widths[i]);
			}
		}
		p->y += ROW_H;
	}
	p->in_table = false;
}

/* fees, interest, compensation, total: right-aligned under the amounts */
static void
totals(Pdf *p)
{
	Letter	   *L = p->L;
	int			i;

	if (L->totals.n == 0)
		return;
	if (p->y + ROW_H * (L->totals.n / 2) + MM(2.0) > BOTTOM)
		page_break(p);
	if (p->draw)
	{
		cairo_set_line_width(p->cr, 0.4);
		cairo_move_to(p->cr, RIGHT - MM(95.0), p->y + MM(0.5));
		cairo_line_to(p->cr, RIGHT, p->y + MM(0.5));
		cairo_stroke(p->cr);
	}
	p->y += MM(1.0);
	for (i = 0; i + 1 < L->totals.n; i += 2)
	{
		bool		last = (i + 2 >= L->totals.n);

		if (p->draw)
		{
			label_at(p, RIGHT - MM(95.0), p->y + MM(0.6), MM(59.0), 9.0, last, L->totals.v[i],
					PANGO_ALIGN_RIGHT);
			line_at(p, RIGHT - MM(35.0), p->y + MM(0.6), MM(34.0), 9.0, last, L->totals.v[i + 1],
					PANGO_ALIGN_RIGHT);
		}
		p->y += ROW_H;
	}
	p->y += MM(4.0);
}

/*
 * The payment instructions, with the EPC QR code at their right.  The block
 * is kept on one page when it fits one.
 */
static void
payment(Pdf *p)
{
	Letter	   *L = p->L;
	double		width = L->qr ? TEXT_W - QR_SIZE - MM(8.0) : TEXT_W;
	double		h = 0;
	double		top;

	if (L->payment == NULL && L->qr == NULL)
		return;
	if (L->payment)
		h = text_height(p, L->payment, -1, 9.0, width);
	if (L->qr)
		h = Max(h, QR_SIZE + MM(5.0));
	p->y += MM(2.0);
	if (p->y + h > BOTTOM && h <= BOTTOM - NEXT_TOP)
		page_break(p);
	top = p->y;
	if (L->payment)
		flow(p, FLOW_PAYMENT, LEFT, L->payment, (int) strlen(L->payment), 9.0, false, width);
	if (L->qr)
	{
		double		qy = top;

		if (qy + QR_SIZE + MM(5.0) > BOTTOM)
		{
			page_break(p);
			qy = p->y;
		}
		if (p->draw)
		{
			QRcode	   *q;
			double		m;
			int			r,
						c;

			q = QRcode_encodeString(L->qr, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
			if (q)
			{
				/*
				 * One pixel a module, with a quiet zone of 4, painted
				 * scaled without smoothing: a small image in the PDF
				 * rather than hundreds of rectangles to write and
				 * compress
				 */
				int			size = q->width + 8;
				unsigned char *px;
				int			stride;

				p->qr = q;
				p->qr_image = cairo_image_surface_create(CAIRO_FORMAT_RGB24, size, size);
				if (cairo_surface_status(p->qr_image) == CAIRO_STATUS_SUCCESS)
				{
					cairo_pattern_t *pattern;

					cairo_surface_flush(p->qr_image);
					px = cairo_image_surface_get_data(p->qr_image);
					stride = cairo_image_surface_get_stride(p->qr_image);
					for (r = 0; r < size; r++)
						for (c = 0; c < size; c++)
						{
							bool		dark = r >= 4 && c >= 4 && r < q->width + 4 && c < q->width + 4
								&& (q->data[(r - 4) * q->width + (c - 4)] & 1);

							((uint32 *) (px + r * stride))[c] = dark ? 0x000000 : 0xffffff;
						}
					cairo_surface_mark_dirty(p->qr_image);
					m = QR_SIZE / size;
					cairo_save(p->cr);
					cairo_translate(p->cr, RIGHT - QR_SIZE, qy);
					cairo_scale(p->cr, m, m);
					cairo_set_source_surface(p->cr, p->qr_image, 0, 0);
					pattern = cairo_get_source(p->cr);
					cairo_pattern_set_filter(pattern, CAIRO_FILTER_NEAREST);
					cairo_paint(p->cr);
					cairo_restore(p->cr);
				}
				cairo_surface_destroy(p->qr_image);
				p->qr_image = NULL;
				QRcode_free(q);
				p->qr = NULL;
			}
			if (L->qr_caption)
				/* right-aligned under the code: a caption may be wider */
				label_at(p, RIGHT - MM(70.0), qy + QR_SIZE, MM(70.0), 7.0,
						 false, L->qr_caption, PANGO_ALIGN_RIGHT);
		}
		p->y = Max(p->y, qy + QR_SIZE + MM(5.0));
	}
}

/* one pass over a letter: counts its pages, and draws them when p->draw */
static void
letter_pass(Pdf *p)
{
	Letter	   *L = p->L;

	p->page = 1;
	p->in_table = false;
	letter_first_page(p);
	if (L->subject)
	{
		flow(p, FLOW_SUBJECT, LEFT, L->subject, (int) strlen(L->subject), 11.0, true, TEXT_W);
		p->y += MM(4.0);
	}
	body_part(p, 0);
	table_rows(p);
	totals(p);
	body_part(p, 1);
	payment(p);
}

static void
letter_render(Pdf *p, Letter *L)
{
	p->L = L;
	if (!p->dated)
	{
		/* the same letter gives the same bytes: no clock in the file */
		char		date[64];

		snprintf(date, sizeof(date), "%sT00:00:00Z", L->date ? L->date : "2000-01-01");
		cairo_pdf_surface_set_metadata(p->surface, CAIRO_PDF_METADATA_CREATE_DATE, date);
		cairo_pdf_surface_set_metadata(p->surface, CAIRO_PDF_METADATA_MOD_DATE, date);
		if (L->letterhead.n > 0)
			cairo_pdf_surface_set_metadata(p->surface, CAIRO_PDF_METADATA_AUTHOR, L->letterhead.v[0]);
		cairo_pdf_surface_set_metadata(p->surface, CAIRO_PDF_METADATA_CREATOR, "dunning");
		p->dated = true;
	}
	p->draw = false;
	letter_pass(p);
	p->pages = p->page;
	p->draw = true;
	letter_pass(p);
	/* the last page's footer; the next letter starts on a new sheet */
	page_end(p);
}

/* ---------------------------------------------------------------------
 * The functions: _pdf(refcursor), run_pdf(bigint), print_batch()
 * --------------------------------------------------------------------- */

/*
 * The PDF of the letter documents a portal returns (SPI connected).  The
 * buffer cairo writes into is the bytea returned, so the PDF of a run is
 * in memory once.
 */
static bytea *
render_portal(Portal portal)
{
	Pdf			p;
	MemoryContext letter_cxt;
	MemoryContext call_cxt = CurrentMemoryContext;
	bytea	   *result;

	memset(&p, 0, sizeof(p));
	p.call_cxt = call_cxt;
	p.out = makeStringInfo();
	appendStringInfoSpaces(p.out, VARHDRSZ);
	letter_cxt = AllocSetContextCreate(CurrentMemoryContext, "dunning letter",
									   ALLOCSET_DEFAULT_SIZES);
	PG_TRY();
	{
		p.surface = cairo_pdf_surface_create_for_stream(pdf_write, &p, PAGE_W, PAGE_H);
		p.cr = cairo_create(p.surface);
		p.pctx = pango_cairo_create_context(p.cr);
		p.layout = pango_layout_new(p.pctx);
		for (int i = 0; i < FLOWS; i++)
			p.flows[i] = pango_layout_new(p.pctx);
		p.labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
		p.font = pango_font_description_new();
		if (cairo_status(p.cr) != CAIRO_STATUS_SUCCESS)
			ereport(ERROR,
					(errcode(ERRCODE_SYSTEM_ERROR),
					 errmsg("cairo cannot start a PDF: %s", cairo_status_to_string(cairo_status(p.cr))),
					 errdetail("The PDF surface of cairo failed before the first letter.")));
		for (;;)
		{
			SPITupleTable *batch;
			uint64		n;
			uint64		i;

			/* company_logo runs queries of its own: keep this batch */
			SPI_cursor_fetch(portal, true, 32);
			batch = SPI_tuptable;
			n = SPI_processed;
			if (n == 0)
				break;
			if (SPI_gettypeid(batch->tupdesc, 1) != JSONBOID)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("the cursor of _pdf must return jsonb documents"),
						 errdetail("Its first column is of type %s.",
								   format_type_be(SPI_gettypeid(batch->tupdesc, 1)))));
			for (i = 0; i < n; i++)
			{
				bool		isnull;
				Datum		d = SPI_getbinval(batch->vals[i], batch->tupdesc, 1, &isnull);
				MemoryContext old;

				CHECK_FOR_INTERRUPTS();
				if (isnull)
					continue;
				old = MemoryContextSwitchTo(letter_cxt);
				letter_render(&p, letter_parse(DatumGetJsonbP(d)));
				MemoryContextSwitchTo(old);
				MemoryContextReset(letter_cxt);
				if (cairo_status(p.cr) != CAIRO_STATUS_SUCCESS)
					ereport(ERROR,
							(errcode(p.write_failed ? ERRCODE_PROGRAM_LIMIT_EXCEEDED : ERRCODE_SYSTEM_ERROR),
							 errmsg("cairo failed on a letter: %s",
									cairo_status_to_string(cairo_status(p.cr))),
							 errdetail(p.write_failed ? "The PDF would exceed 1 GB; print the run in parts."
									   : "The letter was not written.")));
			}
			SPI_freetuptable(batch);
		}
		if (p.sheets == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("no letter to print"),
					 errdetail("The cursor returned no letter document.")));
		cairo_surface_finish(p.surface);
		if (cairo_surface_status(p.surface) != CAIRO_STATUS_SUCCESS)
			ereport(ERROR,
					(errcode(p.write_failed ? ERRCODE_PROGRAM_LIMIT_EXCEEDED : ERRCODE_SYSTEM_ERROR),
					 errmsg("cairo could not finish the PDF: %s",
							cairo_status_to_string(cairo_surface_status(p.surface))),
					 errdetail(p.write_failed ? "The PDF would exceed 1 GB; print the run in parts."
							   : "No PDF was returned.")));
	}
	PG_CATCH();
	{
		p.out = NULL;			/* destroying the surface writes no more */
		pdf_free(&p);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pdf_free(&p);

	/* the buffer is the result: its first VARHDRSZ bytes were kept for the
	 * header, so a PDF of many letters is not copied once more */
	MemoryContextSwitchTo(call_cxt);
	result = (bytea *) p.out->data;
	SET_VARSIZE(result, p.out->len);
	MemoryContextDelete(letter_cxt);
	return result;
}

/* the memory of the result: the caller's, not SPI's */
static bytea *
render_query(const char *sql, int nargs, Oid *types, Datum *values)
{
	MemoryContext caller = CurrentMemoryContext;
	Portal		portal;
	bytea	   *result;

	SPI_connect();
	portal = SPI_cursor_open_with_args(NULL, sql, nargs, types, values, NULL, true, 0);
	MemoryContextSwitchTo(caller);
	result = render_portal(portal);
	SPI_finish();
	return result;
}

/* a query's boolean answer, for the checks of the functions below */
static bool
query_true(const char *sql, int nargs, Oid *types, Datum *values)
{
	bool		answer = false;

	SPI_connect();
	if (SPI_execute_with_args(sql, nargs, types, values, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		answer = !isnull && DatumGetBool(d);
	}
	SPI_finish();
	return answer;
}

/* dunning._pdf(docs refcursor): the letters of a cursor the caller opened */
PG_FUNCTION_INFO_V1(_pdf);
Datum
_pdf(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *name;
	Portal		portal;
	bytea	   *result;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the cursor of _pdf must not be null"),
				 errdetail("Open a cursor over letter documents and pass its name.")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	SPI_connect();
	portal = SPI_cursor_find(name);
	if (portal == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_CURSOR),
				 errmsg("cursor \"%s\" does not exist", name),
				 errdetail("_pdf reads the letter documents of an open cursor.")));
	MemoryContextSwitchTo(caller);
	result = render_portal(portal);
	SPI_finish();
	PG_RETURN_BYTEA_P(result);
}

#define RUN_LETTERS \
	" FROM " DUNNING_SCHEMA ".reminder r WHERE r.run_id OPERATOR(pg_catalog.=) $1" \
	" AND r.channel OPERATOR(pg_catalog.=) ANY ('{letter,legal}'::pg_catalog.text[])" \
	" AND r.status OPERATOR(pg_catalog.<>) 'cancelled'"

/* dunning.run_pdf(run_id bigint): every letter of a run, for the printer */
PG_FUNCTION_INFO_V1(dunning_run_pdf);
Datum
dunning_run_pdf(PG_FUNCTION_ARGS)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("run_id must not be null"),
				 errdetail("run_pdf prints the letters of one run.")));
	values[0] = PG_GETARG_DATUM(0);
	if (!query_true("SELECT EXISTS (SELECT 1 FROM " DUNNING_SCHEMA ".run x WHERE x.run_id OPERATOR(pg_catalog.=) $1)",
					1, types, values))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("there is no run " INT64_FORMAT, PG_GETARG_INT64(0)),
				 errdetail("Table dunning.run has no such row.")));
	if (!query_true("SELECT EXISTS (SELECT 1" RUN_LETTERS ")", 1, types, values))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run " INT64_FORMAT " has no letter to print", PG_GETARG_INT64(0)),
				 errdetail("Its reminders are emails, calls or cancelled.")));
	PG_RETURN_BYTEA_P(render_query("SELECT " DUNNING_SCHEMA "._letter_doc(r.customer_id, r.reminder_id)"
								   RUN_LETTERS " ORDER BY r.customer_id, r.reminder_id",
								   1, types, values));
}

#define BATCH_LETTERS \
	" FROM " DUNNING_SCHEMA ".reminder r WHERE r.status OPERATOR(pg_catalog.=) 'issued'" \
	" AND r.channel OPERATOR(pg_catalog.=) ANY ('{letter,legal}'::pg_catalog.text[])"
#define BATCH_MESSAGES \
	" FROM " DUNNING_SCHEMA ".message g WHERE g.status OPERATOR(pg_catalog.=) 'queued'" \
	" AND g.channel OPERATOR(pg_catalog.=) 'letter'"

/* dunning.print_batch(): every letter waiting in the outbox */
PG_FUNCTION_INFO_V1(dunning_print_batch);
Datum
dunning_print_batch(PG_FUNCTION_ARGS)
{
	if (!query_true("SELECT EXISTS (SELECT 1" BATCH_LETTERS ") OR EXISTS (SELECT 1" BATCH_MESSAGES ")",
					0, NULL, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no letter is waiting to be printed"),
				 errdetail("The outbox holds no issued letter and no message by letter.")));
	PG_RETURN_BYTEA_P(render_query("SELECT x.d FROM ("
								   "SELECT r.customer_id, 1 AS k, r.reminder_id AS id, "
								   DUNNING_SCHEMA "._letter_doc(r.customer_id, r.reminder_id) AS d"
								   BATCH_LETTERS
								   " UNION ALL SELECT g.customer_id, 2, g.message_id, "
								   DUNNING_SCHEMA "._message_doc(g.customer_id, g.message_id)"
								   BATCH_MESSAGES
								   ") x ORDER BY x.customer_id, x.k, x.id",
								   0, NULL, NULL));
}
