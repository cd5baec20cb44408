/* HTTP/2 with libnghttp2: concurrent requests as streams of one connection. */
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"
#include "log.h"
#include "util.h"

struct ad_http_h2 {
    nghttp2_session *s;
    uint8_t *wbuf;            /* frames nghttp2 produced, not yet written */
    size_t woff, wlen, wcap;
    bool got_settings;        /* the server's SETTINGS arrived */
    bool goaway;
    uint32_t goaway_code;
    bool read_wants_write;    /* TLS needs to write before it can read */
    char why[240];            /* why the connection failed */
};

void ad_http2_free(struct ad_http_h2 *h)
{
    if (!h)
        return;
    nghttp2_session_del(h->s);
    free(h->wbuf);
    free(h);
}

static struct ad_http_job *job_of(nghttp2_session *s, int32_t id)
{
    return nghttp2_session_get_stream_user_data(s, id);
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nl,
                     const uint8_t *value, size_t vl, uint8_t flags, void *ud)
{
    (void)flags, (void)ud;
    struct ad_http_job *j = f->hd.type == NGHTTP2_HEADERS ? job_of(s, f->hd.stream_id) : NULL;
    if (!j || j->fail)
        return 0;
    j->got_response = true;
    j->head_bytes += nl + vl + 32;
    if (j->head_bytes > AD_HTTP_HEAD_MAX) {
        ad_http_job_fail(j, AD_HF_NET, "response header longer than %u bytes", AD_HTTP_HEAD_MAX);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    if (nl == 7 && memcmp(name, ":status", 7) == 0) {
        long st = 0;
        for (size_t i = 0; i < vl && i < 3; i++)
            st = st * 10 + (value[i] - '0');
        j->interim = st < 200;
        if (!j->interim)
            j->req->resp.status = st;
        return 0;
    }
    if (j->interim)
        return 0;
    if (!ad_http_keep_header(&j->req->resp, (const char *)name, nl, (const char *)value, vl)) {
        ad_http_job_fail(j, AD_HF_NOMEM, "out of memory");
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *ud)
{
    (void)flags, (void)ud;
    struct ad_http_job *j = job_of(s, id);
    if (!j || j->fail)
        return 0;
    j->got_response = true;
    enum ad_body_rc b = ad_http_body_add(&j->req->resp, &j->cap, (const char *)data, len);
    if (b != AD_BODY_OK) {
        if (b == AD_BODY_BIG)
            ad_http_job_fail(j, AD_HF_BIG, "response too large");
        else
            ad_http_job_fail(j, AD_HF_NOMEM, "out of memory");
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    }
    return 0;
}

static int on_close(nghttp2_session *s, int32_t id, uint32_t code, void *ud)
{
    struct ad_http_h2 *h = ud;
    struct ad_http_job *j = job_of(s, id);
    if (!j)
        return 0;
    j->done = true;
    j->stream = 0;
    if (j->fail)
        return 0;
    if (code == NGHTTP2_REFUSED_STREAM) {
        j->refused = true;
        ad_http_job_fail(j, AD_HF_NET, "the server refused the request (HTTP/2 REFUSED_STREAM%s)",
                         h->goaway ? " after GOAWAY" : "");
    } else if (code != NGHTTP2_NO_ERROR) {
        ad_http_job_fail(j, AD_HF_NET, "the server reset the request (HTTP/2 %s)", nghttp2_http2_strerror(code));
    } else if (j->req->resp.status == 0) {
        ad_http_job_fail(j, AD_HF_NET, "the server ended the HTTP/2 stream without a response");
    }
    return 0;
}

static int on_frame(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
    (void)s;
    struct ad_http_h2 *h = ud;
    if (f->hd.type == NGHTTP2_SETTINGS && !(f->hd.flags & NGHTTP2_FLAG_ACK)) {
        h->got_settings = true;
    } else if (f->hd.type == NGHTTP2_GOAWAY) {
        h->goaway = true;
        h->goaway_code = f->goaway.error_code;
        ad_debug("HTTP/2 GOAWAY from the server (%s, last stream %d)", nghttp2_http2_strerror(f->goaway.error_code),
                 f->goaway.last_stream_id);
    }
    return 0;
}

bool ad_http2_start(struct ad_conn *c)
{
    nghttp2_session_callbacks *cb = NULL;
    nghttp2_option *opt = NULL;
    struct ad_http_h2 *h = calloc(1, sizeof *h);
    bool ok = false;
    if (!h || nghttp2_session_callbacks_new(&cb) != 0 || nghttp2_option_new(&opt) != 0)
        goto out;
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame);
    nghttp2_option_set_peer_max_concurrent_streams(opt, AD_HTTP_PARALLEL);
    if (nghttp2_session_client_new2(&h->s, cb, h, opt) != 0)
        goto out;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1u << 20},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, AD_HTTP_HEAD_MAX},
    };
    if (nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof *iv) != 0 ||
        nghttp2_session_set_local_window_size(h->s, NGHTTP2_FLAG_NONE, 0, 1 << 24) != 0)
        goto out;
    c->h2s = h;
    h = NULL;
    ok = true;
