/* HTTPS to the CA: one kept-alive connection per handle (HTTP/2 streams
 * when the server offers h2, HTTP/1.1 otherwise), bounded bodies, bounded
 * waits, interrupts honoured. */
#include "http.h"

#include <stdlib.h>
#include <string.h>

#include "http_internal.h"
#include "log.h"
#include "util.h"

struct ad_http {
    char *ca_bundle;
    struct ad_http_tls *tls;   /* made at the first connection */
    struct ad_conn *conn;      /* the kept-alive connection, or NULL */
    struct ad_http_limits lim;
    unsigned long count, connects;
    unsigned maxflight;
};

ad_status ad_http_new(const char *ca_bundle, struct ad_http **out)
{
    struct ad_http *h = calloc(1, sizeof *h);
    if (!h || (ca_bundle && !(h->ca_bundle = strdup(ca_bundle)))) {
        free(h);
        return AD_ERR_NOMEM;
    }
    h->lim.connect_ms = 10000;
    h->lim.request_ms = 60000;
    *out = h;
    return AD_OK;
}

void ad_http_free(struct ad_http *h)
{
    if (!h)
        return;
    ad_conn_close(h->conn);
    ad_http_tls_free(h->tls);
    free(h->ca_bundle);
    free(h);
}

unsigned long ad_http_count(const struct ad_http *h)
{
    return h->count;
}

void ad_http_set_timeouts(struct ad_http *h, unsigned connect_ms, unsigned request_ms)
{
    h->lim.connect_ms = connect_ms;
    h->lim.request_ms = request_ms;
}

unsigned long ad_http_connects(const struct ad_http *h)
{
    return h->connects;
}

