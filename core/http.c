#include "http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "util.h"

/* Every request goes through one multi handle, so that all of them share
 * its connection cache: one kept-alive connection, multiplexed with HTTP/2
 * when the server offers it. */
struct ad_http {
    CURLM *multi;
    CURL *easy[AD_HTTP_PARALLEL];
    char *ca_bundle;
    unsigned long count;
};

struct slot {
    struct ad_http_req *req;
    struct curl_slist *hdrs;
    size_t cap;
    int overflow;
    char errbuf[CURL_ERROR_SIZE];
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct slot *s = ud;
    size_t n = size * nmemb;
    struct ad_http_response *r = &s->req->resp;
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
    struct ad_http_response *r = &((struct slot *)ud)->req->resp;
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
    if (!h || !(h->multi = curl_multi_init()))
        goto out;
    for (size_t i = 0; i < AD_HTTP_PARALLEL; i++)
        if (!(h->easy[i] = curl_easy_init()))
            goto out;
    if (ca_bundle && !(h->ca_bundle = strdup(ca_bundle)))
        goto out;
    if (curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX) != CURLM_OK ||
        curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 4L) != CURLM_OK) {
        rc = AD_ERR_INTERNAL;
        goto out;
    }
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
    for (size_t i = 0; i < AD_HTTP_PARALLEL; i++)
        if (h->easy[i])
            curl_easy_cleanup(h->easy[i]);
    if (h->multi)
        curl_multi_cleanup(h->multi);
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
            return AD_ERR_INTERNAL;                           \
        }                                                     \
    } while (0)

/* Prepare easy handle C for the request of slot S. */
static ad_status setup(struct ad_http *h, CURL *c, struct slot *s)
{
    struct ad_http_req *q = s->req;
    char hbuf[256];
    curl_easy_reset(c);
    SETOPT(CURLOPT_URL, q->url);
    SETOPT(CURLOPT_PROTOCOLS_STR, "https");
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_ERRORBUFFER, s->errbuf);
    SETOPT(CURLOPT_USERAGENT, "acme-dns/" AD_VERSION);
    SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->ca_bundle)
        SETOPT(CURLOPT_CAINFO, h->ca_bundle);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    SETOPT(CURLOPT_TIMEOUT_MS, 60000L);
    SETOPT(CURLOPT_PIPEWAIT, 1L);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, s);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, s);
    SETOPT(CURLOPT_NOPROGRESS, 0L);
    SETOPT(CURLOPT_XFERINFOFUNCTION, on_progress);
    SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
    SETOPT(CURLOPT_PRIVATE, s);
    snprintf(hbuf, sizeof hbuf, "Accept: %s", q->accept ? q->accept : "application/json");
    if (!(s->hdrs = curl_slist_append(NULL, hbuf)))
        return AD_ERR_NOMEM;
    if (strcmp(q->method, "POST") == 0) {
        snprintf(hbuf, sizeof hbuf, "Content-Type: %s", q->ctype ? q->ctype : "application/jose+json");
        struct curl_slist *t = curl_slist_append(s->hdrs, hbuf);
        if (!t)
            return AD_ERR_NOMEM;
        s->hdrs = t;
        SETOPT(CURLOPT_POSTFIELDS, q->body ? q->body : "");
    } else if (strcmp(q->method, "HEAD") == 0) {
        SETOPT(CURLOPT_NOBODY, 1L);
    }
    SETOPT(CURLOPT_HTTPHEADER, s->hdrs);
    return AD_OK;
}

/* The outcome of a finished transfer. */
static void finish(struct slot *s, CURL *c, CURLcode cc)
{
    struct ad_http_req *q = s->req;
    struct ad_http_response *r = &q->resp;
    q->rc = AD_ERR_NETWORK;
    if (cc != CURLE_OK) {
        const char *why = s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc);
        if (ad_is_interrupted())
            q->rc = AD_ERR_INTERRUPTED;
        else if (s->overflow)
            ad_err("%s %s: response larger than %u bytes: refusing it", q->method, q->url, AD_HTTP_BODY_MAX);
        else if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
                 cc == CURLE_SSL_CONNECT_ERROR)
            ad_err("TLS with %s failed: %s: check --ca-bundle (the CA's HTTPS certificate must be trusted)", q->url,
                   why);
        else
            ad_err("%s %s failed: %s: check --server and the network", q->method, q->url, why);
        ad_http_response_clear(r);
        return;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (!r->body && !(r->body = calloc(1, 1))) {
        q->rc = AD_ERR_NOMEM;
        ad_http_response_clear(r);
        return;
    }
    ad_debug("HTTP %ld (%zu bytes) for %s %s", r->status, r->len, q->method, q->url);
    q->rc = AD_OK;
}

