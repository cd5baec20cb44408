/* Connections to the CA: TCP (non-blocking, bounded waits), an optional
 * CONNECT tunnel through an http:// proxy, and TLS with OpenSSL. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "b64.h"
#include "http_internal.h"
#include "log.h"
#include "util.h"

struct ad_http_tls {
    SSL_CTX *ctx;
    BIO_METHOD *bio;
};

enum ad_wait ad_wait_fd(int fd, short events, uint64_t deadline, short *revents)
{
    for (;;) {
        if (ad_is_interrupted())
            return AD_WAIT_INTR;
        uint64_t now = ad_now_ms();
        if (now >= deadline)
            return AD_WAIT_TIMEOUT;
        uint64_t ms = deadline - now;
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, ms > 100 ? 100 : (int)ms);
        if (n < 0 && errno != EINTR)
            return AD_WAIT_ERROR;
        if (n > 0) {
            if (revents)
                *revents = p.revents;
            return AD_WAIT_READY;
        }
    }
}

/* A socket BIO that never raises SIGPIPE (send with MSG_NOSIGNAL). */
static int bio_write(BIO *b, const char *buf, int len)
{
    int fd = (int)(intptr_t)BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = send(fd, buf, (size_t)len, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)n;
}

static int bio_read(BIO *b, char *buf, int len)
{
    int fd = (int)(intptr_t)BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = recv(fd, buf, (size_t)len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(b);
    return (int)n;
}

static int bio_puts(BIO *b, const char *s)
{
    return bio_write(b, s, (int)strlen(s));
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b, (void)num, (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

void ad_http_tls_free(struct ad_http_tls *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    BIO_meth_free(t->bio);
    free(t);
}

/* The most telling reason OpenSSL has for a failure. */
static void ssl_reason(char *buf, size_t len, const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    if (r)
        snprintf(buf, len, "%s", r);
    else if (e)
        ERR_error_string_n(e, buf, len);
    else
        snprintf(buf, len, "%s", fallback);
    ERR_clear_error();
}

static struct ad_http_tls *tls_get(struct ad_http_tls **tp, const char *ca_bundle, struct ad_http_job *j)
{
    static const unsigned char alpn[] = "\x02h2\x08http/1.1";
    char why[256];
    if (*tp)
        return *tp;
    struct ad_http_tls *t = calloc(1, sizeof *t);
    if (!t || !(t->ctx = SSL_CTX_new(TLS_client_method())) ||
        !(t->bio = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "acme-dns socket")) ||
        !BIO_meth_set_write(t->bio, bio_write) || !BIO_meth_set_read(t->bio, bio_read) ||
        !BIO_meth_set_puts(t->bio, bio_puts) || !BIO_meth_set_ctrl(t->bio, bio_ctrl) ||
        !BIO_meth_set_create(t->bio, bio_create) ||
        SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_alpn_protos(t->ctx, alpn, sizeof alpn - 1) != 0) {
        ad_http_job_fail(j, AD_HF_NOMEM, "out of memory");
        goto bad;
    }
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (ca_bundle) {
        FILE *f = fopen(ca_bundle, "r");
        if (!f) {
            ad_http_job_fail(j, AD_HF_TLS, "cannot read CA certificates from %s: %s", ca_bundle, strerror(errno));
            goto bad;
        }
        fclose(f);
        if (SSL_CTX_load_verify_locations(t->ctx, ca_bundle, NULL) != 1) {
            ssl_reason(why, sizeof why, "no certificates");
            ad_http_job_fail(j, AD_HF_TLS, "cannot load CA certificates from %s: %s", ca_bundle, why);
            goto bad;
        }
    } else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
        ssl_reason(why, sizeof why, "unknown error");
        ad_http_job_fail(j, AD_HF_TLS, "cannot load the system's CA certificates: %s", why);
        goto bad;
    }
    *tp = t;
    return t;
bad:
    ad_http_tls_free(t);
    return NULL;
}

static bool fail_wait(struct ad_http_job *j, enum ad_wait w, const char *what, unsigned ms)
{
    if (w == AD_WAIT_INTR)
        ad_http_job_fail(j, AD_HF_INTR, "interrupted");
    else if (w == AD_WAIT_TIMEOUT)
        ad_http_job_fail(j, AD_HF_NET, "%s: timed out after %u ms", what, ms);
    else
        ad_http_job_fail(j, AD_HF_NET, "%s: %s", what, strerror(errno));
    return false;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* A TCP connection to HOST:PORT, or -1 with J failed.  WHAT names it in messages. */
static int tcp_connect(const char *host, unsigned port, bool numeric, const struct ad_http_limits *lim,
                       struct ad_http_job *j, const char *what)
{
    struct addrinfo hints, *res = NULL;
    char ps[8], last[200] = "no address";
    int fd = -1;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (numeric ? AI_NUMERICHOST : 0);
    snprintf(ps, sizeof ps, "%u", port);
    int g = getaddrinfo(host, ps, &hints, &res);
    if (g != 0) {
        ad_http_job_fail(j, AD_HF_NET, "cannot resolve %s%s: %s", what, host,
                         g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
        return -1;
    }
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        char addr[NI_MAXHOST] = "?";
        getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof addr, NULL, 0, NI_NUMERICHOST);
        ad_debug("connecting to %s%s port %u (%s)", what, host, port, addr);
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            snprintf(last, sizeof last, "%s", strerror(errno));
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (errno != EINPROGRESS) {
            snprintf(last, sizeof last, "%s", strerror(errno));
            goto next;
        }
        uint64_t dl = min_u64(ad_now_ms() + lim->connect_ms, j->deadline);
        enum ad_wait w = ad_wait_fd(fd, POLLOUT, dl, NULL);
        if (w == AD_WAIT_INTR) {
            ad_http_job_fail(j, AD_HF_INTR, "interrupted");
            close(fd);
            fd = -1;
            goto out;
        }
        if (w == AD_WAIT_TIMEOUT) {
            snprintf(last, sizeof last, "timed out after %u ms", lim->connect_ms);
            goto next;
        }
        int err = 0;
        socklen_t el = sizeof err;
        if (w == AD_WAIT_ERROR)
            err = errno;
        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
            err = errno;
        if (err == 0)
            break;
        snprintf(last, sizeof last, "%s", strerror(err));
    next:
        close(fd);
        fd = -1;
        if (ad_now_ms() >= j->deadline)
            break;
    }
    if (fd < 0) {
        ad_http_job_fail(j, AD_HF_NET, "cannot connect to %s%s port %u: %s", what, host, port, last);
        goto out;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
out:
    freeaddrinfo(res);
    return fd;
}

/* Send all of BUF on the plain socket FD. */
static bool send_all(int fd, const char *buf, size_t len, uint64_t deadline, struct ad_http_job *j, const char *what)
{
    while (len) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            ad_http_job_fail(j, AD_HF_NET, "%s: %s", what, strerror(errno));
            return false;
        }
        enum ad_wait w = ad_wait_fd(fd, POLLOUT, deadline, NULL);
        if (w != AD_WAIT_READY)
            return fail_wait(j, w, what, 0);
    }
    return true;
}

