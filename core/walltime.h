/* Wall-clock time as Unix seconds, and RFC 3339 text for it (ARI windows,
 * saved state, summaries).  The monotonic clock for timeouts is ad_now_ms. */
#ifndef AD_WALLTIME_H
#define AD_WALLTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Seconds since the epoch, now. */
int64_t ad_wall_now(void);
/* Parse an RFC 3339 date-time ("2025-01-02T04:00:00Z"; fractions of a
 * second, which are dropped, and "+01:00" offsets allowed) into *OUT.
 * False for anything else, and for times before 1970 or after 9999. */
bool ad_rfc3339_parse(const char *s, int64_t *out);
/* "YYYY-MM-DDTHH:MM:SSZ" for T into BUF (AD_RFC3339_LEN bytes are enough). */
#define AD_RFC3339_LEN 32
void ad_rfc3339_format(int64_t t, char *buf, size_t size);

#endif
