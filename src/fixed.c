/*-------------------------------------------------------------------------
 *
 * fixed.c
 *		Numerics read as fixed-point integers straight from their digits,
 *		and written back in the server's own form.
 *
 * The aged balance sums amounts as 128-bit integers of hundred-millionths
 * (FIXED_SCALE decimals); lettering works in int64 millionths.  Both read a
 * numeric's base-10000 digits where it lies instead of calling numeric
 * arithmetic for every row, and fall back to numeric arithmetic (with its
 * errors) when the digits cannot give the value exactly: NaN, infinities,
 * too many decimals, too large.  This relies on numeric's on-disk form,
 * described by the constants of fixed.h.  With assertions on, every numeric
 * written here is compared byte for byte with the server's own.
 *
 * Also dunning._is_finite(numeric), the tables' check on amounts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "fixed.h"

/*
 * A numeric's 16-bit header, read where the numeric lies (a short numeric
 * is not copied out of its row), with what follows it and its length;
 * false when there is no header.  The two high bits set mean NaN or an
 * infinity.
 */
bool
fixed_header(Datum d, uint16 *header, const char **data, int *len)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);

	*data = VARDATA_ANY(v);
	*len = VARSIZE_ANY_EXHDR(v);
	if (*len < (int) sizeof(uint16))
		return false;
	memcpy(header, *data, sizeof(uint16));
	return true;
}

/* a finite zero: a numeric with no digits (a short header is 2 bytes, a long one 4) */
bool
fixed_is_zero(Datum d)
{
	const char *p;
	int			len;
	uint16		header;

	return fixed_header(d, &header, &p, &len) && !FIXED_IS_SPECIAL(header) &&
		len <= (int) (FIXED_IS_SHORT(header) ? sizeof(uint16) : 2 * sizeof(uint16));
}

/*
 * amount < 0, as numeric_lt(amount, 0) says it, from the header alone: a
 * negative sign with digits (a negative sign without any is a zero), or
 * -Infinity; NaN sorts above every number.
 */
bool
fixed_below_zero(Datum amount)
{
	const char *p;
	int			len;
	uint16		header;

	if (!fixed_header(amount, &header, &p, &len))
		return DatumGetBool(DirectFunctionCall2(numeric_lt, amount,
												NumericGetDatum(int64_to_numeric(0))));
	if (FIXED_IS_SPECIAL(header))
		return (header & FIXED_SPECIAL_MASK) == FIXED_SPECIAL_NINF;
	if (FIXED_IS_SHORT(header))
		return (header & FIXED_SHORT_NEGATIVE) != 0 && len > (int) sizeof(uint16);
	return (header & FIXED_FORM_MASK) == FIXED_FORM_NEGATIVE && len > 2 * (int) sizeof(uint16);
}

#ifdef HAVE_INT128
/* 10^0 .. 10^36 */
static int128 pow10_128[FIXED_POW10_MAX + 1];

void
fixed_init(void)
{
	int			i;

	if (pow10_128[0] != 0)
		return;
	pow10_128[0] = 1;
	for (i = 1; i < (int) lengthof(pow10_128); i++)
		pow10_128[i] = pow10_128[i - 1] * 10;
}

/* 10^e for 0 <= e <= FIXED_POW10_MAX */
int128
fixed_pow10(int e)
{
	Assert(e >= 0 && e <= FIXED_POW10_MAX);
	return pow10_128[e];
}

/*
 * The value of a numeric in 10^-FIXED_SCALE and its display scale; false
 * when it is NaN or infinite, has a display scale over FIXED_SCALE or is
 * 10^28 or more (then it is summed as a numeric).
 */