unsigned ad_http_max_inflight(const struct ad_http *h)
{
    return h->maxflight;
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

static void close_conn(struct ad_http *h)
{
    ad_conn_close(h->conn);
    h->conn = NULL;
}

/* A connection to J's origin, reusing the kept-alive one when it still
 * works.  False with J failed. */
static bool ensure_conn(struct ad_http *h, struct ad_http_job *j)
{
    if (h->conn && strcmp(h->conn->origin, j->url.origin) != 0) {
        ad_debug("closing the connection to %s for %s", h->conn->origin, j->url.origin);
        close_conn(h);
    } else if (h->conn && !ad_conn_idle_ok(h->conn)) {
        ad_debug("the connection to %s is closed; reconnecting", h->conn->origin);
        close_conn(h);
    }
    if (h->conn)
        return true;
    h->conn = ad_conn_open(&h->tls, h->ca_bundle, &h->lim, &j->url, j);
    if (!h->conn)
        return false;
    h->connects++;
    return true;
}

/* Make J ready to run again. */
static void job_reset(struct ad_http_job *j)
{
    ad_http_response_clear(&j->req->resp);
    j->cap = j->sent = j->head_bytes = 0;
    j->deadline = 0;
    j->stream = 0;
    j->done = j->got_response = j->retryable = j->refused = j->interim = false;
    j->retried = true;
    j->fail = AD_HF_NONE;
    j->why[0] = '\0';
}

/* Set the request's rc from J and say what went wrong. */
static void finish(struct ad_http_job *j)
{
    struct ad_http_req *q = j->req;
    struct ad_http_response *r = &q->resp;
    if (q->rc == AD_ERR_USAGE)
        return;
    if (!j->done) {
        q->rc = AD_ERR_INTERRUPTED;
        ad_http_response_clear(r);
        return;
    }
    switch (j->fail) {
    case AD_HF_NONE:
        if (!r->body && !(r->body = calloc(1, 1))) {
            q->rc = AD_ERR_NOMEM;
            ad_http_response_clear(r);
            return;
        }
        ad_debug("HTTP %ld (%zu bytes) for %s %s", r->status, r->len, q->method, q->url);
        q->rc = AD_OK;
        return;
    case AD_HF_INTR:
        q->rc = AD_ERR_INTERRUPTED;
        break;
    case AD_HF_NOMEM:
        q->rc = AD_ERR_NOMEM;
        break;
    case AD_HF_BIG:
        q->rc = AD_ERR_NETWORK;
        ad_err("%s %s: response larger than %u bytes: refusing it", q->method, q->url, AD_HTTP_BODY_MAX);
        break;
    case AD_HF_TLS:
        q->rc = AD_ERR_NETWORK;
        ad_err("TLS with %s failed: %s: check --ca-bundle (the CA's HTTPS certificate must be trusted)", q->url,
               j->why);
        break;
    case AD_HF_NET:
        q->rc = AD_ERR_NETWORK;
        ad_err("%s %s failed: %s: check --server and the network", q->method, q->url, j->why);
        break;
    }
    ad_http_response_clear(r);
}

/* Run the pending jobs of GROUP (one origin) on H's connection. */
static void run_group(struct ad_http *h, struct ad_http_job **group, size_t g)
{
    struct ad_http_job *first = group[0];
    for (size_t k = 0; k < g; k++) {
        if (group[k]->started)
            continue;
        group[k]->started = true;
        h->count++;
        ad_debug("HTTP %s %s", group[k]->req->method, group[k]->req->url);
    }
    if (!first->deadline)
        first->deadline = ad_now_ms() + h->lim.request_ms;
    if (!ensure_conn(h, first)) {
        for (size_t k = 0; k < g; k++) {
            struct ad_http_job *j = group[k];
            if (j != first)
                ad_http_job_fail(j, first->fail, "%s", first->why);
            j->done = true;
        }
        return;
    }
    struct ad_conn *c = h->conn;
    bool reused = c->uses > 0;
    if (c->h2) {
        size_t ended = 0;
        ad_http2_run(c, group, g, &h->lim, &h->maxflight);
        for (size_t k = 0; k < g; k++) {
            ended += group[k]->done;
            if (group[k]->done && group[k]->fail == AD_HF_NONE)
                c->uses++;
        }
        if (!ended && !ad_is_interrupted()) {
            /* The server took none of them: a new connection, once. */
            c->must_close = true;
            for (size_t k = 0; k < g && !reused; k++) {
                ad_http_job_fail(group[k], AD_HF_NET, "the server accepts no HTTP/2 requests");
                group[k]->done = true;
            }
        }
    } else {
        g = 1; /* HTTP/1.1: one request at a time, no pipelining */
        ad_http1_exchange(c, first);
        first->done = true;
        if (!h->maxflight)
            h->maxflight = 1;
    }
    for (size_t k = 0; k < g; k++) {
        struct ad_http_job *j = group[k];
        bool refused = j->refused;
        if (j->done && j->fail == AD_HF_NET && !j->retried && (refused || (j->retryable && reused))) {
            ad_debug("%s %s: %s; trying again%s", j->req->method, j->req->url, j->why,
                     refused ? "" : " on a new connection");
            job_reset(j);
            if (!refused)
                c->must_close = true;
        }
    }
    if (c->must_close)
        close_conn(h);
}

ad_status ad_http_batch(struct ad_http *h, struct ad_http_req *reqs, size_t n)
{
    ad_status rc = AD_OK;
    struct ad_http_job *jobs = calloc(n ? n : 1, sizeof *jobs);
    struct ad_http_job **group = calloc(n ? n : 1, sizeof *group);
    for (size_t i = 0; i < n; i++) {
        struct ad_http_job *j = &jobs[i];
        memset(&reqs[i].resp, 0, sizeof reqs[i].resp);
        reqs[i].resp.retry_after = -1;
        reqs[i].rc = AD_ERR_INTERNAL;
        if (strncmp(reqs[i].url, "https://", 8) != 0) {
            ad_err("refusing to talk to %s: the ACME server must be an https:// URL", reqs[i].url);
            reqs[i].rc = AD_ERR_USAGE;
        }
        if (!jobs || !group) {
            if (reqs[i].rc != AD_ERR_USAGE)
                reqs[i].rc = AD_ERR_NOMEM;
            continue;
        }
        j->req = &reqs[i];
        j->timeout_ms = h->lim.request_ms;
        const char *why;
        if (reqs[i].rc == AD_ERR_USAGE) {
            j->done = true;
        } else if (!ad_url_parse(reqs[i].url, &j->url, &why)) {
            ad_http_job_fail(j, AD_HF_NET, "malformed URL (%s)", why);
            j->started = j->done = true;
            h->count++;
        }
    }
    if (!jobs || !group) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    for (;;) {
        if (ad_is_interrupted()) {
            rc = AD_ERR_INTERRUPTED;
            close_conn(h); /* its state is unknown */
            break;
        }
        size_t g = 0;
        for (size_t i = 0; i < n; i++)
            if (!jobs[i].done && (!g || strcmp(jobs[i].url.origin, group[0]->url.origin) == 0))
                group[g++] = &jobs[i];
        if (!g)
            break;
        run_group(h, group, g);
    }
    for (size_t i = 0; i < n; i++) {
        finish(&jobs[i]);
        if (reqs[i].rc == AD_ERR_INTERRUPTED)
            rc = AD_ERR_INTERRUPTED;
    }
out:
    for (size_t i = 0; jobs && i < n; i++)
        ad_url_clear(&jobs[i].url);
    free(jobs);
    free(group);
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
