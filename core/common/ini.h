/* certbot's credentials INI files (certbot reads them with configobj):
 *
 *     # comment
 *     dns_rfc2136_server = 192.0.2.53
 *     dns_rfc2136_secret = "c2VjcmV0..."    # a quoted value; comment after it
 *
 * One "key = value" per line; blank lines and lines starting with '#' are
 * skipped; a value is either quoted ('...' or "...", nothing but a comment
 * after the closing quote) or runs up to a '#' or the end of the line,
 * white space around it removed.  A UTF-8 byte order mark at the start is
 * skipped.  Sections ("[name]"), a line without '=', a key given twice, a
 * NUL byte and more than AD_INI_MAX_KEYS keys are errors naming the line.
 * Pure: no I/O, and no error message ever shows a value or a key (they
 * may be secrets: a secret pasted alone on a line, "c2VjcmV0=", reads as a
 * key). */
#ifndef AD_INI_H
#define AD_INI_H

#include <stddef.h>

#include "acme-dns/status.h"

#define AD_INI_MAX_KEYS 64
#define AD_INI_KEY_MAX 64

struct ad_ini;

/* Parse BUF (LEN bytes, need not be NUL-terminated).  SOURCE names it in
 * messages.  On success *OUT is new (free with ad_ini_free); AD_ERR_CONFIG
 * with ERR set when malformed, or AD_ERR_NOMEM. */
ad_status ad_ini_parse(const char *source, const char *buf, size_t len, struct ad_ini **out, char *err,
                       size_t errlen);

/* Value of KEY, or NULL when absent (an empty value is ""); borrowed until
 * ad_ini_free. */
const char *ad_ini_get(const struct ad_ini *ini, const char *key);

/* Number of keys, and the key of entry I and its line number. */
size_t ad_ini_count(const struct ad_ini *ini);
const char *ad_ini_key(const struct ad_ini *ini, size_t i, unsigned *line);

/* Call WARN(CTX, MESSAGE) for each key of INI that is not among KNOWN
 * (NULL-terminated): "SOURCE line N: KEY is not a key of WHAT: ignored",
 * the key shown only when it begins with "dns_" and has at most 40
 * characters (a secret pasted alone on a line reads as a key). */
void ad_ini_unknown_keys(const struct ad_ini *ini, const char *source, const char *what, const char *const *known,
                         void (*warn)(void *ctx, const char *message), void *ctx);

/* Wipe the values and free (NULL-safe). */
void ad_ini_free(struct ad_ini *ini);

#endif
