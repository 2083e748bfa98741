/*
 * lettering.c
 *		Lettering: matching credits (payments, credit notes) to debits
 *		(invoices, fees, interest) of a customer account.
 *
 * The engine works on a "book": the open lines of one customer in one
 * currency, with amounts as int64 millionths so that the strategies do
 * integer arithmetic.  Strategies plan allocations on the book; lines joined
 * by allocations, or already in one partial lettering group, form a group
 * (union-find).  A group whose lines are all settled is total and gets the
 * next upper-case code of the customer (AAA, AAB, ... ZZZ, AAAA); otherwise
 * it is partial and keeps, or gets, a lower-case code.  A residual within
 * the tolerance is written off by a 'writeoff' entry.
 *
 * The plan is then written with a few set-based statements per customer;
 * the triggers of allocation.c keep open amounts and letter codes of the
 * entries.  auto_letter reads the ledger through one cursor ordered by
 * customer, locking rows as it goes, and resets a memory context after each
 * customer: its memory is bounded by the largest customer.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/tuplestore.h"

#include "dunning.h"
#include "fixed.h"

/* a code is at most this long: 26^12 groups per customer */
#define CODE_MAX_LEN	12

/* subset search: lines considered and nodes visited per search, at most */
#define SUBSET_MAX_LINES	64
#define SUBSET_MAX_NODES	2000000

/* exact: amounts shared by more debit-credit pairs are paired in order */
#define EXACT_MAX_PAIRS		1000000

/* auto_letter reads the ledger in batches of rows */
#define FETCH_ROWS		1000

typedef enum Strategy
{
	STRAT_REFERENCE,
	STRAT_EXACT,
	STRAT_SUBSET,
	STRAT_FIFO,
	STRAT_MANUAL,
	NSTRATEGIES
} Strategy;

static const char *const strategy_names[NSTRATEGIES] = {
	"reference", "exact", "subset", "fifo", "manual"
};

typedef struct Line
{
	int64		entry_id;		/* 0 for a write-off not yet written */
	int64		amount;			/* millionths, signed */
	int64		open;			/* millionths, as planned so far */
	int64		moved;			/* allocated by this call, signed like open */
	DateADT		doc_date;
	DateADT		due_date;
	char	   *ref;			/* NULL when none */
	char	   *code;			/* the line's partial group, or NULL */
	int			parent;			/* union-find */
	bool		writeoff;		/* created by this call */
	ItemPointerData tid;		/* where the locked row lies */
} Line;

typedef struct Alloc
{
	int			debit;			/* line index */
	int			credit;			/* line index */
	int64		amount;			/* millionths, > 0 */
	Strategy	strategy;
} Alloc;

typedef struct Book
{
	char	   *customer_id;
	char	   *currency;
	Line	   *lines;
	int			nlines;
	int			maxlines;
	Alloc	   *allocs;
	int			nallocs;
	int			maxallocs;
} Book;

/* a lettering group to write, computed from the book */
typedef struct LetterGroup
{
	int			root;
	char		code[CODE_MAX_LEN + 1];
	bool		partial;
	Strategy	strategy;
	DateADT		lettered_on;
	int64		writeoff;		/* millionths, signed like the write-off entry */
	int			nold;			/* existing partial groups merged into it */
	char	  **old;
} LetterGroup;

/* per customer: the next free codes */
typedef struct Codes
{
	bool		loaded;
	char		upper[CODE_MAX_LEN + 1];	/* last used, "" if none */
	char		lower[CODE_MAX_LEN + 1];
} Codes;

/*
 * Next letter code after code: AAA -> AAB, AAZ -> ABA, ZZZ -> AAAA, in the
 * case of the code.  "" gives AAA (or aaa).  Returns false when code is not
 * a letter code.
 */
static bool
code_next(const char *code, bool upper, char *out)
{
	size_t		len = strlen(code);
	char		a = upper ? 'A' : 'a';
	char		z = upper ? 'Z' : 'z';
	int			i;

	if (len == 0)
	{
		memset(out, a, 3);
		out[3] = '\0';
		return true;
	}
	if (len < 3 || len > CODE_MAX_LEN)
		return false;
	for (i = 0; i < (int) len; i++)
		if (code[i] < a || code[i] > z)
			return false;
	memcpy(out, code, len + 1);
	for (i = (int) len - 1; i >= 0; i--)
	{
		if (out[i] < z)
		{
			out[i]++;
			return true;
		}
		out[i] = a;
	}
	/* all letters were Z: one letter more */
	if (len == CODE_MAX_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("no letter code left after \"%s\"", code),
				 errdetail("Letter codes have at most %d letters.", CODE_MAX_LEN)));
	memset(out, a, len + 1);
	out[len + 1] = '\0';
	return true;
}

/*
 * dunning.next_letter_code(text): the code after the one given.
 */
PG_FUNCTION_INFO_V1(dunning_next_letter_code);
Datum
dunning_next_letter_code(PG_FUNCTION_ARGS)
{
	char	   *code = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char		out[CODE_MAX_LEN + 2];
	bool		upper = (code[0] >= 'A' && code[0] <= 'Z');

	if (code[0] == '\0' || !code_next(code, upper, out))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid letter code: \"%s\"", code),
				 errdetail("A letter code is 3 to %d letters, all upper case (a total group) or all lower case (a partial one), such as AAA or aab.",
						   CODE_MAX_LEN)));
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/*
 * Does a text datum hold the C string s?  No allocation.
 */
static bool
text_is(text *t, const char *s)
{
	Size		len = VARSIZE_ANY_EXHDR(t);

	return strlen(s) == len && memcmp(VARDATA_ANY(t), s, len) == 0;
}

/*
 * Union-find: root of line i.
 */
static int
find_root(Book *b, int i)
{
	while (b->lines[i].parent != i)
	{
		b->lines[i].parent = b->lines[b->lines[i].parent].parent;
		i = b->lines[i].parent;
	}
	return i;
}

/*
 * Union-find: join the groups of lines i and j.
 */
static void
join(Book *b, int i, int j)
{
	int			ri = find_root(b, i);
	int			rj = find_root(b, j);

	if (ri != rj)
		b->lines[Max(ri, rj)].parent = Min(ri, rj);
}

/*
 * Add a line to the book, growing it as needed.
 */
static Line *
book_add_line(Book *b)
{
	Line	   *l;

	if (b->nlines == b->maxlines)
	{
		b->maxlines = b->maxlines ? b->maxlines * 2 : 16;
		b->lines = b->lines ? repalloc(b->lines, sizeof(Line) * b->maxlines)
			: palloc(sizeof(Line) * b->maxlines);
	}
	l = &b->lines[b->nlines];
	memset(l, 0, sizeof(Line));
	l->parent = b->nlines;
	b->nlines++;
	return l;
}

/*
 * Plan an allocation of amount from credit line c to debit line d.
 */
static void
book_allocate(Book *b, int d, int c, int64 amount, Strategy s)
{
	Alloc	   *a;

	Assert(amount > 0);
	Assert(b->lines[d].open >= amount);
	Assert(-b->lines[c].open >= amount);
	if (b->nallocs == b->maxallocs)
	{
		b->maxallocs = b->maxallocs ? b->maxallocs * 2 : 16;
		b->allocs = b->allocs ? repalloc(b->allocs, sizeof(Alloc) * b->maxallocs)
			: palloc(sizeof(Alloc) * b->maxallocs);
	}
	a = &b->allocs[b->nallocs++];
	a->debit = d;
	a->credit = c;
	a->amount = amount;
	a->strategy = s;
	b->lines[d].open -= amount;
	b->lines[d].moved += amount;
	b->lines[c].open += amount;
	b->lines[c].moved -= amount;
	join(b, d, c);
}

/* sort orders: debits by due date, credits by document date, then id */

static Book *sort_book;

static int
cmp_debit_order(const void *x, const void *y)
{
	const Line *a = &sort_book->lines[*(const int *) x];
	const Line *b = &sort_book->lines[*(const int *) y];

	if (a->due_date != b->due_date)
		return a->due_date < b->due_date ? -1 : 1;
	if (a->doc_date != b->doc_date)
		return a->doc_date < b->doc_date ? -1 : 1;
	return a->entry_id < b->entry_id ? -1 : (a->entry_id > b->entry_id);
}

static int
cmp_credit_order(const void *x, const void *y)
{
	const Line *a = &sort_book->lines[*(const int *) x];
	const Line *b = &sort_book->lines[*(const int *) y];

	if (a->doc_date != b->doc_date)
		return a->doc_date < b->doc_date ? -1 : 1;
	return a->entry_id < b->entry_id ? -1 : (a->entry_id > b->entry_id);
}

/*
 * Indexes of the open debits (sign 1) or credits (sign -1) among the lines
 * marked in `only` (all when NULL), in allocation order.
 */
static int *
open_lines(Book *b, int sign, const bool *only, int *n)
{
	int		   *idx = palloc(sizeof(int) * (b->nlines + 1));
	int			i;

	*n = 0;
	for (i = 0; i < b->nlines; i++)
		if ((only == NULL || only[i]) &&
			((sign > 0 && b->lines[i].open > 0) || (sign < 0 && b->lines[i].open < 0)))
			idx[(*n)++] = i;
	sort_book = b;
	qsort(idx, *n, sizeof(int), sign > 0 ? cmp_debit_order : cmp_credit_order);
	return idx;
}