bool
fixed_read(Datum d, int128 *value, int *dscale)
{
	const char *p;
	int			len;
	uint16		header;
	int			weight;
	int			ndigits;
	bool		negative;
	int128		acc = 0;
	int			i;

	if (!fixed_header(d, &header, &p, &len))
		return false;
	switch (header & FIXED_FORM_MASK)
	{
		case FIXED_FORM_SPECIAL:	/* NaN, +/-infinity */
			return false;
		case FIXED_FORM_SHORT:	/* sign, scale and weight in the header */
			negative = (header & FIXED_SHORT_NEGATIVE) != 0;
			*dscale = (header & FIXED_SHORT_DSCALE_MASK) >> FIXED_SHORT_DSCALE_SHIFT;
			weight = (header & FIXED_SHORT_WEIGHT_MASK) -
				((header & FIXED_SHORT_WEIGHT_SIGN) ? FIXED_SHORT_WEIGHT_SIGN : 0);
			p += sizeof(uint16);
			len -= sizeof(uint16);
			break;
		default:				/* long: sign and scale, then a 16-bit weight */
			{
				int16		w;

				if (len < (int) (2 * sizeof(uint16)))
					return false;
				negative = (header & FIXED_FORM_MASK) == FIXED_FORM_NEGATIVE;
				*dscale = header & FIXED_LONG_DSCALE_MASK;
				memcpy(&w, p + sizeof(uint16), sizeof(int16));
				weight = w;
				p += 2 * sizeof(uint16);
				len -= 2 * sizeof(uint16);
			}
			break;
	}
	if (*dscale > FIXED_SCALE || weight > 6)
		return false;
	ndigits = len / (int) sizeof(int16);

	/* digit i is worth 10000^(weight - i), that is 10^(4 (weight - i) + 8) */
	for (i = 0; i < ndigits; i++)
	{
		int16		digit;
		int			e = FIXED_DEC_DIGITS * (weight - i) + FIXED_SCALE;

		memcpy(&digit, p + i * sizeof(int16), sizeof(int16));
		if (digit < 0 || digit >= FIXED_NBASE)
			return false;
		if (e < 0)
		{
			if (digit != 0)
				return false;
			continue;
		}
		acc += (int128) digit * pow10_128[e];
	}
	*value = negative ? -acc : acc;
	return true;
}

/*
 * A numeric of v 10^-FIXED_SCALE shown with dscale decimals (v has no more),
 * written in the form the server itself writes (numeric.c's make_result):
 * base-10000 digits without leading or trailing zero digits, a short header
 * (scale at most 8 and weight at most 7 always fit), zero positive with
 * weight 0.  One allocation; asserting builds check it against the
 * server's own int64_div_fast_to_numeric byte for byte.
 */
Datum
fixed_numeric(int128 v, int dscale)
{
	uint128		a = (v < 0) ? -(uint128) v : (uint128) v;
	uint64		frac;			/* the 8 decimals */
	uint128		ipart;
	uint64		ip64;
	int16		digits[16];		/* integer part at most 10^30: 8 digits */
	int16		low[8];
	int			nlow = 0;
	int			n = 0;
	int			first = 0;
	int			weight;
	uint16		header;
	Numeric		result;

	/*
	 * The integer part's digits, least significant first, then reversed.
	 * Nearly every sum fits in 64 bits, where dividing by a constant is a
	 * multiplication; 128-bit division is a library call.
	 */
	if (a <= PG_UINT64_MAX)
	{
		frac = (uint64) a % FIXED_ONE;
		ipart = (uint64) a / FIXED_ONE;
	}
	else
	{
		frac = (uint64) (a % FIXED_ONE);
		ipart = a / FIXED_ONE;
	}
	while (ipart > PG_UINT64_MAX)
	{
		low[nlow++] = (int16) (ipart % FIXED_NBASE);
		ipart /= FIXED_NBASE;
	}
	ip64 = (uint64) ipart;
	while (ip64 != 0)
	{
		low[nlow++] = (int16) (ip64 % FIXED_NBASE);
		ip64 /= FIXED_NBASE;
	}
	while (nlow > 0)
		digits[n++] = low[--nlow];
	weight = n - 1;
	digits[n++] = (int16) (frac / FIXED_NBASE);
	digits[n++] = (int16) (frac % FIXED_NBASE);

	/* no leading or trailing zero digits */
	while (first < n && digits[first] == 0)
	{
		first++;
		weight--;
	}
	while (n > first && digits[n - 1] == 0)
		n--;
	if (n == first)
	{
		weight = 0;
		v = 0;
	}

	header = FIXED_FORM_SHORT | (v < 0 ? FIXED_SHORT_NEGATIVE : 0) |
		(uint16) (dscale << FIXED_SHORT_DSCALE_SHIFT) | (uint16) (weight & FIXED_SHORT_WEIGHT_BITS);
	result = (Numeric) palloc(VARHDRSZ + sizeof(uint16) + (n - first) * sizeof(int16));
	SET_VARSIZE(result, VARHDRSZ + sizeof(uint16) + (n - first) * sizeof(int16));
	memcpy(VARDATA(result), &header, sizeof(uint16));
	memcpy(VARDATA(result) + sizeof(uint16), digits + first, (n - first) * sizeof(int16));

#ifdef USE_ASSERT_CHECKING
	{
		int128		w = v / pow10_128[FIXED_SCALE - dscale];

		if (w >= PG_INT64_MIN && w <= PG_INT64_MAX)
		{
			Numeric		check = int64_div_fast_to_numeric((int64) w, dscale);

			Assert(VARSIZE(check) == VARSIZE(result) &&
				   memcmp(check, result, VARSIZE(result)) == 0);
		}
	}
#endif
	return NumericGetDatum(result);
}
#endif							/* HAVE_INT128 */