out:
    nghttp2_session_callbacks_del(cb);
    nghttp2_option_del(opt);
    ad_http2_free(h);
    return ok;
}

/* Move bytes both ways without waiting.  False when the connection is
 * unusable (H->why says why). */
static bool pump(struct ad_conn *c, struct ad_http_h2 *h)
{
    char why[200];
    uint8_t buf[16384];
    h->read_wants_write = false;
    for (;;) {
        size_t d;
        enum ad_io io = ad_conn_read(c, buf, sizeof buf, &d, why, sizeof why);
        if (io == AD_IO_OK) {
            ssize_t r = nghttp2_session_mem_recv(h->s, buf, d);
            if (r < 0) {
                snprintf(h->why, sizeof h->why, "HTTP/2 protocol error: %s", nghttp2_strerror((int)r));
                return false;
            }
            continue;
        }
        if (io == AD_IO_AGAIN_READ)
            break;
        if (io == AD_IO_AGAIN_WRITE) {
            h->read_wants_write = true;
            break;
        }
        if (io == AD_IO_EOF) {
            if (h->goaway)
                snprintf(h->why, sizeof h->why, "the server closed the connection (HTTP/2 GOAWAY, %s)",
                         nghttp2_http2_strerror(h->goaway_code));
            else
                snprintf(h->why, sizeof h->why, "the server closed the connection");
        } else {
            snprintf(h->why, sizeof h->why, "receiving from the server failed: %s", why);
        }
        return false;
    }
    for (;;) {
        if (h->woff == h->wlen) {
            h->woff = h->wlen = 0;
            while (h->wlen < 16384) {
                const uint8_t *data;
                ssize_t n = nghttp2_session_mem_send(h->s, &data);
                if (n < 0) {
                    snprintf(h->why, sizeof h->why, "HTTP/2 error: %s", nghttp2_strerror((int)n));
                    return false;
                }
                if (n == 0)
                    break;
                if (h->wlen + (size_t)n > h->wcap) {
                    size_t cap = h->wcap ? h->wcap : 16384;
                    while (cap < h->wlen + (size_t)n)
                        cap *= 2;
                    uint8_t *nb = realloc(h->wbuf, cap);
                    if (!nb) {
                        snprintf(h->why, sizeof h->why, "out of memory");
                        return false;
                    }
                    h->wbuf = nb;
                    h->wcap = cap;
                }
                memcpy(h->wbuf + h->wlen, data, (size_t)n);
                h->wlen += (size_t)n;
            }
            if (!h->wlen)
                break;
        }
        size_t d;
        enum ad_io io = ad_conn_write(c, h->wbuf + h->woff, h->wlen - h->woff, &d, why, sizeof why);
        if (io == AD_IO_OK) {
            h->woff += d;
            continue;
        }
        if (io == AD_IO_AGAIN_READ || io == AD_IO_AGAIN_WRITE)
            break;
        if (io == AD_IO_EOF)
            snprintf(h->why, sizeof h->why, "the server closed the connection");
        else
            snprintf(h->why, sizeof h->why, "sending to the server failed: %s", why);
        return false;
    }
    return true;
}

bool ad_http2_idle_ok(struct ad_conn *c)
{
    struct ad_http_h2 *h = c->h2s;
    if (!pump(c, h) || h->goaway)
        return false;
    return nghttp2_session_check_request_allowed(h->s) &&
           (nghttp2_session_want_read(h->s) || nghttp2_session_want_write(h->s));
}