/*
 * FIFO: the credits, oldest first, settle the debits, oldest due first.
 */
static void
strategy_fifo(Book *b, const bool *only, Strategy tag)
{
	int			nd,
				nc,
				i = 0,
				j = 0;
	int		   *d = open_lines(b, 1, only, &nd);
	int		   *c = open_lines(b, -1, only, &nc);

	while (i < nd && j < nc)
	{
		int64		amt = Min(b->lines[d[i]].open, -b->lines[c[j]].open);

		book_allocate(b, d[i], c[j], amt, tag);
		if (b->lines[d[i]].open == 0)
			i++;
		if (b->lines[c[j]].open == 0)
			j++;
	}
	pfree(d);
	pfree(c);
}

/*
 * Does text `ref` name `name`: equal, or holding it as a whole token
 * (delimited by the ends or by characters that are not letters or digits)?
 * Case is ignored.
 */
static bool
ref_names(const char *ref, const char *name)
{
	int			rl = strlen(ref);
	int			nl = strlen(name);
	int			i;

	if (nl == 0 || nl > rl)
		return false;
	for (i = 0; i + nl <= rl; i++)
	{
		if (pg_strncasecmp(ref + i, name, nl) != 0)
			continue;
		if (i > 0 && isalnum((unsigned char) ref[i - 1]))
			continue;
		if (i + nl < rl && isalnum((unsigned char) ref[i + nl]))
			continue;
		return true;
	}
	return false;
}

/*
 * Reference: a credit whose ref names the ref of one or more debits settles
 * them, oldest due first.
 */
static void
strategy_reference(Book *b)
{
	int			nd,
				nc,
				i,
				j;
	int		   *d = open_lines(b, 1, NULL, &nd);
	int		   *c = open_lines(b, -1, NULL, &nc);

	for (j = 0; j < nc; j++)
	{
		Line	   *cl = &b->lines[c[j]];

		if (cl->ref == NULL)
			continue;
		for (i = 0; i < nd && cl->open < 0; i++)
		{
			Line	   *dl = &b->lines[d[i]];

			if (dl->open > 0 && dl->ref != NULL && ref_names(cl->ref, dl->ref))
				book_allocate(b, d[i], c[j], Min(dl->open, -cl->open), STRAT_REFERENCE);
		}
	}
	pfree(d);
	pfree(c);
}

/* candidate pair of the exact strategy */
typedef struct Pair
{
	int			debit;
	int			credit;
	int32		gap;			/* days between credit date and debit due date */
} Pair;

static int
cmp_pair(const void *x, const void *y)
{
	const Pair *a = (const Pair *) x;
	const Pair *b = (const Pair *) y;
	int			r;

	if (a->gap != b->gap)
		return a->gap < b->gap ? -1 : 1;
	/* a tie: the older debit, then the older credit */
	r = cmp_debit_order(&a->debit, &b->debit);
	if (r != 0)
		return r;
	return cmp_credit_order(&a->credit, &b->credit);
}

static int
cmp_open_abs(const void *x, const void *y)
{
	int64		a = sort_book->lines[*(const int *) x].open;
	int64		b = sort_book->lines[*(const int *) y].open;

	a = a < 0 ? -a : a;
	b = b < 0 ? -b : b;
	return a < b ? -1 : (a > b);
}

/*
 * Exact: a debit and a credit of the same open amount settle each other,
 * the pairs with the nearest dates first (credit date against debit due
 * date).
 */
static void
strategy_exact(Book *b)
{
	int			nd,
				nc,
				i = 0,
				j = 0;
	int		   *d = open_lines(b, 1, NULL, &nd);
	int		   *c = open_lines(b, -1, NULL, &nc);

	sort_book = b;
	qsort(d, nd, sizeof(int), cmp_open_abs);
	qsort(c, nc, sizeof(int), cmp_open_abs);
	while (i < nd && j < nc)
	{
		int64		v = b->lines[d[i]].open;
		int64		w = -b->lines[c[j]].open;

		if (v < w)
			i++;
		else if (v > w)
			j++;
		else
		{
			/* runs of debits and credits of this amount */
			int			i2 = i,
						j2 = j,
						np = 0,
						k,
						m;
			Pair	   *pairs;

			while (i2 < nd && b->lines[d[i2]].open == v)
				i2++;
			while (j2 < nc && -b->lines[c[j2]].open == v)
				j2++;
			if ((int64) (i2 - i) * (j2 - j) > EXACT_MAX_PAIRS)
			{
				/* too many alike to rank every pair: oldest with oldest */
				sort_book = b;
				qsort(d + i, i2 - i, sizeof(int), cmp_debit_order);
				qsort(c + j, j2 - j, sizeof(int), cmp_credit_order);
				for (k = 0; k < Min(i2 - i, j2 - j); k++)
					book_allocate(b, d[i + k], c[j + k], v, STRAT_EXACT);
				i = i2;
				j = j2;
				continue;
			}
			pairs = palloc(sizeof(Pair) * (Size) (i2 - i) * (j2 - j));
			for (k = i; k < i2; k++)
				for (m = j; m < j2; m++)
				{
					int64		gap = (int64) b->lines[c[m]].doc_date - b->lines[d[k]].due_date;

					pairs[np].debit = d[k];
					pairs[np].credit = c[m];
					pairs[np].gap = (int32) Min(gap < 0 ? -gap : gap, PG_INT32_MAX);
					np++;
				}
			qsort(pairs, np, sizeof(Pair), cmp_pair);
			for (k = 0; k < np; k++)
				if (b->lines[pairs[k].debit].open == v && -b->lines[pairs[k].credit].open == v)
					book_allocate(b, pairs[k].debit, pairs[k].credit, v, STRAT_EXACT);
			pfree(pairs);
			i = i2;
			j = j2;
		}
	}
	pfree(d);
	pfree(c);
}

/* state of the subset search */
typedef struct SubsetSearch
{
	int			n;
	int64	   *v;				/* open amounts, by decreasing magnitude */
	int64	   *pos_rest;		/* sum of positive v[i..] */
	int64	   *neg_rest;		/* sum of negative v[i..] */
	int64		tolerance;
	int			max_size;
	long		nodes;
	int		   *chosen;
	int			nchosen;
	int		   *best;
	int			nbest;
} SubsetSearch;

/*
 * Depth-first search for the largest set of lines whose sum is within the
 * tolerance of zero, pruned by what the remaining lines can still add.
 */
static void
subset_dfs(SubsetSearch *s, int i, int64 sum)
{
	if (++s->nodes > SUBSET_MAX_NODES)
		return;
	if ((s->nchosen & 1023) == 0)
		CHECK_FOR_INTERRUPTS();
	if (s->nchosen >= 2 && sum <= s->tolerance && sum >= -s->tolerance &&
		s->nchosen > s->nbest)
	{
		memcpy(s->best, s->chosen, sizeof(int) * s->nchosen);
		s->nbest = s->nchosen;
	}
	if (i >= s->n || s->nchosen >= s->max_size)
		return;
	/* cannot beat the best set any more */
	if (s->nchosen + (s->n - i) <= s->nbest)
		return;
	/* cannot come back within the tolerance */
	if (sum + s->pos_rest[i] < -s->tolerance || sum + s->neg_rest[i] > s->tolerance)
		return;
	s->chosen[s->nchosen++] = i;
	subset_dfs(s, i + 1, sum + s->v[i]);
	s->nchosen--;
	subset_dfs(s, i + 1, sum);
}

/*
 * Subset: repeatedly, the largest set of at most max_size open lines whose
 * sum is zero within the tolerance, settled together (FIFO inside it).
 */
static void
strategy_subset(Book *b, int64 tolerance, int max_size)
{
	for (;;)
	{
		SubsetSearch s;
		int		   *idx = palloc(sizeof(int) * (b->nlines + 1));
		bool	   *only;
		int			n = 0,
					i;

		for (i = 0; i < b->nlines; i++)
			if (b->lines[i].open != 0)
				idx[n++] = i;
		sort_book = b;
		qsort(idx, n, sizeof(int), cmp_open_abs);
		/* the largest amounts first prunes best; keep the SUBSET_MAX_LINES largest */
		for (i = 0; i < n / 2; i++)
		{
			int			t = idx[i];

			idx[i] = idx[n - 1 - i];
			idx[n - 1 - i] = t;
		}
		n = Min(n, SUBSET_MAX_LINES);
		if (n < 2)
		{
			pfree(idx);
			return;
		}
		memset(&s, 0, sizeof(s));
		s.n = n;
		s.v = palloc(sizeof(int64) * n);
		s.pos_rest = palloc0(sizeof(int64) * (n + 1));
		s.neg_rest = palloc0(sizeof(int64) * (n + 1));
		s.chosen = palloc(sizeof(int) * n);
		s.best = palloc(sizeof(int) * n);
		s.tolerance = tolerance;
		s.max_size = max_size;
		for (i = 0; i < n; i++)
			s.v[i] = b->lines[idx[i]].open;
		for (i = n - 1; i >= 0; i--)
		{
			s.pos_rest[i] = s.pos_rest[i + 1] + Max(s.v[i], 0);
			s.neg_rest[i] = s.neg_rest[i + 1] + Min(s.v[i], 0);
		}
		subset_dfs(&s, 0, 0);
		if (s.nbest < 2)
		{
			pfree(idx);
			return;
		}
		only = palloc0(sizeof(bool) * b->nlines);
		for (i = 0; i < s.nbest; i++)
			only[idx[s.best[i]]] = true;
		strategy_fifo(b, only, STRAT_SUBSET);
		/* the set is one group even where FIFO made two */
		{
			int			first = -1;

			for (i = 0; i < b->nlines; i++)
				if (only[i])
				{
					if (first < 0)
						first = i;
					else
						join(b, first, i);
				}
		}
		pfree(only);
		pfree(idx);
	}
}

