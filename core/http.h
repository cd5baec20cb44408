/* HTTPS to the CA through libcurl: one kept-alive connection per origin
 * (HTTP/2 streams, or HTTP/1.1 one request after another), proxies from the
 * environment, bounded bodies, bounded waits. */
#ifndef AD_HTTP_H
#define AD_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "acme-dns/status.h"

#define AD_HTTP_BODY_MAX (4u << 20)

struct ad_http;

struct ad_http_response {
    long status;
    char *body;           /* NUL-terminated, LEN bytes; owned */
    size_t len;
    char *location;       /* Location header or NULL; owned */
    char *nonce;          /* Replay-Nonce or NULL; owned */
    char *content_type;   /* or NULL; owned */
    long retry_after;     /* seconds from Retry-After, or -1 */
    char **links;         /* every Link header's value (at most AD_HTTP_LINKS_MAX); owned */
    size_t nlinks;
};

/* CA_BUNDLE may be NULL (system trust).  Caller frees with ad_http_free. */
ad_status ad_http_new(const char *ca_bundle, struct ad_http **out);
void ad_http_free(struct ad_http *h);
/* METHOD is "GET", "HEAD" or "POST" (BODY with content type CTYPE).
 * ACCEPT may be NULL.  RESP is filled (clear it with ad_http_response_clear). */
ad_status ad_http_request(struct ad_http *h, const char *method, const char *url, const char *ctype,
                          const char *body, const char *accept, struct ad_http_response *resp);
void ad_http_response_clear(struct ad_http_response *resp);
/* One request of a batch. */
struct ad_http_req {
    const char *method;   /* "GET", "HEAD" or "POST" */
    const char *url;
    const char *ctype;    /* POST content type, or NULL for application/jose+json */
    const char *body;     /* POST body */
    const char *accept;   /* or NULL for application/json */
    struct ad_http_response resp; /* filled when rc is AD_OK; clear it */
    ad_status rc;
    bool quiet;           /* a failure is not logged, only said in ERROR (the caller retries, or logs it) */
    bool transient;       /* out: the failure may pass (refused, reset or cut connection): trying again may help */
    char error[400];      /* out: what failed, as it is (or would be) logged, when rc is not AD_OK */
};

/* Maximum number of requests in flight at once. */
#define AD_HTTP_PARALLEL 8

/* Run N requests concurrently (at most AD_HTTP_PARALLEL at a time, over
 * one connection with HTTP/2 where the server speaks it).  Each request's
 * own outcome is in its rc; the return value is AD_OK unless the batch as
 * a whole failed (out of memory, interrupted). */
ad_status ad_http_batch(struct ad_http *h, struct ad_http_req *reqs, size_t n);
/* Number of requests made so far. */
unsigned long ad_http_count(const struct ad_http *h);
/* Connections opened so far (for --timings and the tests). */
unsigned long ad_http_connects(const struct ad_http *h);
/* "HTTP/2", "HTTP/1.1" ...: the protocol of the last response (static). */
const char *ad_http_version(const struct ad_http *h);
/* Connect and whole-request time limits in milliseconds (defaults 10 s and 60 s). */
void ad_http_set_timeouts(struct ad_http *h, unsigned connect_ms, unsigned request_ms);
/* The whole-request time limit in milliseconds. */
unsigned ad_http_timeout_ms(const struct ad_http *h);

/* Link headers kept of one response, at most. */
#define AD_HTTP_LINKS_MAX 32
/* Append to *URLS (*N of them, at most MAX in all) the https:// targets of
 * the link-values in VALUE (one Link header's value, RFC 8288:
 * <URI>; rel="a b"; ..., <URI>; ...) whose relation types include REL (ASCII
 * case-insensitive).  Other targets, relative references and what does not
 * parse are passed over.  *URLS: caller frees with ad_strv_free. */
ad_status ad_link_parse(const char *value, const char *rel, size_t max, char ***urls, size_t *n);
/* The same over every Link header of RESP. */
ad_status ad_http_links(const struct ad_http_response *resp, const char *rel, size_t max, char ***urls, size_t *n);

#endif