/* Ask the proxy on FD for a tunnel to U's origin. */
static bool proxy_tunnel(int fd, const struct ad_proxy *px, const struct ad_url *u, const struct ad_http_limits *lim,
                         struct ad_http_job *j)
{
    bool ok = false;
    char *auth = NULL, *req = NULL, what[300], buf[16384];
    size_t got = 0;
    uint64_t dl = min_u64(ad_now_ms() + lim->connect_ms, j->deadline);
    snprintf(what, sizeof what, "proxy %s port %u", px->host, px->port);
    if (px->auth && !(auth = ad_b64_encode((const uint8_t *)px->auth, strlen(px->auth)))) {
        ad_http_job_fail(j, AD_HF_NOMEM, "out of memory");
        goto out;
    }
    req = ad_asprintf("CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: acme-dns/" AD_VERSION "\r\n%s%s%s\r\n",
                      u->origin, u->origin, auth ? "Proxy-Authorization: Basic " : "", auth ? auth : "",
                      auth ? "\r\n" : "");
    if (!req) {
        ad_http_job_fail(j, AD_HF_NOMEM, "out of memory");
        goto out;
    }
    ad_debug("asking %s for a tunnel to %s", what, u->origin);
    if (!send_all(fd, req, strlen(req), dl, j, what))
        goto out;
    char *end = NULL;
    while (!end) {
        if (got == sizeof buf - 1) {
            ad_http_job_fail(j, AD_HF_NET, "%s: reply header longer than %zu bytes", what, sizeof buf - 1);
            goto out;
        }
        ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (n == 0) {
            ad_http_job_fail(j, AD_HF_NET, "%s closed the connection instead of opening a tunnel", what);
            goto out;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                ad_http_job_fail(j, AD_HF_NET, "%s: %s", what, strerror(errno));
                goto out;
            }
            enum ad_wait w = ad_wait_fd(fd, POLLIN, dl, NULL);
            if (w != AD_WAIT_READY) {
                fail_wait(j, w, what, lim->connect_ms);
                goto out;
            }
            continue;
        }
        got += (size_t)n;
        buf[got] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    int minor;
    long status;
    size_t l1 = strcspn(buf, "\r\n");
    if (!ad_http1_status_line(buf, l1, &minor, &status)) {
        ad_http_job_fail(j, AD_HF_NET, "%s: malformed reply to CONNECT", what);
        goto out;
    }
    if (status == 407) {
        ad_http_job_fail(j, AD_HF_NET, "%s wants %scredentials (HTTP 407): check user:password in https_proxy",
                         what, px->auth ? "other " : "");
        goto out;
    }
    if (status / 100 != 2) {
        ad_http_job_fail(j, AD_HF_NET, "%s refused a tunnel to %s (HTTP %ld)", what, u->origin, status);
        goto out;
    }
    if ((size_t)(end + 4 - buf) != got) {
        ad_http_job_fail(j, AD_HF_NET, "%s sent data after its reply to CONNECT", what);
        goto out;
    }
    ok = true;
out:
    if (auth) {
        explicit_bzero(auth, strlen(auth));
        free(auth);
    }
    if (req) {
        explicit_bzero(req, strlen(req));
        free(req);
    }
    return ok;
}

