/* HTTP/1.1 on a kept-alive TLS connection: one request at a time. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_internal.h"
#include "util.h"

/* Wait for C to become readable or writable as IO asks; false with J failed. */
static bool h1_wait(struct ad_conn *c, enum ad_io io, struct ad_http_job *j)
{
    enum ad_wait w = ad_wait_fd(c->fd, io == AD_IO_AGAIN_WRITE ? POLLOUT : POLLIN, j->deadline, NULL);
    if (w == AD_WAIT_READY)
        return true;
    if (w == AD_WAIT_INTR)
        ad_http_job_fail(j, AD_HF_INTR, "interrupted");
    else if (w == AD_WAIT_TIMEOUT)
        ad_http_job_fail(j, AD_HF_NET, "no complete response within %u ms", j->timeout_ms);
    else
        ad_http_job_fail(j, AD_HF_NET, "waiting for the server failed");
    c->must_close = true;
    return false;
}

static bool h1_write_all(struct ad_conn *c, const char *buf, size_t len, struct ad_http_job *j)
{
    char why[200];
    while (len) {
        size_t d;
        enum ad_io io = ad_conn_write(c, buf, len, &d, why, sizeof why);
        if (io == AD_IO_OK) {
            buf += d;
            len -= d;
        } else if (io == AD_IO_AGAIN_READ || io == AD_IO_AGAIN_WRITE) {
            if (!h1_wait(c, io, j))
                return false;
        } else {
            c->must_close = true;
            j->retryable = true;
            if (io == AD_IO_EOF)
                ad_http_job_fail(j, AD_HF_NET, "the server closed the connection");
            else
                ad_http_job_fail(j, AD_HF_NET, "sending the request failed: %s", why);
            return false;
        }
    }
    return true;
}

/* More bytes into C's buffer: 1 when some arrived, 0 at the end of the
 * stream, -1 when J failed. */
static int h1_fill(struct ad_conn *c, struct ad_http_job *j)
{
    char why[200];
    if (c->roff) {
        memmove(c->rbuf, c->rbuf + c->roff, c->rlen - c->roff);
        c->rlen -= c->roff;
        c->roff = 0;
    }
    for (;;) {
        size_t d;
        enum ad_io io = ad_conn_read(c, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen, &d, why, sizeof why);
        if (io == AD_IO_OK && d) {
            c->rlen += d;
            j->got_response = true;
            return 1;
        }
        if (io == AD_IO_EOF) {
            c->must_close = true;
            return 0;
        }
        if (io == AD_IO_ERROR) {
            c->must_close = true;
            j->retryable = !j->got_response;
            ad_http_job_fail(j, AD_HF_NET, "receiving the response failed: %s", why);
            return -1;
        }
        if (io != AD_IO_OK && !h1_wait(c, io, j))
            return -1;
    }
}

/* The next line of the response head, without its line end, borrowed
 * until the next read.  1 ok, 0 end of stream, -1 J failed. */
static int h1_line(struct ad_conn *c, struct ad_http_job *j, size_t *total, const char **line, size_t *len)
{
    for (;;) {
        const char *s = c->rbuf + c->roff;
        size_t avail = c->rlen - c->roff;
        const char *nl = memchr(s, '\n', avail);
        size_t l = nl ? (size_t)(nl - s) + 1 : avail;
        if (l > AD_HTTP_LINE_MAX) {
            ad_http_job_fail(j, AD_HF_NET, "response header line longer than %u bytes", AD_HTTP_LINE_MAX);
            c->must_close = true;
            return -1;
        }
        if (*total + l > AD_HTTP_HEAD_MAX) {
            ad_http_job_fail(j, AD_HF_NET, "response header longer than %u bytes", AD_HTTP_HEAD_MAX);
            c->must_close = true;
            return -1;
        }
        if (nl) {
            *total += l;
            c->roff += l;
            l--;
            if (l && s[l - 1] == '\r')
                l--;
            *line = s;
            *len = l;
            return 1;
        }
        int r = h1_fill(c, j);
        if (r <= 0)
            return r;
    }
}

