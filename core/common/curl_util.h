/* Small helpers for the two libcurl users, the core's HTTPS client and the
 * Cloudflare plugin: a response body capped at a size, and Retry-After. */
#ifndef AD_CURL_UTIL_H
#define AD_CURL_UTIL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* A growing response body that refuses to grow past MAX bytes.  Zero it,
 * set max, pass it as CURLOPT_WRITEDATA with ad_body_write. */
struct ad_body {
    char *data;     /* NUL-terminated when not NULL; owned */
    size_t len, cap, max;
    bool too_big;   /* the server sent more than MAX: the transfer was aborted */
    bool nomem;     /* out of memory: the transfer was aborted */
};

/* CURLOPT_WRITEFUNCTION for a struct ad_body. */
size_t ad_body_write(char *ptr, size_t size, size_t nmemb, void *body);
/* Hand the body over: a NUL-terminated string of *LEN bytes ("" when
 * nothing came), which the caller frees; B is empty afterwards.  NULL when
 * out of memory. */
char *ad_body_take(struct ad_body *b, size_t *len);
/* Free what B holds, wiping it first; B stays usable (empty, same max). */
void ad_body_clear(struct ad_body *b);

/* Seconds to wait from a Retry-After value (RFC 9110 10.2.3: delay-seconds,
 * or an HTTP-date read with curl_getdate), relative to NOW.  A date in the
 * past gives 0, a delay is capped at one day; -1 when VALUE is neither. */
long ad_retry_after_secs(const char *value, time_t now);

/* A transfer that ended with C may pass when tried again: the connection
 * was refused, reset or cut, or an HTTP/2 stream failed.  Timeouts, TLS,
 * name and proxy failures are not in it (each caller decides on those). */
bool ad_curl_transient(CURLcode c);

#endif
