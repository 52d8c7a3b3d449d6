/*
 * datetime.h — calendar arithmetic and strict text parsing of dates and
 * timestamps, shared by the sources (SQLite stores them as text; MySQL and
 * PostgreSQL fallbacks too).  Proleptic Gregorian calendar, no time zones
 * database: an explicit offset ("+09:00", "Z") is applied, nothing else.
 */
#ifndef SL_UTIL_DATETIME_H
#define SL_UTIL_DATETIME_H

#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01 of a civil date (any year). */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d);
void sl_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* "YYYY-MM-DD" exactly.  Returns 0, or SL_ERROR with a reason in why. */
int sl_parse_date(const char *s, size_t n, int32_t *days, char *why, size_t whysize);

/* "YYYY-MM-DD[( |T)HH:MM[:SS[.f…]]][Z|±HH[:MM]]".  A date alone is midnight.
 * Fractions beyond microseconds must be zeros (no silent truncation).  With
 * an offset the result is converted to UTC; *had_offset tells (may be NULL). */
int sl_parse_timestamp(const char *s, size_t n, int64_t *micros, int *had_offset, char *why,
                       size_t whysize);

/* "YYYY-MM-DD HH:MM:SS.ffffff" into buf (at least 32 bytes). */
void sl_format_timestamp(int64_t micros, char *buf, size_t size);
void sl_format_date(int32_t days, char *buf, size_t size);

#endif