/*
 * Set the last codes of a customer from their padded text (see
 * CODES_COLUMNS), NULL when the customer has none of that kind.
 */
static void
codes_set(Codes *codes, const char *upper, const char *lower)
{
	codes->upper[0] = codes->lower[0] = '\0';
	if (upper != NULL)
	{
		while (*upper == ' ')
			upper++;
		strlcpy(codes->upper, upper, sizeof(codes->upper));
	}
	if (lower != NULL)
	{
		while (*lower == ' ')
			lower++;
		strlcpy(codes->lower, lower, sizeof(codes->lower));
	}
	codes->loaded = true;
}

/*
 * The last upper-case and lower-case codes of each customer: padded on the
 * left, the longest code is the greatest.
 */
#define CODES_SUBQUERY(filter) \
	"(SELECT l.customer_id, " \
	"  pg_catalog.max(pg_catalog.lpad(l.letter_code, 12) COLLATE \"C\") FILTER (WHERE NOT l.partial) AS up, " \
	"  pg_catalog.max(pg_catalog.lpad(l.letter_code, 12) COLLATE \"C\") FILTER (WHERE l.partial) AS low " \
	" FROM " DUNNING_SCHEMA ".lettering l " filter " GROUP BY l.customer_id)"

/*
 * Load the last codes used by a customer, for dunning.letter.  Planned on
 * each call (the table grows), and not read-only: a fresh snapshot sees
 * codes committed while we waited for the entries' locks.
 */
static void
codes_load(Codes *codes, const char *customer_id)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1];
	int			ret;

	if (codes->loaded)
		return;
	args[0] = CStringGetTextDatum(customer_id);
	ret = SPI_execute_with_args("SELECT m.up, m.low FROM "
								CODES_SUBQUERY("WHERE l.customer_id OPERATOR(pg_catalog.=) $1")
								" m", 1, types, args, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %d", ret);
	if (SPI_processed == 0)
		codes_set(codes, NULL, NULL);
	else
		codes_set(codes, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1),
				  SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	SPI_freetuptable(SPI_tuptable);
}

/*
 * Take the next code of a kind for the customer.
 */
static void
codes_take(Codes *codes, const char *customer_id, bool upper, char *out)
{
	char	   *last;

	codes_load(codes, customer_id);
	last = upper ? codes->upper : codes->lower;
	if (!code_next(last, upper, out))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("customer %s has an invalid letter code \"%s\"", customer_id, last)));
	strlcpy(last, out, CODE_MAX_LEN + 1);
}

/*
 * After the strategies: settle a group's small residual by a write-off line
 * when it is within the tolerance and all its open lines lean one way.
 */
static void
book_writeoffs(Book *b, int64 tolerance)
{
	int			nlines = b->nlines;
	int			i;

	if (tolerance <= 0)
		return;
	for (i = 0; i < nlines; i++)
	{
		int			root = find_root(b, i);
		int64		sum = 0;
		bool		pos = false,
					neg = false,
					moved = false;
		int			k;
		DateADT		latest = 0;
		Line	   *w;
		int			wi;

		if (root != i)
			continue;
		for (k = 0; k < nlines; k++)
			if (find_root(b, k) == root)
			{
				sum += b->lines[k].open;
				pos |= b->lines[k].open > 0;
				neg |= b->lines[k].open < 0;
				moved |= b->lines[k].moved != 0;
				if (b->lines[k].doc_date > latest)
					latest = b->lines[k].doc_date;
			}
		if (!moved || sum == 0 || (pos && neg) || sum > tolerance || sum < -tolerance)
			continue;
		/* a write-off of the opposite sign, allocated to the open lines */
		w = book_add_line(b);
		wi = b->nlines - 1;
		w->writeoff = true;
		w->amount = w->open = -sum;
		w->doc_date = w->due_date = latest;
		for (k = 0; k < nlines; k++)
			if (find_root(b, k) == root && b->lines[k].open != 0)
			{
				if (sum > 0)
					book_allocate(b, k, wi, b->lines[k].open, b->allocs[b->nallocs - 1].strategy);
				else
					book_allocate(b, wi, k, -b->lines[k].open, b->allocs[b->nallocs - 1].strategy);
			}
	}
}

/*
 * The groups of a book that this call changed, with their codes.
 */
static LetterGroup *
book_groups(Book *b, Codes *codes, int *ngroups)
{
	LetterGroup	   *groups = palloc0(sizeof(LetterGroup) * (b->nlines + 1));
	int		   *gof = palloc(sizeof(int) * b->nlines);
	int			n = 0;
	int			i,
				k;

	/* one group per root that has an allocation of this call */
	for (i = 0; i < b->nlines; i++)
		gof[i] = -1;
	for (k = 0; k < b->nallocs; k++)
	{
		int			root = find_root(b, b->allocs[k].debit);

		if (gof[root] < 0)
		{
			gof[root] = n;
			groups[n].root = root;
			groups[n].strategy = b->allocs[k].strategy;
			groups[n].old = palloc(sizeof(char *) * b->nlines);
			n++;
		}
	}
	for (i = 0; i < b->nlines; i++)
	{
		LetterGroup	   *g;
		int			root = find_root(b, i);
		int			j;

		if (gof[root] < 0)
			continue;
		g = &groups[gof[root]];
		if (b->lines[i].open != 0)
			g->partial = true;
		if (b->lines[i].doc_date > g->lettered_on)
			g->lettered_on = b->lines[i].doc_date;
		if (b->lines[i].writeoff)
			g->writeoff += b->lines[i].amount;
		if (b->lines[i].code == NULL)
			continue;
		for (j = 0; j < g->nold; j++)
			if (strcmp(g->old[j], b->lines[i].code) == 0)
				break;
		if (j == g->nold)
			g->old[g->nold++] = b->lines[i].code;
	}
	for (k = 0; k < n; k++)
	{
		LetterGroup	   *g = &groups[k];

		/* keep the oldest partial code while the group stays partial */
		if (g->partial && g->nold > 0)
		{
			int			j,
						first = 0;

			for (j = 1; j < g->nold; j++)
				if (strlen(g->old[j]) < strlen(g->old[first]) ||
					(strlen(g->old[j]) == strlen(g->old[first]) &&
					 strcmp(g->old[j], g->old[first]) < 0))
					first = j;
			strlcpy(g->code, g->old[first], sizeof(g->code));
		}
		else
			codes_take(codes, b->customer_id, !g->partial, g->code);
	}
	pfree(gof);
	*ngroups = n;
	return groups;
}

/*
 * Build a one-dimensional array of the given element type.
 */
static Datum
make_array(Datum *elems, int n, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array(elems, n, elemtype, typlen, typbyval, typalign));
}

/*
 * Run a statement, keeping its plan in *plan, prepared with cursor_options.
 */
static void
run_plan_opts(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types,
			  Datum *args, int expected, int cursor_options)
{
	int			ret;
	MemoryContext caller = CurrentMemoryContext;

	if (*plan == NULL)
	{
		*plan = SPI_prepare_cursor(sql, nargs, types, cursor_options);
		if (*plan == NULL || SPI_keepplan(*plan) != 0)
			elog(ERROR, "SPI_prepare failed: %s", sql);
	}
	ret = SPI_execute_plan(*plan, args, NULL, false, 0);
	if (ret != expected)
		elog(ERROR, "SPI_execute_plan failed: %d", ret);

	/*
	 * SPI returns in its procedure context, which lives as long as the
	 * call: without this, what the caller allocates next (the next batch's
	 * arrays) would pile up there, a little per customer, for the whole
	 * ledger.
	 */
	MemoryContextSwitchTo(caller);
}

/*
 * Run a statement, keeping its plan in *plan.
 */
static void
run_plan(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types, Datum *args,
		 int expected)
{
	run_plan_opts(plan, sql, nargs, types, args, expected, 0);
}

/*
 * A column of values gathered for a set-based statement.
 */
typedef struct Column
{
	Oid			type;
	int			n;
	int			max;
	Datum	   *values;
	bool	   *nulls;
} Column;

/*
 * The writes of many books, flushed together: new lettering groups, new
 * allocations and the entries they change.
 */
typedef struct Batch
{
	MemoryContext cxt;
	Column		g[6];			/* customer, code, partial, strategy, lettered_on, writeoff */
	Column		a[6];			/* customer, code, debit, credit, amount, allocated_on */
	Column		e[5];			/* customer, entry, open, code, lettered_on */
	Column		t[4];			/* the same by row address: tid, open, code, lettered_on */
	bool		by_row;			/* the ledger is distributed: one customer a batch, see ledger_distributed */
} Batch;

