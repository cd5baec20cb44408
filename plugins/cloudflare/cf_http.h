/*
 * The Cloudflare provider's HTTP engine: runs a batch of API requests
 * concurrently on one curl multi handle (one connection cache for the whole
 * run), with a bounded number in flight, retries for 429 (Retry-After),
 * 5xx and dropped connections, a cap on response bodies and JSON parsing of
 * Cloudflare's envelope.
 */
#ifndef AD_CF_HTTP_H
#define AD_CF_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "acme-dns/plugin.h"
#include "cf_parse.h"

#define AD_CF_MAX_BODY (1024u * 1024u) /* largest response body we read */
#define AD_CF_MAX_INFLIGHT 8           /* requests in flight at once */
#define AD_CF_MAX_ATTEMPTS 5           /* tries per request (first + retries) */
#define AD_CF_RETRY_AFTER_MAX 60       /* longest Retry-After we honour, seconds */

struct ad_cf_http;

/* Engine settings; strings are copied by ad_cf_http_new. */
struct ad_cf_http_cfg {
    const struct ad_host *host;  /* borrowed, for logging */
    const char *api;             /* base URL, no trailing slash; used to shorten logged URLs */
    const char *ca_bundle;       /* CA file or NULL for the system store */
    const char *user_agent;
    struct curl_slist *headers;  /* ownership passes to the engine (wiped and freed by it) */
};

/* One request.  The caller fills method, url and body; the engine fills the
 * results.  Free with ad_cf_req_free. */
struct ad_cf_req {
    const char *method;  /* "GET", "POST" or "DELETE" (static string) */
    char *url;           /* owned */
    char *body;          /* owned JSON text, or NULL */
    struct curl_slist *headers; /* borrowed: headers in place of the engine's (a second
                                   credential: lego's zone token), or NULL */
    /* results */
    bool failed;               /* no usable answer: err says why */
    char err[320];
    long http;                 /* HTTP status of the final answer */
    struct json_object *json;  /* the parsed envelope (owned), when !failed */
    /* caller's bookkeeping */
    size_t idx;
    /* engine private */
    void *priv;
};

/* Create the engine.  On success *out is set (free with ad_cf_http_free). */
ad_status ad_cf_http_new(const struct ad_cf_http_cfg *cfg, struct ad_cf_http **out);
/* Free the engine, wiping the credential headers (NULL-safe). */
void ad_cf_http_free(struct ad_cf_http *h);

/* New request; takes ownership of url and body (also on failure).  NULL
 * when out of memory. */
struct ad_cf_req *ad_cf_req_new(const char *method, char *url, char *body);
void ad_cf_req_free(struct ad_cf_req *r);

/* Run every request of REQS to its end (answer or bounded failure). */
void ad_cf_http_run(struct ad_cf_http *h, struct ad_cf_req *const *reqs, size_t n);

#endif
