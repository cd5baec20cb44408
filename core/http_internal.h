/* The HTTPS client's internals: URL and proxy parsing, header and chunked
 * decoding, connections (TCP, CONNECT proxy, TLS), HTTP/1.1 and HTTP/2.
 * Only core/http*.c and the unit tests include this header. */
#ifndef AD_HTTP_INTERNAL_H
#define AD_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "http.h"

/* Bounds on what a server sends before the body. */
#define AD_HTTP_LINE_MAX 8192u
#define AD_HTTP_HEAD_MAX 65536u
#define AD_HTTP_HOST_MAX 255u

/* ---- URLs (http_url.c) ---- */

/* An https:// URL taken apart.  Every string is owned; clear with ad_url_clear. */
struct ad_url {
    char *host;      /* lower case, IPv6 without brackets */
    char *authority; /* for Host and :authority: host (bracketed IPv6), ":port" unless 443 */
    char *path;      /* path and query, at least "/" (never a fragment) */
    char *origin;    /* "host:port", the key of a connection */
    unsigned port;
    bool is_ip;      /* host is an IPv4 or IPv6 literal */
};

/* Parse URL, which must start with "https://".  On failure returns false and
 * points *WHY at a static reason. */
bool ad_url_parse(const char *url, struct ad_url *out, const char **why);
void ad_url_clear(struct ad_url *u);

/* An http:// proxy from https_proxy.  Strings owned; clear with ad_proxy_clear. */
struct ad_proxy {
    char *host;
    char *auth;      /* "user:password" (percent-decoded) or NULL; a secret */
    unsigned port;   /* 1080 when the value has none */
};
/* Parse VALUE ("[http://][user:password@]host[:port][/]").  False with *WHY
 * (static, never quoting VALUE, which may hold a password) when malformed. */
bool ad_proxy_parse(const char *value, struct ad_proxy *out, const char **why);
void ad_proxy_clear(struct ad_proxy *p);
/* True when the no_proxy list LIST ("*" or comma-separated names, domain
 * suffixes with or without a leading dot, IP literals) covers HOST. */
bool ad_no_proxy_match(const char *list, const char *host, bool is_ip);

/* Seconds from a Retry-After value (delta-seconds, or an HTTP-date: IMF-fixdate,
 * RFC 850 or asctime form) relative to NOW; -1 when malformed.  Dates in the
 * past give 0. */
long ad_retry_after_parse(const char *value, time_t now);

/* ---- Responses (http_msg.c) ---- */

/* Keep header NAME: VALUE in R when it is one we use (Location, Replay-Nonce,
 * Content-Type, Retry-After).  Returns false on out-of-memory. */
bool ad_http_keep_header(struct ad_http_response *r, const char *name, size_t nlen, const char *value,
                         size_t vlen);

enum ad_body_rc { AD_BODY_OK, AD_BODY_NOMEM, AD_BODY_BIG };
/* Append N bytes to R's body, whose allocation holds *CAP bytes; refuses to
 * grow past AD_HTTP_BODY_MAX.  The body stays NUL-terminated. */
enum ad_body_rc ad_http_body_add(struct ad_http_response *r, size_t *cap, const char *p, size_t n);

/* Parse an HTTP/1.x status line (without its line end). */
bool ad_http1_status_line(const char *line, size_t len, int *minor, long *status);
/* Split an HTTP/1.x header line (without its line end) into a name and a
 * value with surrounding blanks removed. */
bool ad_http1_header_split(const char *line, size_t len, const char **name, size_t *nlen, const char **value,
                           size_t *vlen);

/* Chunked transfer coding (RFC 9112 7.1), fed in pieces of any size. */
struct ad_chunked {
    int state;
    uint64_t left;    /* bytes of chunk data still to come */
    size_t line;      /* length of the size or trailer line so far */
    size_t trailer;   /* trailer bytes so far */
    bool digits;      /* the size line has a digit */
};
enum ad_chunked_rc { AD_CHUNKED_MORE, AD_CHUNKED_DONE, AD_CHUNKED_BAD, AD_CHUNKED_NOMEM, AD_CHUNKED_BIG };
/* Decode up to LEN bytes of IN into R's body (capacity *CAP); *USED says how
 * many were consumed (all of them unless DONE).  BAD sets *WHY (static). */
enum ad_chunked_rc ad_chunked_feed(struct ad_chunked *c, const char *in, size_t len, size_t *used,
                                   struct ad_http_response *r, size_t *cap, const char **why);

/* ---- Requests in flight ---- */

enum ad_http_fail { AD_HF_NONE, AD_HF_NET, AD_HF_TLS, AD_HF_BIG, AD_HF_INTR, AD_HF_NOMEM };