#define BATCH_ALLOCS	5000

/* the rows of a batch: its columns unnested side by side */
#define UNNEST_OPEN4 \
	"ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), " \
	"pg_catalog.unnest($4)"
#define UNNEST4		UNNEST_OPEN4 ")"
#define UNNEST5		UNNEST_OPEN4 ", pg_catalog.unnest($5)"
#define UNNEST6		UNNEST5 ", pg_catalog.unnest($6))"

/* the batch's new rows, whichever way they are written */
#define INSERT_GROUPS \
	"INSERT INTO " DUNNING_SCHEMA ".lettering (customer_id, letter_code, " \
	"partial, strategy, lettered_on, writeoff) "
#define INSERT_ALLOCS \
	"INSERT INTO " DUNNING_SCHEMA ".allocation (customer_id, letter_code, " \
	"debit_id, credit_id, amount, allocated_on) "

/*
 * Start an empty batch.
 */
static void
batch_init(Batch *batch, MemoryContext parent)
{
	static const Oid gtypes[6] = {TEXTOID, TEXTOID, BOOLOID, TEXTOID, DATEOID, NUMERICOID};
	static const Oid atypes[6] = {TEXTOID, TEXTOID, INT8OID, INT8OID, NUMERICOID, DATEOID};
	static const Oid etypes[5] = {TEXTOID, INT8OID, NUMERICOID, TEXTOID, DATEOID};
	static const Oid ttypes[4] = {TIDOID, NUMERICOID, TEXTOID, DATEOID};
	int			i;

	memset(batch, 0, sizeof(Batch));
	batch->cxt = AllocSetContextCreate(parent, "dunning lettering batch",
									   ALLOCSET_DEFAULT_SIZES);
	for (i = 0; i < 6; i++)
		batch->g[i].type = gtypes[i];
	for (i = 0; i < 6; i++)
		batch->a[i].type = atypes[i];
	for (i = 0; i < 5; i++)
		batch->e[i].type = etypes[i];
	for (i = 0; i < 4; i++)
		batch->t[i].type = ttypes[i];
}

/*
 * Append a value to a column (in the batch's context).
 */
static void
col_push(Batch *batch, Column *c, Datum v, bool isnull)
{
	if (c->n == c->max)
	{
		c->max = c->max ? c->max * 2 : 256;
		if (c->values == NULL)
		{
			c->values = MemoryContextAlloc(batch->cxt, sizeof(Datum) * c->max);
			c->nulls = MemoryContextAlloc(batch->cxt, sizeof(bool) * c->max);
		}
		else
		{
			c->values = repalloc(c->values, sizeof(Datum) * c->max);
			c->nulls = repalloc(c->nulls, sizeof(bool) * c->max);
		}
	}
	c->values[c->n] = v;
	c->nulls[c->n] = isnull;
	c->n++;
}

/*
 * Empty n columns (their memory went with the batch's context).
 */
static void
col_reset(Column *cols, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		cols[i].n = cols[i].max = 0;
		cols[i].values = NULL;
		cols[i].nulls = NULL;
	}
}

/*
 * The column as an array Datum.
 */
static Datum
col_array(Column *c)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1] = {c->n};
	int			lbs[1] = {1};

	get_typlenbyvalalign(c->type, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(c->values, c->nulls, 1, dims, lbs,
											  c->type, typlen, typbyval, typalign));
}

/*
 * Run a statement whose parameters are the columns given, as arrays, and
 * which writes one row per element.  The plan is kept, and generic: it
 * joins a few thousand rows to the ledger through its indexes or row
 * addresses, whatever the size of the batch (planned for a 5,000-element
 * array, the entry update chose a hash join over the whole table: twice as
 * slow).
 */
static void
run_columns(SPIPlanPtr *plan, const char *sql, Column *cols, int ncols, int expected)
{
	Oid			types[8];
	Datum		args[8];
	int			i;

	for (i = 0; i < ncols; i++)
	{
		types[i] = get_array_type(cols[i].type);
		args[i] = col_array(&cols[i]);
	}
	run_plan_opts(plan, sql, ncols, types, args, expected, CURSOR_OPT_GENERIC_PLAN);
	if (SPI_processed != (uint64) cols[0].n)
		elog(ERROR, "lettering wrote %llu rows of a batch of %d",
			 (unsigned long long) SPI_processed, cols[0].n);
}

/*
 * Is the ledger distributed by Citus (dunning.distribute())?  Then the
 * writes of a batch, all of one customer, go as statements that name the
 * customer, which Citus sends to the customer's shard (batch_write_customer):
 * a statement reading its rows from unnest() alone is not sent to one
 * shard, and a row address means nothing across shards.  letter(),
 * unletter() and, in the tasks of the whole ledger's run, auto_letter()
 * of one customer run on the node that holds the customer, where these
 * statements reach the local shard and its triggers run in this same
 * backend.
 */
