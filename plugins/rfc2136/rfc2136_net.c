/* rfc2136 plugin: the server address and UDP/TCP exchanges. */
#include "rfc2136_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rfc2136_wire.h"

static bool ad_parse_port(const char *s, unsigned *port)
{
    if (*s == '\0' || strlen(s) > 5)
        return false;
    unsigned v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (unsigned)(*s - '0');
    }
    if (v == 0 || v > 65535)
        return false;
    *port = v;
    return true;
}

ad_status ad_rfc2136_server_split(const char *spec, char *host, size_t hostlen, unsigned *port,
                                  char *err, size_t errlen)
{
    size_t n = strlen(spec);
    const char *h = spec, *p = NULL;
    size_t hl = n;
    *port = 53;
    if (n == 0)
        goto bad;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (close == NULL)
            goto bad;
        h = spec + 1;
        hl = (size_t)(close - h);
        if (close[1] == ':')
            p = close + 2;
        else if (close[1] != '\0')
            goto bad;
    } else {
        const char *colon = strchr(spec, ':');
        if (colon != NULL && strchr(colon + 1, ':') == NULL) {
            hl = (size_t)(colon - spec);
            p = colon + 1;
        }
        /* two or more colons: a bare IPv6 address, port 53 */
    }
    if (hl == 0 || hl >= hostlen)
        goto bad;
    if (p != NULL && !ad_parse_port(p, port))
        goto bad;
    memcpy(host, h, hl);
    host[hl] = '\0';
    for (size_t i = 0; i < hl; i++)
        if (host[i] == ' ' || host[i] == '/' || host[i] == '[' || host[i] == ']')
            goto bad;
    return AD_OK;
bad:
    ad_rfc2136_seterr(err, errlen,
              "server \"%.200s\" is not an address: use IP, IP:PORT, [IPv6]:PORT or a host name",
              spec);
    return AD_ERR_CONFIG;
}

ad_status ad_rfc2136_server_parse(const char *spec, struct ad_rfc2136_server *out, char *err,
                                  size_t errlen)
{
    memset(out, 0, sizeof *out);
    ad_status rc = ad_rfc2136_server_split(spec, out->host, sizeof out->host, &out->port, err,
                                           errlen);
    if (rc != AD_OK)
        return rc;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", out->port);
    struct addrinfo hints = { 0 };
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(out->host, portstr, &hints, &res);
    if (gai != 0) {
        hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
        gai = getaddrinfo(out->host, portstr, &hints, &res);
    }
    if (gai != 0) {
        ad_rfc2136_seterr(err, errlen, "cannot find the address of server %s: %s", out->host,
                  gai_strerror(gai));
        return AD_ERR_DNS;
    }
    for (struct addrinfo *ai = res; ai != NULL && out->naddrs < AD_RFC2136_MAX_ADDRS;
         ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof out->addrs[0])
            continue;
        memcpy(&out->addrs[out->naddrs], ai->ai_addr, ai->ai_addrlen);
        out->lens[out->naddrs++] = ai->ai_addrlen;
    }
    freeaddrinfo(res);
    if (out->naddrs == 0) {
        ad_rfc2136_seterr(err, errlen, "server %s has no usable address", out->host);
        return AD_ERR_DNS;
    }
    return AD_OK;
}

void ad_rfc2136_addr_text(const struct ad_rfc2136_server *s, size_t i, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN] = "?";
    const struct sockaddr_storage *ss = &s->addrs[i];
    if (ss->ss_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a, sizeof a);
    else if (ss->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, a, sizeof a);
    if (s->port == 53)
        snprintf(buf, len, "%s", a);
    else if (ss->ss_family == AF_INET6)
        snprintf(buf, len, "[%s]:%u", a, s->port);
    else
        snprintf(buf, len, "%s:%u", a, s->port);
}

static uint64_t ad_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Wait for EVENTS on FD until DEADLINE.  1 ready, 0 timed out, -1 error. */
static int ad_wait(int fd, short events, uint64_t deadline)
{
    for (;;) {
        uint64_t now = ad_mono_ms();
        if (now >= deadline)
            return 0;
        uint64_t left = deadline - now;
        struct pollfd pfd = { fd, events, 0 };
        int r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r > 0)
            return 1;
    }
}