/* One request of a batch while it runs.  REQ is borrowed. */
struct ad_http_job {
    struct ad_http_req *req;
    struct ad_url url;
    size_t cap;               /* allocation of req->resp.body */
    size_t sent;              /* POST body bytes handed to HTTP/2 */
    size_t head_bytes;        /* header bytes received */
    uint64_t deadline;        /* ad_now_ms() after which the request fails */
    unsigned timeout_ms;      /* the request's time limit, for messages */
    int32_t stream;           /* HTTP/2 stream id, 0 when none */
    bool started, done;
    bool got_response;        /* some of the response arrived */
    bool retryable;           /* the connection failed before any of the response */
    bool refused;             /* HTTP/2: the server refused the stream unprocessed */
    bool retried;
    bool interim;             /* HTTP/2: inside a 1xx header block */
    enum ad_http_fail fail;
    char why[320];
};
/* Record that J failed (the first failure wins). */
void ad_http_job_fail(struct ad_http_job *j, enum ad_http_fail kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- Connections (http_conn.c) ---- */

struct ad_http_h2;

struct ad_conn {
    int fd;
    void *ssl;                /* SSL * */
    char *origin;
    bool h2;
    unsigned uses;            /* responses completed on this connection */
    bool must_close;          /* the server asked for it, or the state is unknown */
    char rbuf[16384];         /* HTTP/1.1: received bytes not yet used */
    size_t roff, rlen;
    struct ad_http_h2 *h2s;   /* HTTP/2 session state */
};

struct ad_http_tls;           /* the TLS context (trust, ALPN), made on first use */

/* Timeouts in milliseconds. */
struct ad_http_limits {
    unsigned connect_ms;
    unsigned request_ms;
};

/* Open a connection to U's origin (through https_proxy unless no_proxy
 * covers the host), TLS with peer verification, ALPN h2/http1.1.  On failure
 * J is failed (AD_HF_TLS for TLS, AD_HF_NET otherwise) and NULL returned. */
struct ad_conn *ad_conn_open(struct ad_http_tls **tls, const char *ca_bundle, const struct ad_http_limits *lim,
                             const struct ad_url *u, struct ad_http_job *j);
void ad_conn_close(struct ad_conn *c);
void ad_http_tls_free(struct ad_http_tls *t);
/* An idle connection the server may have closed: false when it is unusable. */
bool ad_conn_idle_ok(struct ad_conn *c);

/* Waiting outcome. */
enum ad_wait { AD_WAIT_READY, AD_WAIT_TIMEOUT, AD_WAIT_INTR, AD_WAIT_ERROR };
/* Wait until FD has EVENTS or DEADLINE (ad_now_ms) passes, waking at least
 * every 100 ms to check for interrupts.  *REVENTS gets the events. */
enum ad_wait ad_wait_fd(int fd, short events, uint64_t deadline, short *revents);

enum ad_io { AD_IO_OK, AD_IO_AGAIN_READ, AD_IO_AGAIN_WRITE, AD_IO_EOF, AD_IO_ERROR };
/* Non-blocking TLS read/write: *DONE bytes moved.  ERROR fills WHY. */
enum ad_io ad_conn_read(struct ad_conn *c, void *buf, size_t n, size_t *done, char *why, size_t wlen);
enum ad_io ad_conn_write(struct ad_conn *c, const void *buf, size_t n, size_t *done, char *why, size_t wlen);

/* ---- HTTP/1.1 (http1.c) ---- */

/* Run J on C (HTTP/1.1).  On failure J is failed; J->retryable is set when
 * nothing of the response arrived.  C->must_close when it cannot be reused. */
void ad_http1_exchange(struct ad_conn *c, struct ad_http_job *j);

/* ---- HTTP/2 (http2.c) ---- */

/* Start an HTTP/2 session on C (after ALPN chose h2).  False on out-of-memory. */
bool ad_http2_start(struct ad_conn *c);
void ad_http2_free(struct ad_http_h2 *s);
/* Run the N jobs (same origin as C) concurrently, at most AD_HTTP_PARALLEL
 * and the server's limit at once.  Each job ends done or failed; retryable
 * when the server refused it or the reused connection closed before any of
 * its response.  *MAXFLIGHT gets the most streams open at once. */
void ad_http2_run(struct ad_conn *c, struct ad_http_job **jobs, size_t n, const struct ad_http_limits *lim,
                  unsigned *maxflight);
/* Process what the server sent on an idle session; false when unusable. */
bool ad_http2_idle_ok(struct ad_conn *c);

/* ---- Test hooks (http.c) ---- */

/* Change H's timeouts (milliseconds). */
void ad_http_set_timeouts(struct ad_http *h, unsigned connect_ms, unsigned request_ms);
/* Connections H opened so far, and the most requests in flight at once. */
unsigned long ad_http_connects(const struct ad_http *h);
unsigned ad_http_max_inflight(const struct ad_http *h);

#endif