static bool
ledger_distributed(void)
{
	int			ret;

	if (!OidIsValid(get_extension_oid("citus", true)))
		return false;
	ret = SPI_execute("SELECT 1 FROM pg_catalog.pg_dist_partition "
					  "WHERE logicalrelid OPERATOR(pg_catalog.=) '" DUNNING_SCHEMA ".entry'::pg_catalog.regclass",
					  true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %d", ret);
	return SPI_processed > 0;
}

/*
 * The one customer all the batch's rows are of, or NULL.
 */
static text *
batch_customer(Batch *batch)
{
	Column	   *cols[3] = {&batch->g[0], &batch->a[0], &batch->e[0]};
	text	   *first = NULL;
	int			k,
				r;

	for (k = 0; k < 3; k++)
		for (r = 0; r < cols[k]->n; r++)
		{
			text	   *t = DatumGetTextPP(cols[k]->values[r]);

			if (first == NULL)
				first = t;
			else if (VARSIZE_ANY_EXHDR(t) != VARSIZE_ANY_EXHDR(first) ||
					 memcmp(VARDATA_ANY(t), VARDATA_ANY(first), VARSIZE_ANY_EXHDR(t)) != 0)
				return NULL;
		}
	return first;
}

/*
 * An INSERT of the columns' rows as one multi-row VALUES of parameters, a
 * thousand rows a statement: Citus sends it, rows of one customer, to
 * that customer's shard as it is.
 */
#define VALUES_ROWS		1000

static void
run_values(const char *prefix, Column *cols, int ncols, int expected)
{
	int			from;

	for (from = 0; from < cols[0].n; from += VALUES_ROWS)
	{
		int			n = Min(VALUES_ROWS, cols[0].n - from);
		MemoryContext caller = CurrentMemoryContext;	/* SPI leaves its own */
		StringInfoData sql;
		Oid		   *types = palloc(sizeof(Oid) * n * ncols);
		Datum	   *args = palloc(sizeof(Datum) * n * ncols);
		char	   *nulls = palloc(n * ncols);
		int			r,
					i,
					ret;

		initStringInfo(&sql);
		appendStringInfoString(&sql, prefix);
		appendStringInfoString(&sql, "VALUES ");
		for (r = 0; r < n; r++)
		{
			appendStringInfoString(&sql, r > 0 ? ", (" : "(");
			for (i = 0; i < ncols; i++)
			{
				int			k = r * ncols + i;

				appendStringInfo(&sql, "%s$%d", i > 0 ? ", " : "", k + 1);
				types[k] = cols[i].type;
				args[k] = cols[i].values[from + r];
				nulls[k] = cols[i].nulls[from + r] ? 'n' : ' ';
			}
			appendStringInfoChar(&sql, ')');
		}
		ret = SPI_execute_with_args(sql.data, n * ncols, types, args, nulls, false, 0);
		MemoryContextSwitchTo(caller);
		if (ret != expected || SPI_processed != (uint64) n)
			elog(ERROR, "lettering wrote %llu rows of %d", (unsigned long long) SPI_processed, n);
		pfree(sql.data);
		pfree(types);
		pfree(args);
		pfree(nulls);
	}
}

/*
 * The batch's writes when all its rows are of one customer of a
 * distributed ledger (auto_letter or letter of one customer, on the node
 * that holds it): one statement a table, each on that customer alone,
 * which Citus sends to the customer's shard; the new rows as multi-row
 * INSERTs (an INSERT ... SELECT from arrays Citus would copy, which row
 * security refuses), the entries as one UPDATE from arrays with the
 * customer named.  A statement a row cost the distributed whole-ledger
 * lettering three fifths of its time.
 */
static void
batch_write_customer(Batch *batch, text *customer)
{
	Assert(batch->t[0].n == 0);
	if (batch->g[0].n > 0)
		run_values(INSERT_GROUPS, batch->g, 6, SPI_OK_INSERT);
	if (batch->a[0].n > 0)
		run_values(INSERT_ALLOCS, batch->a, 6, SPI_OK_INSERT);
	if (batch->e[0].n > 0)
	{
		MemoryContext caller = CurrentMemoryContext;
		Oid			types[6];
		Datum		args[6];
		int			i,
					ret;

		for (i = 0; i < 5; i++)
		{
			types[i] = get_array_type(batch->e[i].type);
			args[i] = col_array(&batch->e[i]);
		}
		types[5] = TEXTOID;
		args[5] = PointerGetDatum(customer);
		ret = SPI_execute_with_args("UPDATE " DUNNING_SCHEMA ".entry e SET open_amount = u.o, "
									"letter_code = u.c, lettered_on = u.d "
									"FROM " UNNEST5 ") AS u(k, i, o, c, d) "
									"WHERE e.customer_id OPERATOR(pg_catalog.=) $6 "
									"AND e.customer_id OPERATOR(pg_catalog.=) u.k "
									"AND e.entry_id OPERATOR(pg_catalog.=) u.i",
									6, types, args, NULL, false, 0);
		MemoryContextSwitchTo(caller);
		if (ret != SPI_OK_UPDATE || SPI_processed != (uint64) batch->e[0].n)
			elog(ERROR, "lettering wrote %llu rows of a batch of %d",
				 (unsigned long long) SPI_processed, batch->e[0].n);
	}
}

/*
 * The batch's writes as one statement each, reading their rows from
 * arrays.
 */
static void
batch_write_sets(Batch *batch)
{
	static SPIPlanPtr groups_plan = NULL;
	static SPIPlanPtr allocs_plan = NULL;
	static SPIPlanPtr entries_plan = NULL;
	static SPIPlanPtr rows_plan = NULL;

	if (batch->g[0].n > 0)
		run_columns(&groups_plan, INSERT_GROUPS "SELECT * FROM " UNNEST6,
					batch->g, 6, SPI_OK_INSERT);
	if (batch->a[0].n > 0)
		run_columns(&allocs_plan, INSERT_ALLOCS "SELECT * FROM " UNNEST6,
					batch->a, 6, SPI_OK_INSERT);
	if (batch->e[0].n > 0)
		run_columns(&entries_plan,
					"UPDATE " DUNNING_SCHEMA ".entry e SET open_amount = u.o, "
					"letter_code = u.c, lettered_on = u.d "
					"FROM " UNNEST5 ") AS u(k, i, o, c, d) "
					"WHERE e.customer_id OPERATOR(pg_catalog.=) u.k "
					"AND e.entry_id OPERATOR(pg_catalog.=) u.i",
					batch->e, 5, SPI_OK_UPDATE);

	/*
	 * Most lines by the address the cursor locked them at: the lock keeps
	 * them there, and a TID scan skips the key look-up.
	 */
	if (batch->t[0].n > 0)
		run_columns(&rows_plan,
					"UPDATE " DUNNING_SCHEMA ".entry e SET open_amount = u.o, "
					"letter_code = u.c, lettered_on = u.d "
					"FROM " UNNEST4 " AS u(t, o, c, d) "
					"WHERE e.ctid OPERATOR(pg_catalog.=) u.t",
					batch->t, 4, SPI_OK_UPDATE);
}

/*
 * Write what the batch holds: groups, allocations, then the entries.  The
 * row triggers of allocation stand aside meanwhile: the batch carries the
 * open amounts and codes they would compute.
 */
static void
batch_flush(Batch *batch)
{
	MemoryContext old;

	if (batch->a[0].n == 0 && batch->g[0].n == 0)
		return;
	old = MemoryContextSwitchTo(batch->cxt);
	dunning_bulk_writes = true;
	PG_TRY();
	{
		text	   *customer = batch->by_row ? batch_customer(batch) : NULL;

		if (batch->by_row && customer == NULL)
			elog(ERROR, "a lettering batch of a distributed ledger holds more than one customer");
		if (customer != NULL)
			batch_write_customer(batch, customer);
		else
			batch_write_sets(batch);
	}
	PG_FINALLY();
	{
		dunning_bulk_writes = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	MemoryContextReset(batch->cxt);
	col_reset(batch->g, 6);
	col_reset(batch->a, 6);
	col_reset(batch->e, 5);
	col_reset(batch->t, 4);
}

/*
 * Write a book: write-off entries and the renaming of the partial groups it
 * grows at once (they are few), the rest into the batch.
 */
static void
book_write(Book *b, LetterGroup *groups, int ngroups, Batch *batch)
{
	static SPIPlanPtr writeoff_plan = NULL;
	static SPIPlanPtr rename_plan = NULL;
	static SPIPlanPtr merge_plan = NULL;
	static SPIPlanPtr drop_plan = NULL;
	Datum		customer = CStringGetTextDatum(b->customer_id);
	int			i,
				k;
	int		   *gof = palloc(sizeof(int) * b->nlines);
	bool		moved_rows = false;
	MemoryContext old;

	for (i = 0; i < b->nlines; i++)
		gof[i] = -1;
	for (k = 0; k < ngroups; k++)
		gof[groups[k].root] = k;

	/* write-off entries: their ids are needed by the allocations */
	for (i = 0; i < b->nlines; i++)
	{
		Line	   *l = &b->lines[i];
		LetterGroup *g = &groups[gof[find_root(b, i)]];
		Oid			types[5] = {TEXTOID, TEXTOID, DATEOID, NUMERICOID, TEXTOID};
		Datum		args[5];
		bool		isnull;

		if (!l->writeoff)
			continue;
		args[0] = customer;
		args[1] = CStringGetTextDatum(g->code);
		args[2] = DateADTGetDatum(l->doc_date);
		args[3] = fixed_micros_numeric(l->amount);
		args[4] = CStringGetTextDatum(b->currency);
		run_plan(&writeoff_plan,
				 "INSERT INTO " DUNNING_SCHEMA ".entry (customer_id, kind, ref, doc_date, "
				 "due_date, amount, currency, source) "
				 "VALUES ($1, 'writeoff', $2, $3, $3, $4, $5, 'lettering') RETURNING entry_id, ctid",
				 5, types, args, SPI_OK_INSERT_RETURNING);
		l->entry_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1, &isnull));
		l->tid = *(ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[0],
															  SPI_tuptable->tupdesc, 2, &isnull));
		SPI_freetuptable(SPI_tuptable);
	}

	for (k = 0; k < ngroups; k++)
	{
		LetterGroup *g = &groups[k];
		Oid			types[8] = {TEXTOID, TEXTOID, TEXTOID, BOOLOID, TEXTOID, DATEOID,
		NUMERICOID, TEXTARRAYOID};
		Datum		args[8];
		Datum	   *oldcodes;
		int			j;
		int			keep = 0;

		if (g->nold == 0)
		{
			/* a new group */
			old = MemoryContextSwitchTo(batch->cxt);
			col_push(batch, &batch->g[0], CStringGetTextDatum(b->customer_id), false);
			col_push(batch, &batch->g[1], CStringGetTextDatum(g->code), false);
			col_push(batch, &batch->g[2], BoolGetDatum(g->partial), false);
			col_push(batch, &batch->g[3], CStringGetTextDatum(strategy_names[g->strategy]), false);
			col_push(batch, &batch->g[4], DateADTGetDatum(g->lettered_on), g->partial);
			col_push(batch, &batch->g[5], fixed_micros_numeric(g->writeoff), false);
			MemoryContextSwitchTo(old);
			continue;
		}

		/*
		 * It grows from partial groups: the first lives on under the code,
		 * the others join it.  Their allocations are rewritten by the
		 * cascade, whose triggers move their entries to the code: new row
		 * versions, so this book's lines are then written by key.
		 */
		moved_rows = true;
		oldcodes = palloc(sizeof(Datum) * g->nold);
		for (j = 0; j < g->nold; j++)
		{
			oldcodes[j] = CStringGetTextDatum(g->old[j]);
			if (strcmp(g->old[j], g->code) == 0)
				keep = j;
		}
		args[0] = customer;
		args[1] = oldcodes[keep];
		args[2] = CStringGetTextDatum(g->code);
		args[3] = BoolGetDatum(g->partial);
		args[4] = CStringGetTextDatum(strategy_names[g->strategy]);
		args[5] = DateADTGetDatum(g->lettered_on);
		args[6] = fixed_micros_numeric(g->writeoff);
		args[7] = make_array(oldcodes, g->nold, TEXTOID);
		run_plan(&rename_plan,
				 "UPDATE " DUNNING_SCHEMA ".lettering SET letter_code = $3, partial = $4, "
				 "lettered_on = CASE WHEN $4 THEN NULL ELSE "
				 "  greatest($6, (SELECT pg_catalog.max(a.allocated_on) FROM "
				 DUNNING_SCHEMA ".allocation a "
				 "  WHERE a.customer_id OPERATOR(pg_catalog.=) $1 "
				 "    AND a.letter_code OPERATOR(pg_catalog.=) ANY ($8))) END, "
				 "writeoff = writeoff OPERATOR(pg_catalog.+) $7 "
				 "WHERE customer_id OPERATOR(pg_catalog.=) $1 "
				 "AND letter_code OPERATOR(pg_catalog.=) $2",
				 8, types, args, SPI_OK_UPDATE);
		for (j = 0; j < g->nold; j++)
		{
			Oid			mtypes[3] = {TEXTOID, TEXTOID, TEXTOID};
			Datum		margs[3];

			if (j == keep)
				continue;
			margs[0] = customer;
			margs[1] = oldcodes[j];
			margs[2] = args[2];
			run_plan(&merge_plan,
					 "UPDATE " DUNNING_SCHEMA ".allocation SET letter_code = $3 "
					 "WHERE customer_id OPERATOR(pg_catalog.=) $1 "
					 "AND letter_code OPERATOR(pg_catalog.=) $2",
					 3, mtypes, margs, SPI_OK_UPDATE);
			run_plan(&drop_plan,
					 "DELETE FROM " DUNNING_SCHEMA ".lettering "
					 "WHERE customer_id OPERATOR(pg_catalog.=) $1 "
					 "AND letter_code OPERATOR(pg_catalog.=) $2",
					 2, mtypes, margs, SPI_OK_DELETE);
		}
		/* a total group's date: the later of its own and what it grew from */
		if (!g->partial)
		{
			static SPIPlanPtr date_plan = NULL;
			bool		isnull;
			Datum		dargs[2] = {customer, args[2]};
			Oid			dtypes[2] = {TEXTOID, TEXTOID};

			run_plan(&date_plan,
					 "SELECT lettered_on FROM " DUNNING_SCHEMA ".lettering "
					 "WHERE customer_id OPERATOR(pg_catalog.=) $1 "
					 "AND letter_code OPERATOR(pg_catalog.=) $2",
					 2, dtypes, dargs, SPI_OK_SELECT);
			if (SPI_processed == 1)
				g->lettered_on = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[0],
															   SPI_tuptable->tupdesc, 1, &isnull));
			SPI_freetuptable(SPI_tuptable);
		}
	}

	/* allocations, dated the later document date of their two lines */
	old = MemoryContextSwitchTo(batch->cxt);
	for (k = 0; k < b->nallocs; k++)
	{
		Alloc	   *a = &b->allocs[k];
		LetterGroup *g = &groups[gof[find_root(b, a->debit)]];

		col_push(batch, &batch->a[0], CStringGetTextDatum(b->customer_id), false);
		col_push(batch, &batch->a[1], CStringGetTextDatum(g->code), false);
		col_push(batch, &batch->a[2], Int64GetDatum(b->lines[a->debit].entry_id), false);
		col_push(batch, &batch->a[3], Int64GetDatum(b->lines[a->credit].entry_id), false);
		col_push(batch, &batch->a[4], fixed_micros_numeric(a->amount), false);
		col_push(batch, &batch->a[5],
				 DateADTGetDatum(Max(b->lines[a->debit].doc_date, b->lines[a->credit].doc_date)),
				 false);
	}
	/* the entries of the groups: open amount, code, date */
	for (i = 0; i < b->nlines; i++)
	{
		Line	   *l = &b->lines[i];
		int			gi = gof[find_root(b, i)];
		Column	   *to;

		if (gi < 0 || (l->moved == 0 && l->code != NULL && strcmp(l->code, groups[gi].code) == 0))
			continue;
		/* the row by its key or its address, then what it becomes */
		if (moved_rows || batch->by_row)
		{
			col_push(batch, &batch->e[0], CStringGetTextDatum(b->customer_id), false);
			col_push(batch, &batch->e[1], Int64GetDatum(l->entry_id), false);
			to = &batch->e[2];
		}
		else
		{
			ItemPointer tid = palloc(sizeof(ItemPointerData));

			ItemPointerCopy(&l->tid, tid);
			col_push(batch, &batch->t[0], PointerGetDatum(tid), false);
			to = &batch->t[1];
		}
		col_push(batch, &to[0], fixed_micros_numeric(l->open), false);
		col_push(batch, &to[1], CStringGetTextDatum(groups[gi].code), false);
		col_push(batch, &to[2], DateADTGetDatum(groups[gi].lettered_on), groups[gi].partial);
	}
	MemoryContextSwitchTo(old);
	pfree(gof);
	if (batch->a[0].n >= BATCH_ALLOCS)
		batch_flush(batch);
}