void ad_conn_close(struct ad_conn *c)
{
    if (!c)
        return;
    ad_http2_free(c->h2s);
    SSL_free(c->ssl);
    if (c->fd >= 0)
        close(c->fd);
    free(c->origin);
    free(c);
}

static void tls_fail(struct ad_conn *c, int r, struct ad_http_job *j)
{
    char why[256];
    long v = SSL_get_verify_result(c->ssl);
    int e = SSL_get_error(c->ssl, r);
    if (v != X509_V_OK)
        snprintf(why, sizeof why, "%s", X509_verify_cert_error_string(v));
    else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
        snprintf(why, sizeof why, "%s", errno ? strerror(errno) : "the server closed the connection during the handshake");
    else
        ssl_reason(why, sizeof why, "handshake failed");
    ERR_clear_error();
    ad_http_job_fail(j, AD_HF_TLS, "%s", why);
}

struct ad_conn *ad_conn_open(struct ad_http_tls **tls, const char *ca_bundle, const struct ad_http_limits *lim,
                             const struct ad_url *u, struct ad_http_job *j)
{
    struct ad_conn *c = NULL;
    struct ad_proxy px = {0};
    bool use_proxy = false;
    struct ad_http_tls *t = tls_get(tls, ca_bundle, j);
    if (!t)
        return NULL;
    const char *pv = getenv("https_proxy");
    if (!pv || !*pv)
        pv = getenv("HTTPS_PROXY");
    const char *np = getenv("no_proxy");
    if (!np || !*np)
        np = getenv("NO_PROXY");
    if (pv && *pv && !ad_no_proxy_match(np, u->host, u->is_ip)) {
        const char *why;
        if (!ad_proxy_parse(pv, &px, &why)) {
            ad_http_job_fail(j, AD_HF_NET, "https_proxy is not http://[user:password@]host[:port] (%s)", why);
            return NULL;
        }
        use_proxy = true;
    }
    if (!(c = calloc(1, sizeof *c)) || !(c->origin = strdup(u->origin))) {
        ad_http_job_fail(j, AD_HF_NOMEM, "out of memory");
        goto bad;
    }
    c->fd = use_proxy ? tcp_connect(px.host, px.port, false, lim, j, "proxy ")
                      : tcp_connect(u->host, u->port, u->is_ip, lim, j, "");
    if (c->fd < 0 || (use_proxy && !proxy_tunnel(c->fd, &px, u, lim, j)))
        goto bad;

    SSL *ssl = SSL_new(t->ctx);
    BIO *bio = ssl ? BIO_new(t->bio) : NULL;
    if (!bio) {
        SSL_free(ssl);
        ad_http_job_fail(j, AD_HF_NOMEM, "out of memory");
        goto bad;
    }
    c->ssl = ssl;
    BIO_set_data(bio, (void *)(intptr_t)c->fd);
    SSL_set_bio(ssl, bio, bio);
    X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (u->is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, u->host) != 1
                 : (X509_VERIFY_PARAM_set1_host(vp, u->host, 0) != 1 || SSL_set_tlsext_host_name(ssl, u->host) != 1)) {
        ad_http_job_fail(j, AD_HF_TLS, "cannot set the expected host name %s", u->host);
        goto bad;
    }
    uint64_t dl = min_u64(ad_now_ms() + lim->connect_ms, j->deadline);
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int r = SSL_connect(ssl);
        if (r == 1)
            break;
        int e = SSL_get_error(ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            tls_fail(c, r, j);
            goto bad;
        }
        enum ad_wait w = ad_wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, dl, NULL);
        if (w != AD_WAIT_READY) {
            if (w == AD_WAIT_INTR)
                ad_http_job_fail(j, AD_HF_INTR, "interrupted");
            else if (w == AD_WAIT_TIMEOUT)
                ad_http_job_fail(j, AD_HF_TLS, "handshake timed out");
            else
                ad_http_job_fail(j, AD_HF_TLS, "%s", strerror(errno));
            goto bad;
        }
    }
    const unsigned char *proto = NULL;
    unsigned plen = 0;
    SSL_get0_alpn_selected(ssl, &proto, &plen);
    c->h2 = plen == 2 && memcmp(proto, "h2", 2) == 0;
    ad_debug("connected to %s%s%s with %s, %s", u->origin, use_proxy ? " through proxy " : "",
             use_proxy ? px.host : "", SSL_get_version(ssl), c->h2 ? "HTTP/2" : "HTTP/1.1");
    if (c->h2 && !ad_http2_start(c)) {
        ad_http_job_fail(j, AD_HF_NOMEM, "out of memory");
        goto bad;
    }
    ad_proxy_clear(&px);
    return c;
