#include "http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "util.h"

struct ad_http {
    CURL *curl;
    char *ca_bundle;
    char errbuf[CURL_ERROR_SIZE];
    unsigned long count;
};

struct sink {
    struct ad_http_response *resp;
    size_t cap;
    int overflow;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct sink *s = ud;
    size_t n = size * nmemb;
    struct ad_http_response *r = s->resp;
    if (r->len + n > AD_HTTP_BODY_MAX) {
        s->overflow = 1;
        return 0;
    }
    if (r->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *b = realloc(r->body, cap);
        if (!b)
            return 0;
        r->body = b;
        s->cap = cap;
    }
    memcpy(r->body + r->len, ptr, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

static char *header_value(const char *line, size_t len, const char *name)
{
    size_t nl = strlen(name);
    if (len <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return NULL;
    const char *v = line + nl + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    return ad_strndup(v, (size_t)(end - v));
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct ad_http_response *r = ud;
    size_t n = size * nmemb;
    char *v;
    if (n > 8192)
        return n;
    if ((v = header_value(ptr, n, "Location"))) {
        free(r->location);
        r->location = v;
    } else if ((v = header_value(ptr, n, "Replay-Nonce"))) {
        free(r->nonce);
        r->nonce = v;
    } else if ((v = header_value(ptr, n, "Content-Type"))) {
        free(r->content_type);
        r->content_type = v;
    } else if ((v = header_value(ptr, n, "Retry-After"))) {
        char *end;
        long secs = strtol(v, &end, 10);
        if (end != v && *end == '\0' && secs >= 0) {
            r->retry_after = secs;
        } else {
            time_t t = curl_getdate(v, NULL);
            if (t > 0) {
                long d = (long)(t - time(NULL));
                r->retry_after = d > 0 ? d : 0;
            }
        }
        free(v);
    }
    return n;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)ud, (void)a, (void)b, (void)c, (void)d;
    return ad_is_interrupted() ? 1 : 0;
}

ad_status ad_http_new(const char *ca_bundle, struct ad_http **out)
{
    ad_status rc = AD_ERR_NOMEM;
    struct ad_http *h = calloc(1, sizeof *h);
    if (!h)
        goto out;
    if (!(h->curl = curl_easy_init()))
        goto out;
    if (ca_bundle && !(h->ca_bundle = strdup(ca_bundle)))
        goto out;
    *out = h;
    h = NULL;
    rc = AD_OK;
out:
    ad_http_free(h);
    return rc;
}

void ad_http_free(struct ad_http *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    free(h->ca_bundle);
    free(h);
}

unsigned long ad_http_count(const struct ad_http *h)
{
    return h->count;
}

void ad_http_response_clear(struct ad_http_response *r)
{
    free(r->body);
    free(r->location);
    free(r->nonce);
    free(r->content_type);
    memset(r, 0, sizeof *r);
    r->retry_after = -1;
}

#define SETOPT(opt, val)                                      \
    do {                                                      \
        if (curl_easy_setopt(c, opt, val) != CURLE_OK) {      \
            ad_err("cannot set HTTP option %s", #opt);        \
            rc = AD_ERR_INTERNAL;                             \
            goto out;                                         \
        }                                                     \
    } while (0)

ad_status ad_http_request(struct ad_http *h, const char *method, const char *url, const char *ctype,
                          const char *body, const char *accept, struct ad_http_response *resp)
{
    ad_status rc = AD_ERR_NETWORK;
    CURL *c = h->curl;
    struct curl_slist *hdrs = NULL;
    struct sink sink = {resp, 0, 0};
    char hbuf[256];

    memset(resp, 0, sizeof *resp);
    resp->retry_after = -1;
    if (strncmp(url, "https://", 8) != 0) {
        ad_err("refusing to talk to %s: the ACME server must be an https:// URL", url);
        return AD_ERR_USAGE;
    }
    curl_easy_reset(c);
    h->errbuf[0] = '\0';
    SETOPT(CURLOPT_URL, url);
    SETOPT(CURLOPT_PROTOCOLS_STR, "https");
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_ERRORBUFFER, h->errbuf);
    SETOPT(CURLOPT_USERAGENT, "acme-dns/" AD_VERSION);
    SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->ca_bundle)
        SETOPT(CURLOPT_CAINFO, h->ca_bundle);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    SETOPT(CURLOPT_TIMEOUT_MS, 60000L);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, &sink);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, resp);
    SETOPT(CURLOPT_NOPROGRESS, 0L);
    SETOPT(CURLOPT_XFERINFOFUNCTION, on_progress);
    SETOPT(CURLOPT_ACCEPT_ENCODING, "");
    SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
    snprintf(hbuf, sizeof hbuf, "Accept: %s", accept ? accept : "application/json");
    if (!(hdrs = curl_slist_append(hdrs, hbuf))) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    if (strcmp(method, "POST") == 0) {
        snprintf(hbuf, sizeof hbuf, "Content-Type: %s", ctype ? ctype : "application/jose+json");
        struct curl_slist *t = curl_slist_append(hdrs, hbuf);
        if (!t) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
        hdrs = t;
        SETOPT(CURLOPT_POSTFIELDS, body ? body : "");
    } else if (strcmp(method, "HEAD") == 0) {
        SETOPT(CURLOPT_NOBODY, 1L);
    }
    SETOPT(CURLOPT_HTTPHEADER, hdrs);

    ad_debug("HTTP %s %s", method, url);
    h->count++;
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        if (ad_is_interrupted())
            rc = AD_ERR_INTERRUPTED;
        else if (sink.overflow)
            ad_err("%s %s: response larger than %u bytes: refusing it", method, url, AD_HTTP_BODY_MAX);
        else if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
                 cc == CURLE_SSL_CONNECT_ERROR)
            ad_err("TLS with %s failed: %s: check --ca-bundle (the CA's HTTPS certificate must be trusted)",
                   url, h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc));
        else
            ad_err("%s %s failed: %s: check --server and the network", method, url,
                   h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    if (!resp->body && !(resp->body = calloc(1, 1))) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    ad_debug("HTTP %ld (%zu bytes)", resp->status, resp->len);
    rc = AD_OK;
out:
    curl_slist_free_all(hdrs);
    if (rc != AD_OK)
        ad_http_response_clear(resp);
    return rc;
}