/*
 * A numeric in millionths, read from its digits (the lettering engine reads
 * every open line this way); false when that cannot be done exactly in 64
 * bits (more than 8 decimals written, a seventh decimal that is not zero,
 * NaN, an infinity, 9,223,372,036,854.775808 or more), which the caller
 * then works out with numeric arithmetic and its errors.
 */
bool
fixed_micros(Datum d, int64 *micros)
{
#ifdef HAVE_INT128
	int128		v;
	int			dscale;

	if (!fixed_read(d, &v, &dscale) || v % 100 != 0)
		return false;
	v /= 100;
	if (v < PG_INT64_MIN || v > PG_INT64_MAX)
		return false;
	*micros = (int64) v;
	return true;
#else
	return false;
#endif
}

/*
 * A numeric in millionths by numeric arithmetic (the path of the amounts
 * fixed_micros cannot read): an error with a detail naming `what` when it
 * is not finite, has more than six decimals or does not fit in 64 bits.
 */
int64
fixed_micros_checked(Datum num, const char *what)
{
	Datum		scaled;
	Datum		truncated;
	bool		overflow;
	int64		v;

	if (numeric_is_nan(DatumGetNumeric(num)) || numeric_is_inf(DatumGetNumeric(num)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", what),
				 errdetail("Lettering works on amounts to the millionth; NaN and infinity are none.")));
	scaled = DirectFunctionCall2(numeric_mul, num,
								 DirectFunctionCall1(int8_numeric, Int64GetDatum(FIXED_MICROS)));
	truncated = DirectFunctionCall2(numeric_trunc, scaled, Int32GetDatum(0));

	if (!DatumGetBool(DirectFunctionCall2(numeric_eq, scaled, truncated)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s has more than %d decimals", what, FIXED_MICROS_DIGITS),
				 errdetail("Lettering works on amounts to the millionth.")));
	overflow = DatumGetBool(DirectFunctionCall2(numeric_gt,
												DirectFunctionCall1(numeric_abs, scaled),
												DirectFunctionCall1(int8_numeric, Int64GetDatum(PG_INT64_MAX))));
	if (overflow)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s is out of range for lettering", what),
				 errdetail("Lettering handles amounts up to 9,223,372,036,854.775807.")));
	v = DatumGetInt64(DirectFunctionCall1(numeric_int8, scaled));
	return v;
}

/*
 * Text of millionths, trailing zeros removed down to the cents:
 * 1234500000 -> "1234.50".
 */
static char *
scaled_text(int64 v)
{
	char		buf[64];
	uint64		a = (v < 0) ? -(uint64) v : (uint64) v;
	uint64		ip = a / FIXED_MICROS;
	uint64		fp = a % FIXED_MICROS;
	int			len;

	len = snprintf(buf, sizeof(buf), "%s%llu.%06llu",
				   v < 0 ? "-" : "", (unsigned long long) ip, (unsigned long long) fp);
	/* keep the cents: 1234.50, 0.30, 12.345 */
	while (buf[len - 1] == '0' && buf[len - 3] != '.')
		buf[--len] = '\0';
	return pstrdup(buf);
}

/*
 * Millionths as a numeric Datum.
 */