static int ad_socket(int family, int type)
{
    int fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    return fd;
}

/* The reply fits: right ID and QR set. */
static bool ad_is_reply(const uint8_t *q, const uint8_t *r, size_t rlen)
{
    return rlen >= AD_DNS_HDR && r[0] == q[0] && r[1] == q[1] && (r[2] & 0x80) != 0;
}

static ad_status ad_exchange_udp(const struct ad_rfc2136_server *s, size_t i, const uint8_t *q,
                                 size_t qlen, uint64_t deadline, const char *where,
                                 ad_rfc2136_logfn log, void *log_ctx, uint8_t **reply,
                                 size_t *rlen, char *err, size_t errlen)
{
    ad_status rc = AD_ERR_NETWORK;
    uint8_t *buf = NULL;
    int fd = ad_socket(s->addrs[i].ss_family, SOCK_DGRAM);
    if (fd < 0 || connect(fd, (const struct sockaddr *)&s->addrs[i], s->lens[i]) != 0) {
        ad_rfc2136_seterr(err, errlen, "cannot reach DNS server %s over UDP: %s", where,
                  strerror(errno));
        goto out;
    }
    buf = malloc(AD_DNS_MSG_MAX);
    if (buf == NULL) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    uint64_t interval = 1000;
    for (unsigned attempt = 1;; attempt++) {
        uint64_t now = ad_mono_ms();
        if (now >= deadline)
            break;
        if (log)
            log(log_ctx, "sending %zu bytes to %s over UDP (attempt %u)", qlen, where, attempt);
        if (send(fd, q, qlen, 0) < 0 && errno != EINTR) {
            ad_rfc2136_seterr(err, errlen, "cannot send to DNS server %s over UDP: %s", where,
                      strerror(errno));
            goto out;
        }
        uint64_t until = now + interval < deadline ? now + interval : deadline;
        interval *= 2;
        for (;;) {
            int w = ad_wait(fd, POLLIN, until);
            if (w == 0)
                break;
            ssize_t n = w > 0 ? recv(fd, buf, AD_DNS_MSG_MAX, 0) : -1;
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (n < 0 && errno == ECONNREFUSED) {
                ad_rfc2136_seterr(err, errlen,
                          "DNS server %s refused the UDP packet: nothing listens on port %u "
                          "there (is the server running?)",
                          where, s->port);
                goto out;
            }
            if (n < 0) {
                ad_rfc2136_seterr(err, errlen, "no answer from DNS server %s over UDP: %s", where,
                          strerror(errno));
                goto out;
            }
            if (!ad_is_reply(q, buf, (size_t)n)) {
                if (log)
                    log(log_ctx, "ignoring a %zd-byte datagram from %s that is not our reply",
                        n, where);
                continue;
            }
            *reply = buf;
            *rlen = (size_t)n;
            buf = NULL;
            rc = AD_OK;
            goto out;
        }
    }
    rc = AD_ERR_TIMEOUT;
    ad_rfc2136_seterr(err, errlen, "DNS server %s did not answer", where);
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}

static ad_status ad_io_all(int fd, uint8_t *p, size_t n, bool wr, uint64_t deadline)
{
    while (n > 0) {
        int w = ad_wait(fd, wr ? POLLOUT : POLLIN, deadline);
        if (w == 0)
            return AD_ERR_TIMEOUT;
        if (w < 0)
            return AD_ERR_NETWORK;
        ssize_t r = wr ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r < 0)
            return AD_ERR_NETWORK;
        if (r == 0)
            return AD_ERR_PROTOCOL; /* closed early */
        p += r;
        n -= (size_t)r;
    }
    return AD_OK;
}