bad:
    ad_proxy_clear(&px);
    ad_conn_close(c);
    return NULL;
}

/* The outcome of SSL_read_ex/SSL_write_ex that returned R.  A peer that
 * went away without close_notify (no errno, no TLS error) is an end of
 * stream for reads and writes alike. */
static enum ad_io io_result(SSL *ssl, int r, char *why, size_t wlen)
{
    if (r == 1)
        return AD_IO_OK;
    switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ:
        return AD_IO_AGAIN_READ;
    case SSL_ERROR_WANT_WRITE:
        return AD_IO_AGAIN_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return AD_IO_EOF;
    case SSL_ERROR_SYSCALL:
        if (errno == 0 && ERR_peek_error() == 0)
            return AD_IO_EOF;
        if (errno) {
            snprintf(why, wlen, "%s", strerror(errno));
            ERR_clear_error();
            return AD_IO_ERROR;
        }
        /* fall through */
    default:
        ssl_reason(why, wlen, "TLS error");
        return AD_IO_ERROR;
    }
}

enum ad_io ad_conn_read(struct ad_conn *c, void *buf, size_t n, size_t *done, char *why, size_t wlen)
{
    *done = 0;
    ERR_clear_error();
    errno = 0;
    return io_result(c->ssl, SSL_read_ex(c->ssl, buf, n, done), why, wlen);
}

enum ad_io ad_conn_write(struct ad_conn *c, const void *buf, size_t n, size_t *done, char *why, size_t wlen)
{
    *done = 0;
    ERR_clear_error();
    errno = 0;
    return io_result(c->ssl, SSL_write_ex(c->ssl, buf, n, done), why, wlen);
}

bool ad_conn_idle_ok(struct ad_conn *c)
{
    if (c->must_close)
        return false;
    if (c->h2)
        return ad_http2_idle_ok(c);
    if (c->roff < c->rlen)
        return false; /* bytes nobody asked for */
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0)
        return true;
    /* Readable while idle: TLS 1.3 session tickets are fine, anything else
     * (data, end of stream, an error) makes the connection useless. */
    for (;;) {
        char b, why[64];
        size_t d;
        enum ad_io io = ad_conn_read(c, &b, 1, &d, why, sizeof why);
        if (io == AD_IO_AGAIN_READ)
            return true;
        if (io != AD_IO_OK || d)
            return false;
    }
}