Datum
fixed_micros_numeric(int64 v)
{
	return DirectFunctionCall3(numeric_in, CStringGetDatum(scaled_text(v)),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/*
 * FixedSum (fixed.h): add a numeric, combine two sums, give the result, and
 * write and read a sum flat.
 */
static void
fixed_sum_add_slow(FixedSum *s, Datum num, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	Datum		prev = s->slow;

	s->slow = (prev == (Datum) 0) ? datumCopy(num, false, -1)
		: DirectFunctionCall2(numeric_add, prev, num);
	if (prev != (Datum) 0)
		pfree(DatumGetPointer(prev));
	MemoryContextSwitchTo(old);
}

void
fixed_sum_add(FixedSum *s, Datum num, MemoryContext cxt)
{
#ifdef HAVE_INT128
	int128		v;
	int			dscale;
	int128		sum;
#endif

	s->count++;
#ifdef HAVE_INT128
	if (fixed_read(num, &v, &dscale) && !__builtin_add_overflow(s->isum, v, &sum))
	{
		s->isum = sum;
		if (dscale > s->dscale)
			s->dscale = dscale;
		return;
	}
#endif
	fixed_sum_add_slow(s, num, cxt);
}

#ifdef HAVE_INT128
/* add a value already read by fixed_read (v in 10^-FIXED_SCALE) */
void
fixed_sum_add_value(FixedSum *s, int128 v, int dscale, MemoryContext cxt)
{
	int128		sum;

	s->count++;
	if (!__builtin_add_overflow(s->isum, v, &sum))
	{
		s->isum = sum;
		if (dscale > s->dscale)
			s->dscale = dscale;
		return;
	}
	fixed_sum_add_slow(s, fixed_numeric(v, dscale), cxt);
}
#endif

void
fixed_sum_combine(FixedSum *into, const FixedSum *from, MemoryContext cxt)
{
#ifdef HAVE_INT128
	int128		sum;
#endif

	if (from->count == 0)
		return;
	into->count += from->count;
#ifdef HAVE_INT128
	if (__builtin_add_overflow(into->isum, from->isum, &sum))
		fixed_sum_add_slow(into, fixed_numeric(from->isum, from->dscale), cxt);
	else
		into->isum = sum;
	if (from->dscale > into->dscale)
		into->dscale = from->dscale;
#endif
	if (from->slow != (Datum) 0)
		fixed_sum_add_slow(into, from->slow, cxt);
}

Datum
fixed_sum_result(const FixedSum *s, bool *isnull)
{
	Datum		sum;

	*isnull = (s->count == 0);
	if (*isnull)
		return (Datum) 0;
#ifdef HAVE_INT128
	sum = fixed_numeric(s->isum, s->dscale);
#else
	sum = DirectFunctionCall1(int8_numeric, Int64GetDatum(0));
#endif
	if (s->slow != (Datum) 0)
		sum = DirectFunctionCall2(numeric_add, sum, s->slow);
	return sum;
}

void
fixed_sum_serialize(StringInfo buf, const FixedSum *s)
{
#ifdef HAVE_INT128
	pq_sendint64(buf, (int64) (s->isum >> 64));
	pq_sendint64(buf, (int64) (uint64) s->isum);
#endif
	pq_sendint64(buf, s->count);
	pq_sendint32(buf, s->dscale);
	if (s->slow == (Datum) 0)
		pq_sendint32(buf, 0);
	else
	{
		pq_sendint32(buf, VARSIZE_ANY(DatumGetPointer(s->slow)));
		pq_sendbytes(buf, DatumGetPointer(s->slow), VARSIZE_ANY(DatumGetPointer(s->slow)));
	}
}

void
fixed_sum_deserialize(StringInfo buf, FixedSum *s, MemoryContext cxt)
{
	int32		len;

#ifdef HAVE_INT128
	{
		int64		hi = pq_getmsgint64(buf);
		uint64		lo = (uint64) pq_getmsgint64(buf);

		s->isum = (int128) (((uint128) (uint64) hi << 64) | lo);
	}
#endif
	s->count = pq_getmsgint64(buf);
	s->dscale = pq_getmsgint(buf, 4);
	len = pq_getmsgint(buf, 4);
	s->slow = (Datum) 0;
	if (len > 0)
	{
		char	   *p = MemoryContextAlloc(cxt, len);

		memcpy(p, pq_getmsgbytes(buf, len), len);
		s->slow = PointerGetDatum(p);
	}
}

/*
 * dunning._is_finite(numeric): neither NaN nor an infinity, for the tables'
 * checks.  The special values are the numerics whose header has its two
 * high bits set.
 */
PG_FUNCTION_INFO_V1(dunning_is_finite);
Datum
dunning_is_finite(PG_FUNCTION_ARGS)
{
	const char *p;
	int			len;
	uint16		header;

	/* no header: not a special value */
	PG_RETURN_BOOL(!fixed_header(PG_GETARG_DATUM(0), &header, &p, &len) ||
				   !FIXED_IS_SPECIAL(header));
}