static ad_status ad_exchange_tcp(const struct ad_rfc2136_server *s, size_t i, const uint8_t *q,
                                 size_t qlen, uint64_t deadline, const char *where,
                                 ad_rfc2136_logfn log, void *log_ctx, uint8_t **reply,
                                 size_t *rlen, char *err, size_t errlen)
{
    ad_status rc = AD_ERR_NETWORK;
    uint8_t *out = NULL, *buf = NULL;
    int fd = ad_socket(s->addrs[i].ss_family, SOCK_STREAM);
    if (fd < 0) {
        ad_rfc2136_seterr(err, errlen, "cannot open a TCP socket: %s", strerror(errno));
        goto out;
    }
    if (log)
        log(log_ctx, "sending %zu bytes to %s over TCP", qlen, where);
    if (connect(fd, (const struct sockaddr *)&s->addrs[i], s->lens[i]) != 0 &&
        errno != EINPROGRESS) {
        ad_rfc2136_seterr(err, errlen, "cannot connect to DNS server %s over TCP: %s", where,
                  strerror(errno));
        goto out;
    }
    int w = ad_wait(fd, POLLOUT, deadline);
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (w == 0) {
        rc = AD_ERR_TIMEOUT;
        ad_rfc2136_seterr(err, errlen, "DNS server %s did not accept a TCP connection", where);
        goto out;
    }
    if (w < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
        ad_rfc2136_seterr(err, errlen, "cannot connect to DNS server %s over TCP: %s", where,
                  strerror(soerr ? soerr : errno));
        goto out;
    }
    out = malloc(qlen + 2);
    buf = malloc(AD_DNS_MSG_MAX);
    if (out == NULL || buf == NULL) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    out[0] = (uint8_t)(qlen >> 8);
    out[1] = (uint8_t)qlen;
    memcpy(out + 2, q, qlen);
    rc = ad_io_all(fd, out, qlen + 2, true, deadline);
    uint8_t lb[2] = { 0, 0 };
    if (rc == AD_OK)
        rc = ad_io_all(fd, lb, 2, false, deadline);
    size_t n = (size_t)(lb[0] << 8 | lb[1]);
    if (rc == AD_OK)
        rc = n < AD_DNS_HDR ? AD_ERR_PROTOCOL : ad_io_all(fd, buf, n, false, deadline);
    if (rc == AD_ERR_TIMEOUT) {
        ad_rfc2136_seterr(err, errlen, "DNS server %s did not answer over TCP", where);
        goto out;
    }
    if (rc == AD_ERR_PROTOCOL) {
        ad_rfc2136_seterr(err, errlen, "DNS server %s closed the TCP connection without a reply",
                  where);
        goto out;
    }
    if (rc != AD_OK) {
        ad_rfc2136_seterr(err, errlen, "TCP exchange with DNS server %s failed: %s", where,
                  strerror(errno));
        goto out;
    }
    if (!ad_is_reply(q, buf, n)) {
        rc = AD_ERR_PROTOCOL;
        ad_rfc2136_seterr(err, errlen, "DNS server %s sent a reply with the wrong ID over TCP", where);
        goto out;
    }
    *reply = buf;
    *rlen = n;
    buf = NULL;
    rc = AD_OK;
out:
    free(out);
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}

ad_status ad_rfc2136_exchange(const struct ad_rfc2136_server *s, size_t i, const uint8_t *query,
                              size_t qlen, bool force_tcp, unsigned timeout_ms,
                              ad_rfc2136_logfn log, void *log_ctx, uint8_t **reply,
                              size_t *rlen, char *err, size_t errlen)
{
    char where[80];
    ad_rfc2136_addr_text(s, i, where, sizeof where);
    uint64_t deadline = ad_mono_ms() + timeout_ms;
    if (qlen < AD_DNS_HDR || qlen > AD_DNS_MSG_MAX)
        return AD_ERR_INTERNAL;
    if (!force_tcp && qlen <= AD_DNS_UDP_MAX) {
        ad_status rc = ad_exchange_udp(s, i, query, qlen, deadline, where, log, log_ctx, reply,
                                       rlen, err, errlen);
        if (rc != AD_OK || ((*reply)[2] & 0x02) == 0)
            return rc;
        if (log)
            log(log_ctx, "reply from %s is truncated: retrying over TCP", where);
        free(*reply);
        *reply = NULL;
    }
    return ad_exchange_tcp(s, i, query, qlen, deadline, where, log, log_ctx, reply, rlen, err,
                           errlen);
}
