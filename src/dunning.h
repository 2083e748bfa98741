/*
 * dunning.h
 *		Declarations shared by the C files of the dunning extension.
 */
#ifndef DUNNING_H
#define DUNNING_H

#include "utils/date.h"

/* Schema of the extension: relocatable = false, so it is fixed. */
#define DUNNING_SCHEMA "dunning"

#if PG_VERSION_NUM < 160000
extern void _PG_init(void);
#endif

extern bool dunning_parse_iso_date(const char *s, DateADT *result);
extern DateADT dunning_check_as_of(Datum arg, bool isnull);

/* triggers.c: set by the lettering engine while it writes in bulk */
extern bool dunning_bulk_writes;

#endif							/* DUNNING_H */