/*
 * Emit one row per entry the book's groups touched.
 */
static void
book_emit(Book *b, LetterGroup *groups, int ngroups, Tuplestorestate *ts,
		  TupleDesc tupdesc)
{
	int			i,
				k;

	for (k = 0; k < ngroups; k++)
	{
		LetterGroup	   *g = &groups[k];

		for (i = 0; i < b->nlines; i++)
		{
			Line	   *l = &b->lines[i];
			Datum		values[6];
			bool		nulls[6] = {false, false, false, false, false, false};

			if (l->moved == 0 || find_root(b, i) != g->root)
				continue;
			values[0] = CStringGetTextDatum(b->customer_id);
			values[1] = CStringGetTextDatum(g->code);
			values[2] = Int64GetDatum(l->entry_id);
			nulls[2] = (l->entry_id == 0);
			values[3] = fixed_micros_numeric(l->moved);
			values[4] = CStringGetTextDatum(strategy_names[g->strategy]);
			values[5] = BoolGetDatum(g->partial);
			tuplestore_putvalues(ts, tupdesc, values, nulls);
		}
	}
}

/*
 * The columns read for each open line, in this order, by auto_letter and
 * letter.
 */
#define LINE_COLUMNS \
	"e.customer_id, e.entry_id, e.currency, e.amount, e.open_amount, " \
	"e.ref, e.doc_date, coalesce(e.due_date, e.doc_date), " \
	"CASE WHEN e.letter_code OPERATOR(pg_catalog.~) '^[a-z]+$' THEN e.letter_code END, e.ctid "

/*
 * An amount of a line in millionths: read from the numeric's digits, or,
 * when they do not give it exactly in 64 bits, by numeric arithmetic, which
 * raises the error.
 */
static int64
line_micros(Book *b, Line *l, Datum amount)
{
	int64		v;

	if (fixed_micros(amount, &v))
		return v;
	return fixed_micros_checked(amount, psprintf("the amount of entry %lld of customer %s",
											  (long long) l->entry_id, b->customer_id));
}

/*
 * Add the line of a row read with LINE_COLUMNS to a book.
 */
static Line *
book_read_line(Book *b, HeapTuple t, TupleDesc td)
{
	Line	   *l = book_add_line(b);
	bool		isnull;
	Datum		d;

	l->entry_id = DatumGetInt64(SPI_getbinval(t, td, 2, &isnull));
	l->amount = line_micros(b, l, SPI_getbinval(t, td, 4, &isnull));
	l->open = line_micros(b, l, SPI_getbinval(t, td, 5, &isnull));
	d = SPI_getbinval(t, td, 6, &isnull);
	l->ref = isnull ? NULL : TextDatumGetCString(d);
	l->doc_date = DatumGetDateADT(SPI_getbinval(t, td, 7, &isnull));
	l->due_date = DatumGetDateADT(SPI_getbinval(t, td, 8, &isnull));
	d = SPI_getbinval(t, td, 9, &isnull);
	l->code = isnull ? NULL : TextDatumGetCString(d);
	l->tid = *(ItemPointer) DatumGetPointer(SPI_getbinval(t, td, 10, &isnull));
	return l;
}

/*
 * Join the lines that are already in one partial group.
 */
static void
book_join_codes(Book *b)
{
	int			i,
				j;

	for (i = 0; i < b->nlines; i++)
		if (b->lines[i].code != NULL)
			for (j = i + 1; j < b->nlines; j++)
				if (b->lines[j].code != NULL && strcmp(b->lines[i].code, b->lines[j].code) == 0)
				{
					join(b, i, j);
					break;
				}
}

/* the options of a call */
typedef struct LetterOptions
{
	bool		strategies[NSTRATEGIES];
	Strategy	order[NSTRATEGIES * 4];
	int			norder;
	int64		tolerance;
	int			max_subset;
	bool		dry_run;
} LetterOptions;

/*
 * Letter one book with the strategies of opts, write and emit it.
 */
static void
book_letter(Book *b, LetterOptions *opts, Codes *codes, Batch *batch,
			Tuplestorestate *ts, TupleDesc tupdesc)
{
	int			s;
	LetterGroup	   *groups;
	int			ngroups;

	book_join_codes(b);
	for (s = 0; s < opts->norder; s++)
	{
		switch (opts->order[s])
		{
			case STRAT_REFERENCE:
				strategy_reference(b);
				break;
			case STRAT_EXACT:
				strategy_exact(b);
				break;
			case STRAT_SUBSET:
				strategy_subset(b, opts->tolerance, opts->max_subset);
				break;
			case STRAT_FIFO:
			case STRAT_MANUAL:
				strategy_fifo(b, NULL, opts->order[s]);
				break;
			case NSTRATEGIES:
				break;
		}
	}
	if (b->nallocs == 0)
		return;
	book_writeoffs(b, opts->tolerance);
	groups = book_groups(b, codes, &ngroups);
	if (!opts->dry_run)
		book_write(b, groups, ngroups, batch);
	book_emit(b, groups, ngroups, ts, tupdesc);
}

/*
 * Parse the strategies array.
 */
static void
parse_strategies(ArrayType *arr, LetterOptions *opts)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i,
				s;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("strategies must not be empty"),
				 errdetail("Give one or more of reference, exact, subset and fifo.")));
	if (n > (int) lengthof(opts->order))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("too many strategies"),
				 errdetail("At most %d strategies may be given.", (int) lengthof(opts->order))));
	for (i = 0; i < n; i++)
	{
		char	   *name;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("strategies must not contain NULL"),
					 errdetail("Element %d is NULL.", i + 1)));
		name = TextDatumGetCString(elems[i]);
		for (s = 0; s < STRAT_MANUAL; s++)
			if (strcmp(name, strategy_names[s]) == 0)
				break;
		if (s == STRAT_MANUAL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown lettering strategy \"%s\"", name),
					 errdetail("The strategies are reference, exact, subset and fifo.")));
		opts->order[opts->norder++] = (Strategy) s;
	}
}

