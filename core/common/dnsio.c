#include "dnsio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "parse.h"

#define AD_DNS_FIRST_RTO_MS 1000u

static bool is_reply(const uint8_t *q, const uint8_t *r, size_t rlen)
{
    return r && rlen >= LDNS_HEADER_SIZE && r[0] == q[0] && r[1] == q[1] && LDNS_QR_WIRE(r);
}

static struct timeval tv_until(uint64_t deadline)
{
    uint64_t now = ad_now_ms(), left = deadline > now ? deadline - now : 1;
    return (struct timeval){.tv_sec = (time_t)(left / 1000), .tv_usec = (suseconds_t)(left % 1000) * 1000};
}

static ad_status udp(const struct sockaddr_storage *sa, socklen_t salen, ldns_buffer *qb, uint64_t deadline,
                     struct ad_dns_xfer *x, const char *where, uint8_t **reply, size_t *rlen, char *why,
                     size_t whylen)
{
    ad_status rc = AD_ERR_NETWORK;
    const uint8_t *q = ldns_buffer_begin(qb);
    int fd = ldns_udp_connect2(sa, tv_until(deadline));
    /* connected: ICMP errors reach us, and datagrams from anyone else do not */
    if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || fcntl(fd, F_SETFL, O_NONBLOCK) != 0 ||
        connect(fd, (const struct sockaddr *)sa, salen) != 0) {
        snprintf(why, whylen, "cannot open a UDP socket to DNS server %s: %s", where, strerror(errno));
        goto out;
    }
    for (uint64_t rto = AD_DNS_FIRST_RTO_MS;; rto *= 2) {
        uint64_t now = ad_now_ms();
        if (now >= deadline)
            break;
        if (ldns_udp_send_query(qb, fd, sa, salen) == 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(why, whylen, "cannot send to DNS server %s over UDP: %s", where, strerror(errno));
            goto out;
        }
        x->sends++;
        uint64_t until = now + rto < deadline ? now + rto : deadline;
        for (;;) {
            enum ad_poll w = ad_poll_fd(fd, POLLIN, until, x->stop, x->stop_ctx);
            if (w == AD_POLL_STOPPED) {
                snprintf(why, whylen, "interrupted while waiting for DNS server %s", where);
                rc = AD_ERR_INTERRUPTED;
                goto out;
            }
            if (w == AD_POLL_TIMEOUT)
                break;
            size_t n = 0;
            errno = 0;
            uint8_t *r = w == AD_POLL_READY ? ldns_udp_read_wire(fd, &n, NULL, NULL) : NULL;
            if (!r && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                continue;
            if (!r && errno == ECONNREFUSED) {
                snprintf(why, whylen, "DNS server %s refused the UDP packet: nothing listens there (is the "
                         "server running?)", where);
                goto out;
            }
            if (!r && errno != 0) {
                snprintf(why, whylen, "no answer from DNS server %s over UDP: %s", where, strerror(errno));
                goto out;
            }
            if (is_reply(q, r, n)) {
                *reply = r;
                *rlen = n;
                rc = AD_OK;
                goto out;
            }
            free(r); /* not ours (an old query's reply, an empty datagram): keep waiting */
        }
    }
    snprintf(why, whylen, "DNS server %s did not answer (%u UDP queries)", where, x->sends);
    rc = AD_ERR_TIMEOUT;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* ldns 1.8.3's ldns_tcp_connect blocks for its whole timeout: the connect is
 * ours, so that the stop check runs during it too; ldns sends and reads. */
static ad_status tcp(const struct sockaddr_storage *sa, socklen_t salen, ldns_buffer *qb, uint64_t deadline,
                     struct ad_dns_xfer *x, const char *where, uint8_t **reply, size_t *rlen, char *why,
                     size_t whylen)
{
    ad_status rc = AD_ERR_NETWORK;
    int err = 0;
    socklen_t el = sizeof err;
    uint8_t *r = NULL;
    size_t n = 0;
    enum ad_poll w = AD_POLL_ERROR;
    int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    x->tcp = true;
    if (fd < 0 || (connect(fd, (const struct sockaddr *)sa, salen) != 0 && errno != EINPROGRESS)) {
        snprintf(why, whylen, "cannot connect to DNS server %s over TCP: %s", where, strerror(errno));
        goto out;
    }
    w = ad_poll_fd(fd, POLLOUT, deadline, x->stop, x->stop_ctx);
    if (w == AD_POLL_READY && (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0)) {
        snprintf(why, whylen, "cannot connect to DNS server %s over TCP: %s", where, strerror(err ? err : errno));
        goto out;
    }
    struct timeval tv = tv_until(deadline);
    if (w == AD_POLL_READY && (fcntl(fd, F_SETFL, 0) != 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
                               ldns_tcp_send_query(qb, fd, sa, salen) == 0)) {
        snprintf(why, whylen, "cannot send to DNS server %s over TCP: %s", where, strerror(errno));
        goto out;
    }
    if (w == AD_POLL_READY)
        w = ad_poll_fd(fd, POLLIN, deadline, x->stop, x->stop_ctx);
    if (w == AD_POLL_READY && !(r = ldns_tcp_read_wire_timeout(fd, &n, tv_until(deadline)))) {
        snprintf(why, whylen, "DNS server %s closed the TCP connection without a whole reply", where);
        goto out;
    }
    if (w == AD_POLL_STOPPED) {
        snprintf(why, whylen, "interrupted while waiting for DNS server %s", where);
        rc = AD_ERR_INTERRUPTED;
    } else if (w == AD_POLL_TIMEOUT) {
        snprintf(why, whylen, "DNS server %s did not answer over TCP", where);
        rc = AD_ERR_TIMEOUT;
    } else if (w == AD_POLL_ERROR) {
        snprintf(why, whylen, "cannot wait for DNS server %s: %s", where, strerror(errno));
    } else if (!is_reply(ldns_buffer_begin(qb), r, n)) {
        snprintf(why, whylen, "DNS server %s sent a TCP reply that is not ours (wrong ID)", where);
        rc = AD_ERR_PROTOCOL;
    } else {
        *reply = r;
        *rlen = n;
        r = NULL;
        rc = AD_OK;
    }
out:
    free(r);
    if (fd >= 0)
        close(fd);
    return rc;
}

ad_status ad_dns_exchange(const struct sockaddr_storage *sa, socklen_t salen, const uint8_t *query,
                          size_t qlen, struct ad_dns_xfer *x, uint8_t **reply, size_t *rlen,
                          char *why, size_t whylen)
{
    char where[AD_ADDRSTR_MAX];
    uint64_t deadline = ad_now_ms() + x->timeout_ms;
    ad_status rc = AD_ERR_NOMEM;
    ldns_buffer *qb = NULL;
    *reply = NULL;
    x->tcp = false;
    x->sends = 0;
    if (qlen < LDNS_HEADER_SIZE || qlen > LDNS_MAX_PACKETLEN) {
        snprintf(why, whylen, "internal error: a DNS message of %zu bytes", qlen);
        return AD_ERR_INTERNAL;
    }
    if (!(qb = ldns_buffer_new(qlen)))
        goto out;
    ldns_buffer_write(qb, query, qlen);
    ad_addr_str((const struct sockaddr *)sa, where, sizeof where);
    if (!x->force_tcp && qlen <= AD_DNS_UDP_MAX) {
        rc = udp(sa, salen, qb, deadline, x, where, reply, rlen, why, whylen);
        if (rc != AD_OK || !LDNS_TC_WIRE(*reply))
            goto out;
        free(*reply); /* truncated: again over TCP */
        *reply = NULL;
    }
    rc = tcp(sa, salen, qb, deadline, x, where, reply, rlen, why, whylen);
out:
    if (rc == AD_ERR_NOMEM)
        snprintf(why, whylen, "out of memory");
    ldns_buffer_free(qb);
    return rc;
}

const char *ad_dns_rcode_str(unsigned rcode, char *buf, size_t size)
{
    char *s = ldns_pkt_rcode2str((ldns_pkt_rcode)rcode);
    snprintf(buf, size, "%s", s ? s : "?");
    free(s);
    return buf;
}