ad_status ad_http_batch(struct ad_http *h, struct ad_http_req *reqs, size_t n)
{
    struct slot slots[AD_HTTP_PARALLEL];
    CURL *busy[AD_HTTP_PARALLEL] = {0};
    size_t next = 0, running = 0;
    ad_status rc = AD_OK;

    memset(slots, 0, sizeof slots);
    for (size_t i = 0; i < n; i++) {
        memset(&reqs[i].resp, 0, sizeof reqs[i].resp);
        reqs[i].resp.retry_after = -1;
        reqs[i].rc = AD_ERR_INTERNAL;
        if (strncmp(reqs[i].url, "https://", 8) != 0) {
            ad_err("refusing to talk to %s: the ACME server must be an https:// URL", reqs[i].url);
            reqs[i].rc = AD_ERR_USAGE;
        }
    }
    while (next < n || running) {
        /* Fill free handles with waiting requests. */
        for (size_t k = 0; k < AD_HTTP_PARALLEL && next < n && rc == AD_OK; k++) {
            if (busy[k])
                continue;
            while (next < n && reqs[next].rc == AD_ERR_USAGE)
                next++;
            if (next >= n)
                break;
            struct slot *s = &slots[k];
            memset(s, 0, sizeof *s);
            s->req = &reqs[next++];
            ad_status st = setup(h, h->easy[k], s);
            if (st != AD_OK || curl_multi_add_handle(h->multi, h->easy[k]) != CURLM_OK) {
                curl_slist_free_all(s->hdrs);
                s->hdrs = NULL;
                s->req->rc = st != AD_OK ? st : AD_ERR_INTERNAL;
                continue;
            }
            ad_debug("HTTP %s %s", s->req->method, s->req->url);
            h->count++;
            busy[k] = h->easy[k];
            running++;
        }
        if (!running)
            break;
        int still;
        if (curl_multi_perform(h->multi, &still) != CURLM_OK) {
            rc = AD_ERR_INTERNAL;
            break;
        }
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(h->multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            for (size_t k = 0; k < AD_HTTP_PARALLEL; k++) {
                if (busy[k] != m->easy_handle)
                    continue;
                finish(&slots[k], busy[k], m->data.result);
                curl_multi_remove_handle(h->multi, busy[k]);
                curl_slist_free_all(slots[k].hdrs);
                slots[k].hdrs = NULL;
                busy[k] = NULL;
                running--;
            }
        }
        if (running && (next >= n || rc != AD_OK)) {
            if (curl_multi_poll(h->multi, NULL, 0, 100, NULL) != CURLM_OK) {
                rc = AD_ERR_INTERNAL;
                break;
            }
        } else if (running) {
            curl_multi_poll(h->multi, NULL, 0, 0, NULL);
        }
        if (ad_is_interrupted() && rc == AD_OK)
            rc = AD_ERR_INTERRUPTED;
        if (rc != AD_OK)
            next = n; /* start nothing new; the progress callback ends the rest */
    }
    for (size_t k = 0; k < AD_HTTP_PARALLEL; k++) {
        if (!busy[k])
            continue;
        curl_multi_remove_handle(h->multi, busy[k]);
        curl_slist_free_all(slots[k].hdrs);
        slots[k].req->rc = AD_ERR_INTERRUPTED;
        ad_http_response_clear(&slots[k].req->resp);
    }
    return rc;
}

ad_status ad_http_request(struct ad_http *h, const char *method, const char *url, const char *ctype,
                          const char *body, const char *accept, struct ad_http_response *resp)
{
    struct ad_http_req q = {method, url, ctype, body, accept, {0}, AD_OK};
    ad_status rc = ad_http_batch(h, &q, 1);
    if (rc == AD_OK)
        rc = q.rc;
    *resp = q.resp;
    if (rc != AD_OK)
        ad_http_response_clear(resp);
    return rc;
}