static bool has_token(const char *v, size_t vlen, const char *tok)
{
    size_t tl = strlen(tok), i = 0;
    while (i < vlen) {
        while (i < vlen && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < vlen && v[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
            return true;
    }
    return false;
}

struct h1_head {
    long status;
    int minor;
    bool chunked, has_len, close, keep_alive;
    unsigned long long len;
};

static bool name_is(const char *n, size_t nl, const char *want)
{
    return strlen(want) == nl && strncasecmp(n, want, nl) == 0;
}

/* Read the response head (skipping 1xx responses). */
static bool h1_head(struct ad_conn *c, struct ad_http_job *j, struct h1_head *h)
{
    struct ad_http_response *r = &j->req->resp;
    size_t total = 0;
    const char *line;
    size_t len;
    for (;;) {
        memset(h, 0, sizeof *h);
        int rr = h1_line(c, j, &total, &line, &len);
        if (rr == 0) {
            j->retryable = !j->got_response;
            ad_http_job_fail(j, AD_HF_NET, "the server closed the connection without answering");
        }
        if (rr <= 0)
            return false;
        if (!ad_http1_status_line(line, len, &h->minor, &h->status)) {
            ad_http_job_fail(j, AD_HF_NET, "malformed HTTP status line");
            c->must_close = true;
            return false;
        }
        bool final = h->status >= 200;
        for (;;) {
            if ((rr = h1_line(c, j, &total, &line, &len)) == 0)
                ad_http_job_fail(j, AD_HF_NET, "the server closed the connection in the response header");
            if (rr <= 0)
                return false;
            if (len == 0)
                break;
            const char *n, *v;
            size_t nl, vl;
            if (!ad_http1_header_split(line, len, &n, &nl, &v, &vl)) {
                ad_http_job_fail(j, AD_HF_NET, "malformed response header line");
                c->must_close = true;
                return false;
            }
            if (!final)
                continue;
            if (!ad_http_keep_header(r, n, nl, v, vl)) {
                ad_http_job_fail(j, AD_HF_NOMEM, "out of memory");
                return false;
            }
            if (name_is(n, nl, "content-length")) {
                unsigned long long x = 0;
                bool ok = vl > 0 && vl <= 18;
                for (size_t i = 0; ok && i < vl; i++) {
                    ok = v[i] >= '0' && v[i] <= '9';
                    x = x * 10 + (unsigned)(v[i] - '0');
                }
                if (!ok || (h->has_len && x != h->len)) {
                    ad_http_job_fail(j, AD_HF_NET, "malformed Content-Length");
                    c->must_close = true;
                    return false;
                }
                h->has_len = true;
                h->len = x;
            } else if (name_is(n, nl, "transfer-encoding")) {
                if (!(vl == 7 && strncasecmp(v, "chunked", 7) == 0)) {
                    ad_http_job_fail(j, AD_HF_NET, "unsupported transfer coding %.*s", (int)(vl > 40 ? 40 : vl),
                                     v);
                    c->must_close = true;
                    return false;
                }
                h->chunked = true;
            } else if (name_is(n, nl, "connection")) {
                h->close |= has_token(v, vl, "close");
                h->keep_alive |= has_token(v, vl, "keep-alive");
            }
        }
        if (final)
            return true;
        if (h->status == 101) {
            ad_http_job_fail(j, AD_HF_NET, "unexpected protocol switch (HTTP 101)");
            c->must_close = true;
            return false;
        }
    }
}

static bool h1_body(struct ad_conn *c, struct ad_http_job *j, const struct h1_head *h)
{
    struct ad_http_response *r = &j->req->resp;
    const char *why = NULL;
    if (h->chunked) {
        struct ad_chunked ch = {0};
        for (;;) {
            size_t used;
            enum ad_chunked_rc rc =
                ad_chunked_feed(&ch, c->rbuf + c->roff, c->rlen - c->roff, &used, r, &j->cap, &why);
            c->roff += used;
            if (rc == AD_CHUNKED_DONE)
                return true;
            if (rc == AD_CHUNKED_BIG || rc == AD_CHUNKED_NOMEM || rc == AD_CHUNKED_BAD) {
                c->must_close = true;
                if (rc == AD_CHUNKED_BIG)
                    ad_http_job_fail(j, AD_HF_BIG, "response too large");
                else if (rc == AD_CHUNKED_NOMEM)
                    ad_http_job_fail(j, AD_HF_NOMEM, "out of memory");
                else
                    ad_http_job_fail(j, AD_HF_NET, "malformed chunked response: %s", why);
                return false;
            }
            int rr = h1_fill(c, j);
            if (rr == 0)
                ad_http_job_fail(j, AD_HF_NET, "the server closed the connection in the middle of the response");
            if (rr <= 0)
                return false;
        }
    }
    if (h->has_len && h->len > AD_HTTP_BODY_MAX) {
        c->must_close = true;
        ad_http_job_fail(j, AD_HF_BIG, "response too large");
        return false;
    }
    unsigned long long left = h->has_len ? h->len : ~0ULL;
    for (;;) {
        size_t avail = c->rlen - c->roff;
        if ((unsigned long long)avail > left)
            avail = (size_t)left;
        enum ad_body_rc b = ad_http_body_add(r, &j->cap, c->rbuf + c->roff, avail);
        if (b != AD_BODY_OK) {
            c->must_close = true;
            if (b == AD_BODY_BIG)
                ad_http_job_fail(j, AD_HF_BIG, "response too large");
            else
                ad_http_job_fail(j, AD_HF_NOMEM, "out of memory");
            return false;
        }
        c->roff += avail;
        left -= avail;
        if (!left)
            return true;
        int rr = h1_fill(c, j);
        if (rr == 0 && !h->has_len)
            return true; /* the body ends with the connection */
        if (rr == 0)
            ad_http_job_fail(j, AD_HF_NET, "the server closed the connection in the middle of the response");
        if (rr <= 0)
            return false;
    }
}

void ad_http1_exchange(struct ad_conn *c, struct ad_http_job *j)
{
    struct ad_http_req *q = j->req;
    bool post = strcmp(q->method, "POST") == 0, head = strcmp(q->method, "HEAD") == 0;
    const char *accept = q->accept ? q->accept : "application/json";
    char *msg = NULL;
    size_t blen = post && q->body ? strlen(q->body) : 0;
    struct h1_head h;

    if (post)
        msg = ad_asprintf("POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: acme-dns/" AD_VERSION
                          "\r\nAccept: %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                          j->url.path, j->url.authority, accept, q->ctype ? q->ctype : "application/jose+json",
                          blen);
    else
        msg = ad_asprintf("%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: acme-dns/" AD_VERSION "\r\nAccept: %s\r\n\r\n",
                          q->method, j->url.path, j->url.authority, accept);
    size_t mlen = msg ? strlen(msg) : 0;
    char *all = msg ? realloc(msg, mlen + blen + 1) : NULL;
    if (!all) {
        free(msg);
        ad_http_job_fail(j, AD_HF_NOMEM, "out of memory");
        return;
    }
    msg = all;
    if (blen)
        memcpy(msg + mlen, q->body, blen);
    c->roff = c->rlen = 0;
    bool ok = h1_write_all(c, msg, mlen + blen, j);
    free(msg);
    if (!ok || !h1_head(c, j, &h))
        return;
    j->req->resp.status = h.status;
    if (h.minor == 0 ? !h.keep_alive : h.close)
        c->must_close = true;
    if (!(head || h.status == 204 || h.status == 304)) {
        if (!h.chunked && !h.has_len)
            c->must_close = true;
        if (!h1_body(c, j, &h))
            return;
    }
    c->uses++;
}