static ssize_t body_read(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *ud)
{
    (void)s, (void)id, (void)ud;
    struct ad_http_job *j = src->ptr;
    const char *b = j->req->body ? j->req->body : "";
    size_t total = strlen(b), n = total - j->sent;
    if (n > len)
        n = len;
    memcpy(buf, b + j->sent, n);
    j->sent += n;
    if (j->sent == total)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

#define NV(n, v)                                                                                               \
    (nghttp2_nv)                                                                                               \
    {                                                                                                          \
        (uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE                             \
    }

static bool submit(struct ad_http_h2 *h, struct ad_http_job *j)
{
    struct ad_http_req *q = j->req;
    bool post = strcmp(q->method, "POST") == 0;
    char clen[24];
    nghttp2_nv nv[8];
    size_t n = 0;
    nv[n++] = NV(":method", q->method);
    nv[n++] = NV(":scheme", "https");
    nv[n++] = NV(":authority", j->url.authority);
    nv[n++] = NV(":path", j->url.path);
    nv[n++] = NV("user-agent", "acme-dns/" AD_VERSION);
    nv[n++] = NV("accept", q->accept ? q->accept : "application/json");
    if (post) {
        snprintf(clen, sizeof clen, "%zu", q->body ? strlen(q->body) : 0);
        nv[n++] = NV("content-type", q->ctype ? q->ctype : "application/jose+json");
        nv[n++] = NV("content-length", clen);
    }
    nghttp2_data_provider dp = {.source.ptr = j, .read_callback = body_read};
    j->sent = 0;
    int32_t id = nghttp2_submit_request(h->s, NULL, nv, n, post ? &dp : NULL, j);
    if (id < 0) {
        ad_http_job_fail(j, AD_HF_NET, "cannot start an HTTP/2 request: %s", nghttp2_strerror(id));
        return false;
    }
    j->stream = id;
    return true;
}

/* Forget J's stream (cancelling it when still open). */
static void detach(struct ad_http_h2 *h, struct ad_http_job *j)
{
    if (!j->stream)
        return;
    nghttp2_session_set_stream_user_data(h->s, j->stream, NULL);
    nghttp2_submit_rst_stream(h->s, NGHTTP2_FLAG_NONE, j->stream, NGHTTP2_CANCEL);
    j->stream = 0;
}

void ad_http2_run(struct ad_conn *c, struct ad_http_job **jobs, size_t n, const struct ad_http_limits *lim,
                  unsigned *maxflight)
{
    struct ad_http_h2 *h = c->h2s;
    size_t next = 0;
    bool broken = false;
    for (;;) {
        size_t open = 0;
        for (size_t i = 0; i < next; i++)
            open += jobs[i]->stream != 0;
        /* Start what the server allows: one stream until its SETTINGS arrived. */
        uint32_t peer = nghttp2_session_get_remote_settings(h->s, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
        size_t allowed = h->got_settings ? (peer < AD_HTTP_PARALLEL ? peer : AD_HTTP_PARALLEL) : 1;
        if (!allowed)
            allowed = 1;
        while (next < n && open < allowed && !h->goaway && nghttp2_session_check_request_allowed(h->s)) {
            struct ad_http_job *j = jobs[next++];
            if (!j->deadline)
                j->deadline = ad_now_ms() + lim->request_ms;
            if (submit(h, j))
                open++;
            else
                j->done = true;
        }
        if (open > *maxflight)
            *maxflight = (unsigned)open;
        if (!pump(c, h)) {
            broken = true;
            break;
        }
        open = 0;
        uint64_t now = ad_now_ms(), wake = now + 100;
        for (size_t i = 0; i < next; i++) {
            struct ad_http_job *j = jobs[i];
            if (j->stream && now >= j->deadline) {
                ad_http_job_fail(j, AD_HF_NET, "no complete response within %u ms", j->timeout_ms);
                detach(h, j);
                j->done = true;
            }
            if (j->stream) {
                open++;
                if (j->deadline < wake)
                    wake = j->deadline;
            }
        }
        if (!open && (next == n || h->goaway || !nghttp2_session_check_request_allowed(h->s)))
            break;
        if (ad_is_interrupted())
            break;
        short ev = POLLIN;
        if (h->woff < h->wlen || h->read_wants_write)
            ev |= POLLOUT;
        enum ad_wait w = ad_wait_fd(c->fd, ev, wake, NULL);
        if (w == AD_WAIT_ERROR) {
            snprintf(h->why, sizeof h->why, "waiting for the server failed");
            broken = true;
            break;
        }
    }
    bool intr = ad_is_interrupted();
    for (size_t i = 0; i < n; i++) {
        struct ad_http_job *j = jobs[i];
        if (j->done)
            continue;
        if (i >= next) {
            /* Never started: the caller runs it again on another connection. */
            continue;
        }
        if (intr) {
            ad_http_job_fail(j, AD_HF_INTR, "interrupted");
        } else if (broken) {
            j->retryable = !j->got_response;
            ad_http_job_fail(j, AD_HF_NET, "%s", h->why);
        }
        if (!broken)
            detach(h, j);
        j->stream = 0;
        j->done = true;
    }
    if (broken || intr || h->goaway)
        c->must_close = true;
    if (!broken)
        pump(c, h); /* send what is left (RST_STREAM, WINDOW_UPDATE) if it goes at once */
}