/*
 * Check the tolerance argument and convert it.
 */
static int64
parse_tolerance(FunctionCallInfo fcinfo, int argno)
{
	int64		tol;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tolerance must not be null"),
				 errdetail("Pass 0 to letter only groups that balance exactly.")));
	tol = fixed_micros_checked(PG_GETARG_DATUM(argno), "tolerance");
	if (tol < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tolerance must not be negative"),
				 errdetail("The tolerance is the largest gap written off, as a positive amount.")));
	return tol;
}

/*
 * Raise unless the customer exists.
 */
static void
check_customer(text *customer_id)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {PointerGetDatum(customer_id)};
	int			ret;

	ret = SPI_execute_with_args("SELECT 1 FROM " DUNNING_SCHEMA ".customer "
								"WHERE customer_id OPERATOR(pg_catalog.=) $1",
								1, types, args, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %d", ret);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown customer \"%s\"", text_to_cstring(customer_id)),
				 errdetail("No row of dunning.customer has this customer_id.")));
	SPI_freetuptable(SPI_tuptable);
}

/*
 * Set up a materialized result; returns the tuplestore and its descriptor.
 */
static Tuplestorestate *
materialize(FunctionCallInfo fcinfo, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	Tuplestorestate *ts;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	*tupdesc = CreateTupleDescCopy(*tupdesc);
	ts = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(old);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = ts;
	rsinfo->setDesc = *tupdesc;
	return ts;
}

/*
 * dunning.auto_letter(customer_id, strategies, tolerance, max_subset,
 * dry_run): letter one customer, or the whole ledger, with the strategies
 * in the order given.
 */
/*
 * One letterer at a time per customer.  A customer's groups take their
 * codes one after another (AAA, AAB ...): two sessions lettering the same
 * customer at once would both take the next code.  A run over the whole
 * ledger takes the ledger's lock alone; a run for one customer (auto_letter
 * of one customer, letter) shares it and takes the customer's.  They are
 * transaction-level advisory locks of class DUNNING_LOCK_CLASS (README
 * "Concurrency"), taken before the first query reads the ledger, so that
 * its snapshot sees what the session waited for.
 */
#define DUNNING_LOCK_CLASS "1685417582"		/* 'dunn' */

static void
lettering_lock(Datum customer_id, bool whole_ledger)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {customer_id};
	int			ret;

	if (whole_ledger)
		ret = SPI_execute("SELECT pg_catalog.pg_advisory_xact_lock(" DUNNING_LOCK_CLASS ", 0)", false, 0);
	else
		ret = SPI_execute_with_args("SELECT pg_catalog.pg_advisory_xact_lock_shared(" DUNNING_LOCK_CLASS ", 0), "
									"pg_catalog.pg_advisory_xact_lock(" DUNNING_LOCK_CLASS ", pg_catalog.hashtext($1))",
									1, types, args, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %d", ret);
}

/*
 * One cursor over the open lines, ordered by customer, locking as it reads;
 * only of the customers with an open credit (a negative open amount):
 * every group needs one, so the others have nothing to letter and their
 * lines are neither read nor locked (the ledger of a first run after a
 * migration has few payments and many open invoices).  Of one customer, or
 * of all (isnull).
 */
static Portal
lines_cursor(Datum customer_id, bool isnull)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {customer_id};

	return SPI_cursor_open_with_args(NULL,
									 "SELECT " LINE_COLUMNS ", m.up, m.low "
									 "FROM " DUNNING_SCHEMA ".entry e "
									 "LEFT JOIN " CODES_SUBQUERY("WHERE ($1 IS NULL OR l.customer_id OPERATOR(pg_catalog.=) $1)")
									 " m ON m.customer_id OPERATOR(pg_catalog.=) e.customer_id "
									 "WHERE e.open_amount OPERATOR(pg_catalog.<>) 0 "
									 "AND ($1 IS NULL OR e.customer_id OPERATOR(pg_catalog.=) $1) "
									 "AND EXISTS (SELECT 1 FROM " DUNNING_SCHEMA ".entry k "
									 "  WHERE k.customer_id OPERATOR(pg_catalog.=) e.customer_id "
									 "  AND k.open_amount OPERATOR(pg_catalog.<) 0) "
									 "ORDER BY e.customer_id, e.currency, e.entry_id "
									 "FOR UPDATE OF e",
									 1, types, args, isnull ? "n" : " ",
									 false, 0);
}

/*
 * Letter the lines a cursor of lines_cursor reads, book by book (a customer
 * and a currency), into the batch; closes the cursor.
 */
static void
letter_portal(Portal portal, LetterOptions *opts, Batch *batch,
			  Tuplestorestate *ts, TupleDesc tupdesc, MemoryContext cust_cxt)
{
	MemoryContext old;
	Book		book;
	Codes		codes;

	memset(&book, 0, sizeof(book));
	memset(&codes, 0, sizeof(codes));

	for (;;)
	{
		SPITupleTable *tt;
		uint64		i,
					nrows;

		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		tt = SPI_tuptable;
		nrows = SPI_processed;

		for (i = 0; i < nrows; i++)
		{
			bool		isnull;
			text	   *customer = (text *) DatumGetPointer(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull));
			text	   *currency = (text *) DatumGetPointer(SPI_getbinval(tt->vals[i], tt->tupdesc, 3, &isnull));
			bool		same_customer;

			same_customer = book.nlines > 0 && text_is(customer, book.customer_id);
			/* a book ends when the customer or the currency changes */
			if (book.nlines > 0 && !(same_customer && text_is(currency, book.currency)))
			{
				old = MemoryContextSwitchTo(cust_cxt);
				book_letter(&book, opts, &codes, batch, ts, tupdesc);
				MemoryContextSwitchTo(old);
				memset(&book, 0, sizeof(book));
				if (!same_customer)
				{
					MemoryContextReset(cust_cxt);
					memset(&codes, 0, sizeof(codes));
				}
			}
			old = MemoryContextSwitchTo(cust_cxt);
			if (book.nlines == 0)
			{
				book.customer_id = text_to_cstring(customer);
				book.currency = text_to_cstring(currency);
			}
			if (!codes.loaded)
				codes_set(&codes, SPI_getvalue(tt->vals[i], tt->tupdesc, 11),
						  SPI_getvalue(tt->vals[i], tt->tupdesc, 12));
			book_read_line(&book, tt->vals[i], tt->tupdesc);
			MemoryContextSwitchTo(old);
		}
		SPI_freetuptable(tt);
		if (nrows == 0)
			break;
		CHECK_FOR_INTERRUPTS();
	}
	if (book.nlines > 0)
	{
		old = MemoryContextSwitchTo(cust_cxt);
		book_letter(&book, opts, &codes, batch, ts, tupdesc);
		MemoryContextSwitchTo(old);
	}
	MemoryContextReset(cust_cxt);
	SPI_cursor_close(portal);
}

/*
 * The whole ledger when it is distributed: one task a shard, run by Citus
 * on the shards' nodes in parallel, calls auto_letter of each of its
 * customers with an open credit there (the call below, for one customer,
 * on the node that holds the customer's rows), and the rows come back in
 * one server's order: by customer, then as each call gave them.  The
 * coordinator's cursor over one customer at a time that this replaces
 * lettered 20,000 customers in 327 s against 2.5 s on one server
 * (README "Outgrowing one server").  Read a thousand rows at a time.
 */
static void
letter_on_shards(FunctionCallInfo fcinfo, Tuplestorestate *ts, TupleDesc tupdesc)
{
	Oid			types[4] = {TEXTARRAYOID, NUMERICOID, INT4OID, BOOLOID};
	Datum		args[4];
	Portal		portal;

	args[0] = PG_GETARG_DATUM(1);
	args[1] = PG_GETARG_DATUM(2);
	args[2] = PG_GETARG_DATUM(3);
	args[3] = PG_GETARG_DATUM(4);
	portal = SPI_cursor_open_with_args(NULL,
									   "SELECT r.customer_id, r.letter_code, r.entry_id, r.allocated, "
									   "r.strategy, r.partial "
									   "FROM " DUNNING_SCHEMA ".customer c, "
									   "LATERAL " DUNNING_SCHEMA ".auto_letter(c.customer_id, $1, $2, $3, $4) "
									   "WITH ORDINALITY r "
									   "WHERE EXISTS (SELECT 1 FROM " DUNNING_SCHEMA ".entry k "
									   "  WHERE k.customer_id OPERATOR(pg_catalog.=) c.customer_id "
									   "  AND k.open_amount OPERATOR(pg_catalog.<) 0) "
									   "ORDER BY c.customer_id, r.ordinality",
									   4, types, args, NULL, false, 0);
	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		for (i = 0; i < SPI_processed; i++)
		{
			Datum		values[6];
			bool		nulls[6];
			int			k;

			for (k = 0; k < 6; k++)
				values[k] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, k + 1, &nulls[k]);
			tuplestore_putvalues(ts, tupdesc, values, nulls);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
}

