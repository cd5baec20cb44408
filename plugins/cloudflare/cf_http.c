#include "cf_http.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cf_util.h"
#include "clock.h"
#include "curl_util.h"

#define CF_LOG(h, lvl, ...) (h)->host->log((h)->host->ctx, (lvl), __VA_ARGS__)

struct ad_cf_http {
    const struct ad_host *host;  /* borrowed */
    char *api;
    char *ca_bundle;
    char *user_agent;
    struct curl_slist *headers;  /* owned; holds credentials */
    CURLM *multi;                /* owned; its connection cache lives for the whole run */
    unsigned seed;
    bool degraded;  /* a request already ran out of retries: retry less from now on */
};

enum req_state { REQ_WAITING = 0, REQ_FLIGHT, REQ_DONE };

struct req_priv {
    CURL *easy;
    struct ad_body body;  /* capped at AD_CF_MAX_BODY */
    long retry_after;  /* seconds, -1 when absent */
    unsigned attempts;
    uint64_t not_before;
    uint64_t started;
    enum req_state state;
};

/* True once the user asked acme-dns to stop (host service, ABI 1.0). */
static bool interrupted(const struct ad_cf_http *h)
{
    return h->host && h->host->struct_size >= sizeof(struct ad_host) && h->host->interrupted &&
           h->host->interrupted(h->host->ctx);
}

ad_status ad_cf_http_new(const struct ad_cf_http_cfg *cfg, struct ad_cf_http **out)
{
    ad_status rc = AD_ERR_NOMEM;
    struct ad_cf_http *h = calloc(1, sizeof(*h));
    if (!h) {
        curl_slist_free_all(cfg->headers);
        return AD_ERR_NOMEM;
    }
    h->host = cfg->host;
    h->headers = cfg->headers;
    h->api = strdup(cfg->api);
    h->user_agent = strdup(cfg->user_agent);
    h->ca_bundle = cfg->ca_bundle ? strdup(cfg->ca_bundle) : NULL;
    if (!h->api || !h->user_agent || (cfg->ca_bundle && !h->ca_bundle))
        goto out;
    h->multi = curl_multi_init();
    if (!h->multi)
        goto out;
    if (curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)AD_CF_MAX_INFLIGHT) != CURLM_OK) {
        rc = AD_ERR_INTERNAL;
        goto out;
    }
    h->seed = (unsigned)ad_now_ms();
    *out = h;
    h = NULL;
    rc = AD_OK;
out:
    ad_cf_http_free(h);
    return rc;
}

void ad_cf_http_free(struct ad_cf_http *h)
{
    if (!h)
        return;
    if (h->multi)
        curl_multi_cleanup(h->multi);
    for (struct curl_slist *s = h->headers; s; s = s->next)
        explicit_bzero(s->data, strlen(s->data));
    curl_slist_free_all(h->headers);
    free(h->api);
    free(h->ca_bundle);
    free(h->user_agent);
    free(h);
}

struct ad_cf_req *ad_cf_req_new(const char *method, char *url, char *body)
{
    struct ad_cf_req *r = calloc(1, sizeof(*r));
    struct req_priv *p = calloc(1, sizeof(*p));
    if (!r || !p || !url) {
        free(r);
        free(p);
        free(url);
        free(body);
        return NULL;
    }
    r->method = method;
    r->url = url;
    r->body = body;
    r->priv = p;
    p->body.max = AD_CF_MAX_BODY;
    return r;
}

void ad_cf_req_free(struct ad_cf_req *r)
{
    if (!r)
        return;
    struct req_priv *p = r->priv;
    if (p) {
        if (p->easy)
            curl_easy_cleanup(p->easy);
        ad_body_clear(&p->body);
        free(p);
    }
    if (r->json)
        json_object_put(r->json);
    free(r->url);
    free(r->body);
    free(r);
}

/* Retry-After of the answer E just gave, in seconds; -1 when absent. */
static long retry_after(CURL *e)
{
    struct curl_header *hh;
    if (curl_easy_header(e, "Retry-After", 0, CURLH_HEADER, -1, &hh) != CURLHE_OK)
        return -1;
    return ad_retry_after_secs(hh->value, time(NULL));
}

/* Path of a request's URL below the API base, for log lines. */
static const char *short_url(const struct ad_cf_http *h, const struct ad_cf_req *r)
{
    size_t n = strlen(h->api);
    return strncmp(r->url, h->api, n) == 0 && r->url[n] ? r->url + n : r->url;
}

