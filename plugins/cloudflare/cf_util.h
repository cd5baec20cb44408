/*
 * Pure helpers of the Cloudflare provider: URL policy, TXT quoting and
 * comparison, secret trimming, identifier checks and
 * sanitising of text that came from the network.  No I/O, no globals, so
 * they are unit tested on their own.
 */
#ifndef AD_CF_UTIL_H
#define AD_CF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest identifier (zone or record id) we accept from the API. */
#define AD_CF_ID_MAX 64

/* Check an API base URL: https:// anywhere, http:// only when the host is a
 * loopback address (127.0.0.0/8, ::1, localhost).  No user info, no query
 * and no fragment.  On failure writes a reason (for the user) to why.
 * Returns true when the URL is acceptable. */
bool ad_cf_url_ok(const char *url, char *why, size_t whylen);

/* Quote VALUE as one RFC 1035 character-string: "value" with '"' and '\\'
 * escaped.  Returns a new string (caller frees with free()), or NULL when
 * out of memory or VALUE is longer than 255 bytes. */
char *ad_cf_txt_quote(const char *value);

/* True when Cloudflare TXT content CONTENT (quoted or not, possibly several
 * character-strings) carries exactly VALUE. */
bool ad_cf_txt_matches(const char *content, const char *value);

/* Remove trailing whitespace (newline, CR, space, tab) in place. */
void ad_cf_trim(char *s);

/* True when S is usable as a credential in an HTTP header: 1..1024
 * visible ASCII characters (no space, no control character). */
bool ad_cf_secret_ok(const char *s);

/* True when S is a Cloudflare-style identifier: 1..AD_CF_ID_MAX characters
 * of [A-Za-z0-9_-]. */
bool ad_cf_id_ok(const char *s);

/* Copy at most DSTLEN-1 bytes of SRC to DST replacing control and non-ASCII
 * bytes with '?', so that text from the network is safe to log. */
void ad_cf_sanitize(char *dst, size_t dstlen, const char *src);

/* Split record data "ZONEID/RECORDID" into its parts (each checked with
 * ad_cf_id_ok).  Returns false when DATA is not in that form. */
bool ad_cf_data_split(const char *data, char zone[AD_CF_ID_MAX + 1], char rec[AD_CF_ID_MAX + 1]);

/* Exponential backoff for attempt N (1 = first retry), in milliseconds,
 * with JITTER (0..999) spreading it by up to a quarter.  Capped at 8 s. */
uint64_t ad_cf_backoff_ms(unsigned n, unsigned jitter);

#endif