PG_FUNCTION_INFO_V1(dunning_auto_letter);
Datum
dunning_auto_letter(PG_FUNCTION_ARGS)
{
	LetterOptions opts;
	TupleDesc	tupdesc;
	Tuplestorestate *ts;
	MemoryContext cust_cxt;
	Batch		batch;
	int			nested = 0;

	memset(&opts, 0, sizeof(opts));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("strategies must not be null"),
				 errdetail("Give one or more of reference, exact, subset and fifo.")));
	parse_strategies(PG_GETARG_ARRAYTYPE_P(1), &opts);
	opts.tolerance = parse_tolerance(fcinfo, 2);
	if (PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", PG_ARGISNULL(3) ? "max_subset" : "dry_run"),
				 errdetail("Leave the argument out to take its default.")));
	opts.max_subset = PG_GETARG_INT32(3);
	if (opts.max_subset < 2 || opts.max_subset > 30)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_subset must be between 2 and 30"),
				 errdetail("max_subset is the largest number of lines the subset strategy puts in one group; it was %d.",
						   opts.max_subset)));
	opts.dry_run = PG_GETARG_BOOL(4);

	ts = materialize(fcinfo, &tupdesc);
	/* outside SPI's contexts: SPI_finish must not free it */
	cust_cxt = AllocSetContextCreate(CurrentMemoryContext, "dunning lettering customer",
									 ALLOCSET_DEFAULT_SIZES);
	batch_init(&batch, CurrentMemoryContext);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	batch.by_row = ledger_distributed();
	/*
	 * one customer of a distributed ledger: called by the task of the
	 * whole ledger's run on the shard's node, as well as on the
	 * coordinator; its statements go to that one customer's shard, which
	 * is local there, so Citus is let run them within the task
	 */
	if (!PG_ARGISNULL(0) && batch.by_row)
		nested = dunning_nested_reads_begin();
	if (!PG_ARGISNULL(0))
		check_customer(PG_GETARG_TEXT_PP(0));
	if (!opts.dry_run)
		lettering_lock(PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0), PG_ARGISNULL(0));

	if (PG_ARGISNULL(0) && batch.by_row)
		letter_on_shards(fcinfo, ts, tupdesc);
	else
		letter_portal(lines_cursor(PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0), PG_ARGISNULL(0)),
					  &opts, &batch, ts, tupdesc, cust_cxt);
	batch_flush(&batch);
	dunning_nested_reads_end(nested);
	SPI_finish();
	MemoryContextDelete(cust_cxt);
	MemoryContextDelete(batch.cxt);
	return (Datum) 0;
}

/*
 * dunning.letter(customer_id, entry_ids, tolerance): letter the given
 * entries together, credits to debits oldest due first; returns the code.
 */
PG_FUNCTION_INFO_V1(dunning_letter);
Datum
dunning_letter(PG_FUNCTION_ARGS)
{
	LetterOptions opts;
	Book		book;
	Codes		codes;
	ArrayType  *ids;
	Datum	   *elems;
	bool	   *nulls;
	int			nids,
				i;
	Oid			types[2] = {TEXTOID, INT8ARRAYOID};
	Datum		args[2];
	int			ret;
	bool		debit = false,
				credit = false;
	LetterGroup *groups;
	int			ngroups;
	char	   *code;
	Batch		batch;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", PG_ARGISNULL(0) ? "customer_id" : "entry_ids"),
				 errdetail("dunning.letter letters entries of one customer.")));
	ids = PG_GETARG_ARRAYTYPE_P(1);
	deconstruct_array(ids, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &nids);
	if (nids < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("at least two entries are needed to letter"),
				 errdetail("A lettering group holds at least one debit and one credit.")));
	for (i = 0; i < nids; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("entry_ids must not contain NULL"),
					 errdetail("Element %d is NULL.", i + 1)));
	memset(&opts, 0, sizeof(opts));
	opts.tolerance = parse_tolerance(fcinfo, 2);
	opts.order[opts.norder++] = STRAT_MANUAL;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	check_customer(PG_GETARG_TEXT_PP(0));
	lettering_lock(PG_GETARG_DATUM(0), false);

	args[0] = PG_GETARG_DATUM(0);
	args[1] = PointerGetDatum(ids);
	ret = SPI_execute_with_args("SELECT " LINE_COLUMNS ", e.open_amount, coalesce(e.letter_code, '-') "
								"FROM " DUNNING_SCHEMA ".entry e "
								"WHERE e.customer_id OPERATOR(pg_catalog.=) $1 "
								"AND e.entry_id OPERATOR(pg_catalog.=) ANY ($2) "
								"ORDER BY e.entry_id FOR UPDATE OF e",
								2, types, args, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %d", ret);

	memset(&book, 0, sizeof(book));
	memset(&codes, 0, sizeof(codes));
	book.customer_id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	for (i = 0; i < nids; i++)
	{
		int64		id = DatumGetInt64(elems[i]);
		uint64		r;
		bool		found = false;

		for (r = 0; r < SPI_processed && !found; r++)
		{
			bool		isnull;

			found = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r],
												SPI_tuptable->tupdesc, 2, &isnull)) == id;
		}
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("entry %lld is not an entry of customer %s",
							(long long) id, book.customer_id),
					 errdetail("Every entry lettered together belongs to the customer given.")));
	}
	for (i = 0; i < (int) SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		char	   *currency = SPI_getvalue(t, td, 3);
		Line	   *l;

		if (book.currency == NULL)
			book.currency = currency;
		else if (strcmp(book.currency, currency) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot letter entries in %s and %s together", book.currency, currency),
					 errdetail("Lettering never mixes currencies.")));
		l = book_read_line(&book, t, td);
		if (l->open == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("entry %lld of customer %s is already lettered",
							(long long) l->entry_id, book.customer_id),
					 errdetail("It is settled in group %s.", SPI_getvalue(t, td, 12))));
		debit |= l->open > 0;
		credit |= l->open < 0;
	}
	if (!debit || !credit)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nothing to letter: the entries hold no %s", debit ? "credit" : "debit"),
				 errdetail("A lettering group holds at least one open debit and one open credit.")));

	/* the entries given are one group, whatever FIFO pairs */
	book_join_codes(&book);
	for (i = 1; i < book.nlines; i++)
		join(&book, 0, i);
	strategy_fifo(&book, NULL, STRAT_MANUAL);
	book_writeoffs(&book, opts.tolerance);
	groups = book_groups(&book, &codes, &ngroups);
	Assert(ngroups == 1);
	batch_init(&batch, CurrentMemoryContext);
	batch.by_row = ledger_distributed();
	book_write(&book, groups, ngroups, &batch);
	batch_flush(&batch);
	MemoryContextDelete(batch.cxt);
	/* in the caller's memory: SPI_finish frees SPI's (test/memcheck saw
	 * the code read after it) */
	code = SPI_palloc(strlen(groups[0].code) + 1);
	strcpy(code, groups[0].code);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(code));
}

/*
 * dunning.unletter(customer_id, letter_code): remove a lettering group;
 * open amounts come back, write-offs of the group are deleted.
 */
PG_FUNCTION_INFO_V1(dunning_unletter);
Datum
dunning_unletter(PG_FUNCTION_ARGS)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		args[2];
	int			ret;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", PG_ARGISNULL(0) ? "customer_id" : "letter_code"),
				 errdetail("unletter takes a customer and the code of one of its lettering groups.")));
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	check_customer(PG_GETARG_TEXT_PP(0));

	/* lock the group's entries, then the group */
	ret = SPI_execute_with_args("SELECT 1 FROM " DUNNING_SCHEMA ".entry e "
								"WHERE e.customer_id OPERATOR(pg_catalog.=) $1 "
								"AND e.letter_code OPERATOR(pg_catalog.=) $2 "
								"ORDER BY e.entry_id FOR UPDATE",
								2, types, args, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %d", ret);
	ret = SPI_execute_with_args("DELETE FROM " DUNNING_SCHEMA ".lettering "
								"WHERE customer_id OPERATOR(pg_catalog.=) $1 "
								"AND letter_code OPERATOR(pg_catalog.=) $2",
								2, types, args, NULL, false, 0);
	if (ret != SPI_OK_DELETE)
		elog(ERROR, "SPI_execute_with_args failed: %d", ret);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("customer %s has no lettering group \"%s\"",
						text_to_cstring(PG_GETARG_TEXT_PP(0)),
						text_to_cstring(PG_GETARG_TEXT_PP(1))),
				 errdetail("See dunning.lettering for the customer's groups.")));
	/* the group's write-offs: whole again now, they are removed */
	ret = SPI_execute_with_args("DELETE FROM " DUNNING_SCHEMA ".entry e "
								"WHERE e.customer_id OPERATOR(pg_catalog.=) $1 "
								"AND e.kind OPERATOR(pg_catalog.=) 'writeoff' "
								"AND e.source OPERATOR(pg_catalog.=) 'lettering' "
								"AND e.letter_code IS NULL "
								"AND e.open_amount OPERATOR(pg_catalog.=) e.amount "
								"AND e.ref OPERATOR(pg_catalog.=) $2",
								2, types, args, NULL, false, 0);
	if (ret != SPI_OK_DELETE)
		elog(ERROR, "SPI_execute_with_args failed: %d", ret);
	SPI_finish();
	PG_RETURN_VOID();
}