static bool setup_easy(struct ad_cf_http *h, struct ad_cf_req *r)
{
    struct req_priv *p = r->priv;
    if (!p->easy)
        p->easy = curl_easy_init();
    CURL *e = p->easy;
    if (!e)
        return false;
#define SET(opt, val)                                   \
    do {                                                \
        if (curl_easy_setopt(e, opt, val) != CURLE_OK)  \
            return false;                               \
    } while (0)
    SET(CURLOPT_URL, r->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->ca_bundle)
        SET(CURLOPT_CAINFO, h->ca_bundle);
    SET(CURLOPT_USERAGENT, h->user_agent);
    SET(CURLOPT_HTTPHEADER, r->headers ? r->headers : h->headers);
    SET(CURLOPT_WRITEFUNCTION, ad_body_write);
    SET(CURLOPT_WRITEDATA, (void *)&p->body);
    SET(CURLOPT_PRIVATE, (void *)r);
    SET(CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    SET(CURLOPT_TIMEOUT_MS, 30000L);
    SET(CURLOPT_PIPEWAIT, 1L);
    if (strcmp(r->method, "POST") == 0) {
        SET(CURLOPT_POSTFIELDSIZE, (long)(r->body ? strlen(r->body) : 0));
        SET(CURLOPT_POSTFIELDS, r->body ? r->body : "");
    } else if (strcmp(r->method, "DELETE") == 0) {
        SET(CURLOPT_CUSTOMREQUEST, "DELETE");
    } else {
        SET(CURLOPT_HTTPGET, 1L);
    }
#undef SET
    return true;
}

static void req_fail(struct ad_cf_req *r, const char *fmt, ...) AD_PRINTF(2, 3);
static void req_fail(struct ad_cf_req *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof(r->err), fmt, ap);
    va_end(ap);
    r->failed = true;
}

/* What may pass when tried again: besides ad_curl_transient's, a timeout or
 * a TLS handshake that failed (one API call is short; the run's deadline
 * bounds the tries). */
static bool transport_retryable(CURLcode c)
{
    return ad_curl_transient(c) || c == CURLE_OPERATION_TIMEDOUT || c == CURLE_SSL_CONNECT_ERROR;
}

static void schedule(struct ad_cf_http *h, struct req_priv *p, uint64_t delay_ms)
{
    p->not_before = ad_now_ms() + delay_ms;
    p->state = REQ_WAITING;
    ad_body_clear(&p->body);
    p->retry_after = -1;
    (void)h;
}

/* Tries allowed per request: fewer once the API has failed persistently, so
 * that cleanup after such a failure does not wait as long again. */
static unsigned max_attempts(const struct ad_cf_http *h)
{
    return h->degraded ? 2 : AD_CF_MAX_ATTEMPTS;
}

/* A transfer ended with RC.  Returns true when it is scheduled again. */
static bool finish(struct ad_cf_http *h, struct ad_cf_req *r, CURLcode rc)
{
    struct req_priv *p = r->priv;
    const unsigned maxa = max_attempts(h);
    const char *path = short_url(h, r);
    p->attempts++;
    h->seed = h->seed * 1103515245u + 12345u;
    unsigned jitter = (h->seed >> 16) % 1000u;

    if (rc != CURLE_OK) {
        if (p->body.too_big) {
            req_fail(r, "%s %s: the response is larger than %u bytes; is api-url a Cloudflare API?",
                     r->method, path, AD_CF_MAX_BODY);
            return false;
        }
        if (transport_retryable(rc) && p->attempts < maxa) {
            uint64_t d = ad_cf_backoff_ms(p->attempts, jitter);
            CF_LOG(h, AD_LOG_INFO, "%s %s: %s; retrying in %llu ms (attempt %u of %u)", r->method,
                   path, curl_easy_strerror(rc), (unsigned long long)d, p->attempts + 1, maxa);
            schedule(h, p, d);
            return true;
        }
        const char *hint = "";
        if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
            hint = "; the server's TLS certificate is not trusted: give the issuing CA with "
                   "--provider-opt ca-bundle=FILE";
        else if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT)
            hint = "; check api-url and the network";
        else if (rc == CURLE_UNSUPPORTED_PROTOCOL)
            hint = "; only https:// (or http:// on loopback) is allowed";
        if (transport_retryable(rc))
            h->degraded = true;
        req_fail(r, "%s %s failed after %u attempt%s: %s%s", r->method, path, p->attempts,
                 p->attempts == 1 ? "" : "s", curl_easy_strerror(rc), hint);
        return false;
    }

    long code = 0;
    curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &code);
    r->http = code;
    p->retry_after = retry_after(p->easy);
    CF_LOG(h, AD_LOG_DEBUG, "%s %s -> HTTP %ld (%llu ms, %zu bytes)", r->method, path, code,
           (unsigned long long)(ad_now_ms() - p->started), p->body.len);

    if (code == 429) {
        long ra = p->retry_after;
        if (ra > AD_CF_RETRY_AFTER_MAX) {
            req_fail(r, "%s %s: rate limited by Cloudflare (HTTP 429) with Retry-After %ld s "
                        "(more than %d s): try again later",
                     r->method, path, ra, AD_CF_RETRY_AFTER_MAX);
            return false;
        }
        if (p->attempts < maxa) {
            uint64_t d = ra >= 0 ? (uint64_t)ra * 1000u : ad_cf_backoff_ms(p->attempts, jitter);
            CF_LOG(h, AD_LOG_WARN, "%s %s: rate limited by Cloudflare (HTTP 429); waiting %llu ms%s",
                   r->method, path, (unsigned long long)d, ra >= 0 ? " as Retry-After asks" : "");
            schedule(h, p, d);
            return true;
        }
        h->degraded = true;
        req_fail(r, "%s %s: still rate limited by Cloudflare (HTTP 429) after %u attempts: "
                    "try again later",
                 r->method, path, p->attempts);
        return false;
    }
    if (code >= 500) {
        if (p->attempts < maxa) {
            uint64_t d = ad_cf_backoff_ms(p->attempts, jitter);
            if (p->retry_after >= 0 && p->retry_after <= AD_CF_RETRY_AFTER_MAX)
                d = (uint64_t)p->retry_after * 1000u;
            CF_LOG(h, AD_LOG_INFO, "%s %s: HTTP %ld from the Cloudflare API; retrying in %llu ms "
                                   "(attempt %u of %u)",
                   r->method, path, code, (unsigned long long)d, p->attempts + 1, maxa);
            schedule(h, p, d);
            return true;
        }
        h->degraded = true;
        req_fail(r, "%s %s: the Cloudflare API answered HTTP %ld %u times in a row; it may be "
                    "having trouble (see https://www.cloudflarestatus.com): try again later",
                 r->method, path, code, p->attempts);
        return false;
    }

    if (p->body.len == 0) {
        req_fail(r, "%s %s: empty response (HTTP %ld); is api-url a Cloudflare API?", r->method,
                 path, code);
        return false;
    }
    struct json_object *j = ad_cf_envelope_parse(p->body.data, p->body.len);
    if (!j) {
        req_fail(r, "%s %s: malformed response (HTTP %ld): not a Cloudflare API JSON envelope; "
                    "is api-url right?",
                 r->method, path, code);
        return false;
    }
    r->json = j;
    return false;
}

