/*
 * fixed.h
 *		Numerics read as fixed-point integers from their digits, and written
 *		back (src/fixed.c).
 */
#ifndef DUNNING_FIXED_H
#define DUNNING_FIXED_H

#include "fmgr.h"
#include "lib/stringinfo.h"

/*
 * numeric's on-disk form (the server's utils/adt/numeric.c; pg_upgrade keeps
 * it the same across major versions): a 16-bit header, then for the long
 * form a 16-bit weight, then base-10000 digits, most significant first.
 * The header's two high bits say which form it is.
 */
#define FIXED_FORM_MASK			0xC000	/* the two high bits */
#define FIXED_FORM_POSITIVE		0x0000	/* long form, positive */
#define FIXED_FORM_NEGATIVE		0x4000	/* long form, negative */
#define FIXED_FORM_SHORT		0x8000	/* short form: all in the header */
#define FIXED_FORM_SPECIAL		0xC000	/* NaN or an infinity */

#define FIXED_SPECIAL_MASK		0xF000	/* special: which one */
#define FIXED_SPECIAL_NINF		0xF000	/* -Infinity */

#define FIXED_LONG_DSCALE_MASK	0x3FFF	/* long form: display scale */

#define FIXED_SHORT_NEGATIVE	0x2000	/* short form: sign */
#define FIXED_SHORT_DSCALE_MASK 0x1F80	/* short form: display scale ... */
#define FIXED_SHORT_DSCALE_SHIFT 7	/* ... at this bit */
#define FIXED_SHORT_WEIGHT_SIGN 0x0040	/* short form: weight's sign bit */
#define FIXED_SHORT_WEIGHT_MASK 0x003F	/* short form: weight's other bits */
#define FIXED_SHORT_WEIGHT_BITS 0x007F	/* the weight written, sign included */

#define FIXED_NBASE				10000	/* a digit's base */
#define FIXED_DEC_DIGITS		4	/* decimal digits of a digit */

#define FIXED_IS_SPECIAL(h)		(((h) & FIXED_FORM_MASK) == FIXED_FORM_SPECIAL)
#define FIXED_IS_SHORT(h)		(((h) & FIXED_FORM_MASK) == FIXED_FORM_SHORT)

/* the aged balance's unit: 128-bit integers of hundred-millionths */
#define FIXED_SCALE				8
#define FIXED_ONE				INT64CONST(100000000)	/* 1 in that unit */

/* lettering's unit: amounts as int64 millionths */
#define FIXED_MICROS			INT64CONST(1000000)
#define FIXED_MICROS_DIGITS		6

extern void fixed_init(void);
extern bool fixed_header(Datum d, uint16 *header, const char **data, int *len);
extern bool fixed_is_zero(Datum d);
extern bool fixed_below_zero(Datum d);

#ifdef HAVE_INT128
#define FIXED_POW10_MAX			36	/* the largest power of ten kept */
extern int128 fixed_pow10(int e);
extern bool fixed_read(Datum d, int128 *value, int *dscale);
extern Datum fixed_numeric(int128 v, int dscale);
#endif

extern bool fixed_micros(Datum d, int64 *micros);
extern int64 fixed_micros_checked(Datum num, const char *what);
extern Datum fixed_micros_numeric(int64 v);


/*
 * An exact sum of numerics, as sum(numeric) gives it (NULLs skipped, NULL
 * when none, the largest display scale summed): in a 128-bit integer of
 * 10^-FIXED_SCALE while the digits allow, the rest as a numeric kept in
 * the caller's context (its previous value freed at each add, so that the
 * sum does not grow with the rows).  Written flat by fixed_sum_serialize
 * for the parallel workers' partial states.
 */
typedef struct FixedSum
{
#ifdef HAVE_INT128
	int128		isum;
#endif
	Datum		slow;			/* numeric, or 0 */
	int64		count;			/* values summed */
	int32		dscale;
} FixedSum;

extern void fixed_sum_add(FixedSum *s, Datum num, MemoryContext cxt);
#ifdef HAVE_INT128
extern void fixed_sum_add_value(FixedSum *s, int128 v, int dscale, MemoryContext cxt);
#endif
extern void fixed_sum_combine(FixedSum *into, const FixedSum *from, MemoryContext cxt);
extern Datum fixed_sum_result(const FixedSum *s, bool *isnull);
extern void fixed_sum_serialize(StringInfo buf, const FixedSum *s);
extern void fixed_sum_deserialize(StringInfo buf, FixedSum *s, MemoryContext cxt);

#endif							/* DUNNING_FIXED_H */