void ad_cf_http_run(struct ad_cf_http *h, struct ad_cf_req *const *reqs, size_t n)
{
    size_t done = 0, inflight = 0;
    for (size_t i = 0; i < n; i++) {
        struct req_priv *p = reqs[i]->priv;
        p->state = REQ_WAITING;
        p->attempts = 0;
        p->not_before = 0;
        p->retry_after = -1;
        reqs[i]->failed = false;
        reqs[i]->err[0] = '\0';
        if (reqs[i]->json) {
            json_object_put(reqs[i]->json);
            reqs[i]->json = NULL;
        }
    }
    while (done < n) {
        uint64_t now = ad_now_ms();
        uint64_t wake = UINT64_MAX;
        for (size_t i = 0; i < n && inflight < AD_CF_MAX_INFLIGHT; i++) {
            struct ad_cf_req *r = reqs[i];
            struct req_priv *p = r->priv;
            if (p->state != REQ_WAITING)
                continue;
            if (p->not_before > now) {
                if (p->not_before < wake)
                    wake = p->not_before;
                continue;
            }
            ad_body_clear(&p->body);
            p->retry_after = -1;
            p->started = now;
            if (!setup_easy(h, r) || curl_multi_add_handle(h->multi, p->easy) != CURLM_OK) {
                req_fail(r, "%s %s: could not set up the HTTP request", r->method, short_url(h, r));
                p->state = REQ_DONE;
                done++;
                continue;
            }
            p->state = REQ_FLIGHT;
            inflight++;
        }
        if (done == n)
            break;
        int running = 0;
        if (curl_multi_perform(h->multi, &running) != CURLM_OK)
            break;
        CURLMsg *m;
        int q;
        while ((m = curl_multi_info_read(h->multi, &q))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            struct ad_cf_req *r = NULL;
            CURL *e = m->easy_handle;
            CURLcode res = m->data.result;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
            curl_multi_remove_handle(h->multi, e);
            inflight--;
            if (!r)
                continue;
            if (!finish(h, r, res)) {
                ((struct req_priv *)r->priv)->state = REQ_DONE;
                done++;
            }
        }
        if (done == n)
            break;
        if (interrupted(h))
            break;
        int timeout = 100; /* wake at least this often to notice an interrupt */
        now = ad_now_ms();
        if (wake != UINT64_MAX) {
            uint64_t d = wake > now ? wake - now : 0;
            if (d < (uint64_t)timeout)
                timeout = (int)d;
        }
        for (size_t i = 0; i < n; i++) {
            struct req_priv *p = reqs[i]->priv;
            if (p->state == REQ_WAITING && inflight < AD_CF_MAX_INFLIGHT) {
                uint64_t d = p->not_before > now ? p->not_before - now : 0;
                if (d < (uint64_t)timeout)
                    timeout = (int)d;
            }
        }
        if (timeout > 0 && curl_multi_poll(h->multi, NULL, 0, timeout, NULL) != CURLM_OK)
            break;
    }
    /* Anything still open after an interrupt or a multi error ends as a failure. */
    bool stop = interrupted(h);
    for (size_t i = 0; i < n; i++) {
        struct req_priv *p = reqs[i]->priv;
        if (p->state == REQ_FLIGHT)
            curl_multi_remove_handle(h->multi, p->easy);
        if (p->state != REQ_DONE) {
            req_fail(reqs[i], "%s %s: %s", reqs[i]->method, short_url(h, reqs[i]),
                     stop ? "interrupted" : "internal HTTP engine error");
            p->state = REQ_DONE;
        }
    }
}
