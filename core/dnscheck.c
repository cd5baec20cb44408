/* DNS look-ups (CNAME, zone cut, NS, addresses) and the propagation check.
 *
 * Packets are built and parsed with ldns; the transport is our own so that
 * every query has a bounded time and the propagation check can keep many
 * queries in flight on two non-blocking UDP sockets. */
#include "dnscheck.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dnscheck_internal.h"
#include "log.h"
#include "util.h"

#define AD_DNS_RESOLVERS_MAX 16
#define AD_DNS_CNAME_MAX 8
#define AD_DNS_ITEMS_MAX 1000
#define AD_DNS_SERVERS_MAX 32 /* per zone */
#define AD_DNS_VALUE_MAX 1024
#define AD_DNS_TRY_MS 1000u   /* look-ups: one try */
#define AD_DNS_TRIES 2u       /* look-ups: tries per resolver */
#define AD_DNS_RTO_MS 1000u   /* propagation: retransmit timeout */
#define AD_DNS_POLL_FIRST 50u /* propagation: first interval */
#define AD_DNS_POLL_MAX 1000u /* propagation: largest interval */
#define AD_DNS_INFLIGHT_MAX 256
#define AD_DNS_EDNS_SIZE 1232
#define AD_DNS_DIAG_MAX 600

struct ad_dnscheck {
    struct sockaddr_storage res[AD_DNS_RESOLVERS_MAX];
    socklen_t reslen[AD_DNS_RESOLVERS_MAX];
    unsigned fails[AD_DNS_RESOLVERS_MAX]; /* look-ups that got no reply */
    size_t nres;
};

/* ---------------------------------------------------------------- helpers */

static bool name_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '*';
}

static unsigned char lower_c(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

ad_status ad_dnscheck_normalize(const char *in, char *out, size_t size)
{
    if (!in || !out || size <= AD_DNS_NAME_MAX)
        return AD_ERR_INTERNAL;
    size_t n = strnlen(in, AD_DNS_NAME_MAX + 2);
    if (n > 0 && in[n - 1] == '.')
        n--;
    if (n == 0 || n > AD_DNS_NAME_MAX)
        return AD_ERR_USAGE;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '.') {
            if (label == 0)
                return AD_ERR_USAGE;
            label = 0;
        } else {
            if (!name_char_ok(c) || ++label > 63)
                return AD_ERR_USAGE;
        }
        out[i] = (char)lower_c(c);
    }
    if (label == 0)
        return AD_ERR_USAGE;
    out[n] = '\0';
    return AD_OK;
}

ad_status ad_dnscheck_dname_str(const ldns_rdf *d, char *out, size_t size)
{
    if (!d || !out || size <= AD_DNS_NAME_MAX || ldns_rdf_get_type(d) != LDNS_RDF_TYPE_DNAME)
        return AD_ERR_PROTOCOL;
    const uint8_t *p = ldns_rdf_data(d);
    size_t n = ldns_rdf_size(d), i = 0, o = 0;
    while (p && i < n) {
        size_t l = p[i++];
        if (l == 0) {
            if (i != n)
                return AD_ERR_PROTOCOL;
            out[o] = '\0';
            return AD_OK;
        }
        if (l > 63 || l > n - i)
            return AD_ERR_PROTOCOL;
        if (o + (o ? 1 : 0) + l > AD_DNS_NAME_MAX)
            return AD_ERR_PROTOCOL;
        if (o)
            out[o++] = '.';
        for (size_t k = 0; k < l; k++) {
            if (!name_char_ok(p[i + k]))
                return AD_ERR_PROTOCOL;
            out[o++] = (char)lower_c(p[i + k]);
        }
        i += l;
    }
    return AD_ERR_PROTOCOL;
}

bool ad_dnscheck_dname_eq(const ldns_rdf *d, const char *name)
{
    if (!d || !name || ldns_rdf_get_type(d) != LDNS_RDF_TYPE_DNAME)
        return false;
    const uint8_t *p = ldns_rdf_data(d);
    size_t n = ldns_rdf_size(d), i = 0;
    const char *s = name;
    while (p && i < n) {
        size_t l = p[i++];
        if (l == 0)
            return *s == '\0' && i == n;
        if (l > n - i)
            return false;
        const char *dot = strchr(s, '.');
        size_t sl = dot ? (size_t)(dot - s) : strlen(s);
        if (sl != l || sl == 0)
            return false;
        for (size_t k = 0; k < l; k++)
            if (lower_c(p[i + k]) != lower_c((unsigned char)s[k]))
                return false;
        i += l;
        s += sl;
        if (*s == '.')
            s++;
    }
    return false;
}

bool ad_dnscheck_is_subdomain(const char *child, const char *parent)
{
    size_t c = strlen(child), p = strlen(parent);
    if (p == 0)
        return true;
    if (c == p)
        return strcmp(child, parent) == 0;
    return c > p && child[c - p - 1] == '.' && strcmp(child + c - p, parent) == 0;
}

static bool txt_equals(const ldns_rr *rr, const char *value, size_t vlen)
{
    size_t pos = 0;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        const ldns_rdf *f = ldns_rr_rdf(rr, i);
        if (!f || ldns_rdf_get_type(f) != LDNS_RDF_TYPE_STR)
            return false;
        const uint8_t *d = ldns_rdf_data(f);
        size_t sz = ldns_rdf_size(f);
        if (!d || sz < 1 || (size_t)d[0] + 1 > sz)
            return false;
        size_t l = d[0];
        if (l > vlen - pos || memcmp(d + 1, value + pos, l) != 0)
            return false;
        pos += l;
    }
    return pos == vlen;
}

static bool is_txt_at(const ldns_rr *rr, const char *name)
{
    return rr && ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT && ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
           ad_dnscheck_dname_eq(ldns_rr_owner(rr), name);
}

bool ad_dnscheck_pkt_has_txt(const ldns_pkt *pkt, const char *name, const char *value)
{
    if (!pkt || !name || !value)
        return false;
    const ldns_rr_list *an = ldns_pkt_answer(pkt);
    size_t vlen = strlen(value);
    for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        if (is_txt_at(rr, name) && txt_equals(rr, value, vlen))
            return true;
    }
    return false;
}

bool ad_dnscheck_pkt_any_txt(const ldns_pkt *pkt, const char *name)
{
    const ldns_rr_list *an = pkt ? ldns_pkt_answer(pkt) : NULL;
    for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++)
        if (is_txt_at(ldns_rr_list_rr(an, i), name))
            return true;
    return false;
}

static bool parse_port(const char *s, unsigned *port)
{
    size_t n = strlen(s);
    if (n == 0 || n > 5)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return false;
    *port = v;
    return true;
}

static bool parse_v6(const char *host, struct sockaddr_storage *sa, socklen_t *len)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET6;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    if (getaddrinfo(host, "53", &hints, &res) != 0 || !res)
        return false;
    bool ok = res->ai_addrlen <= sizeof *sa && res->ai_family == AF_INET6;
    if (ok) {
        memset(sa, 0, sizeof *sa);
        memcpy(sa, res->ai_addr, res->ai_addrlen);
        *len = (socklen_t)res->ai_addrlen;
    }
    freeaddrinfo(res);
    return ok;
}

ad_status ad_dnscheck_parse_addr(const char *s, struct sockaddr_storage *sa, socklen_t *len)
{
    char host[INET6_ADDRSTRLEN + 64];
    const char *port = NULL;
    bool bracket = false;
    if (!s || !sa || !len)
        return AD_ERR_INTERNAL;
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof host)
        return AD_ERR_USAGE;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close == s + 1)
            return AD_ERR_USAGE;
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = '\0';
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            return AD_ERR_USAGE;
        bracket = true;
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':')) {
            memcpy(host, s, n + 1); /* bare IPv6 */
            bracket = true;
        } else if (colon) {
            memcpy(host, s, (size_t)(colon - s));
            host[colon - s] = '\0';
            port = colon + 1;
        } else {
            memcpy(host, s, n + 1);
        }
    }
    unsigned p = 53;
    if (port && !parse_port(port, &p))
        return AD_ERR_USAGE;
    if (host[0] == '\0')
        return AD_ERR_USAGE;
    struct in_addr a4;
    if (!bracket && inet_pton(AF_INET, host, &a4) == 1) {
        struct sockaddr_in *in = (struct sockaddr_in *)sa;
        memset(sa, 0, sizeof *sa);
        in->sin_family = AF_INET;
        in->sin_addr = a4;
        in->sin_port = htons((uint16_t)p);
        *len = sizeof *in;
        return AD_OK;
    }
    if (!bracket || !parse_v6(host, sa, len))
        return AD_ERR_USAGE;
    ((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)p);
    return AD_OK;
}

size_t ad_dnscheck_resolv_conf(const char *text, struct sockaddr_storage *out, socklen_t *lens, size_t max)
{
    size_t count = 0;
    const char *line = text;
    while (line && *line && count < max) {
        const char *end = strchr(line, '\n');
        size_t l = end ? (size_t)(end - line) : strlen(line);
        char buf[256];
        if (l < sizeof buf) {
            memcpy(buf, line, l);
            buf[l] = '\0';
            char *save = NULL;
            char *kw = strtok_r(buf, " \t\r", &save);
            char *arg = kw ? strtok_r(NULL, " \t\r", &save) : NULL;
            if (kw && arg && strcmp(kw, "nameserver") == 0 &&
                ad_dnscheck_parse_addr(arg, &out[count], &lens[count]) == AD_OK)
                count++;
        }
        line = end ? end + 1 : NULL;
    }
    return count;
}

void ad_dnscheck_addr_str(const struct sockaddr *sa, char *buf, size_t size)
{
    char host[INET6_ADDRSTRLEN + 32];
    unsigned port = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        if (port == 53)
            snprintf(buf, size, "%s", host);
        else
            snprintf(buf, size, "%s:%u", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (getnameinfo(sa, sizeof *in6, host, sizeof host, NULL, 0, NI_NUMERICHOST) != 0)
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
        if (port == 53)
            snprintf(buf, size, "%s", host);
        else
            snprintf(buf, size, "[%s]:%u", host, port);
    } else {
        snprintf(buf, size, "?");
    }
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
        return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return false;
}

static void set_port(struct sockaddr_storage *sa, unsigned port)
{
    if (sa->ss_family == AF_INET)
        ((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
    else if (sa->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
}

static const char *rcode_name(unsigned rc)
{
    switch (rc) {
    case LDNS_RCODE_NOERROR: return "NOERROR";
    case LDNS_RCODE_FORMERR: return "FORMERR";
    case LDNS_RCODE_SERVFAIL: return "SERVFAIL";
    case LDNS_RCODE_NXDOMAIN: return "NXDOMAIN";
    case LDNS_RCODE_NOTIMPL: return "NOTIMP";
    case LDNS_RCODE_REFUSED: return "REFUSED";
    case LDNS_RCODE_NOTAUTH: return "NOTAUTH";
    default: return "an unknown RCODE";
    }
}

static const char *type_name(ldns_rr_type t)
{
    switch (t) {
    case LDNS_RR_TYPE_A: return "A";
    case LDNS_RR_TYPE_AAAA: return "AAAA";
    case LDNS_RR_TYPE_NS: return "NS";
    case LDNS_RR_TYPE_SOA: return "SOA";
    case LDNS_RR_TYPE_CNAME: return "CNAME";
    case LDNS_RR_TYPE_TXT: return "TXT";
    default: return "?";
    }
}

static uint16_t random_id(void)
{
    uint16_t v;
    if (getrandom(&v, sizeof v, 0) == (ssize_t)sizeof v)
        return v;
    static uint32_t x = 0x9e3779b9u;
    x ^= (uint32_t)ad_now_ms();
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return (uint16_t)x;
}

/* ------------------------------------------------------------- transport */

/* Query wire for NAME/TYPE with ID 0 (patched before sending).  Caller frees *WIRE. */
static ad_status build_query(const char *name, ldns_rr_type type, bool rd, uint8_t **wire, size_t *len)
{
    ad_status rc = AD_ERR_NOMEM;
    ldns_rdf *dn = ldns_dname_new_frm_str(name);
    ldns_pkt *p = NULL;
    if (!dn)
        goto out;
    p = ldns_pkt_query_new(dn, type, LDNS_RR_CLASS_IN, 0);
    if (!p) {
        ldns_rdf_deep_free(dn);
        goto out;
    }
    ldns_pkt_set_id(p, 0);
    ldns_pkt_set_rd(p, rd);
    ldns_pkt_set_edns_udp_size(p, AD_DNS_EDNS_SIZE);
    if (ldns_pkt2wire(wire, p, len) != LDNS_STATUS_OK || *len < 12)
        goto out;
    rc = AD_OK;
out:
    ldns_pkt_free(p);
    return rc;
}

/* Parse reply BUF/LEN to the query ID NAME/TYPE.  NULL when it is not one. */
static ldns_pkt *parse_reply(const uint8_t *buf, size_t len, uint16_t id, const char *name, ldns_rr_type type)
{
    if (len < 12 || (uint16_t)((buf[0] << 8) | buf[1]) != id || !(buf[2] & 0x80))
        return NULL;
    ldns_pkt *p = NULL;
    if (ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK || !p)
        return NULL;
    const ldns_rr_list *q = ldns_pkt_question(p);
    size_t nq = q ? ldns_rr_list_rr_count(q) : 0;
    if (nq == 1) {
        const ldns_rr *rr = ldns_rr_list_rr(q, 0);
        if (ldns_rr_get_type(rr) == type && ad_dnscheck_dname_eq(ldns_rr_owner(rr), name))
            return p;
    } else if (nq == 0 && ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR &&
               ldns_pkt_get_rcode(p) != LDNS_RCODE_NXDOMAIN) {
        return p; /* some servers drop the question from error replies */
    }
    ldns_pkt_free(p);
    return NULL;
}

/* Wait for EVENTS on FD until DEADLINE.  1 ready, 0 timed out, -1 error, -2 interrupted. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
    for (;;) {
        if (ad_is_interrupted())
            return -2;
        uint64_t now = ad_now_ms();
        if (now >= deadline)
            return 0;
        uint64_t left = deadline - now;
        struct pollfd pfd = {.fd = fd, .events = events};
        int r = poll(&pfd, 1, (int)(left > 100 ? 100 : left));
        if (r < 0 && errno != EINTR)
            return -1;
        if (r > 0)
            return (pfd.revents & (events | POLLHUP | POLLERR)) ? 1 : -1;
    }
}

/* One DNS query over TCP, bounded by DEADLINE.  WIRE carries the ID already. */
static ad_status query_tcp(const struct sockaddr_storage *sa, socklen_t salen, const uint8_t *wire, size_t wlen,
                           uint16_t id, const char *name, ldns_rr_type type, uint64_t deadline, ldns_pkt **out,
                           char *why, size_t whysz)
{
    ad_status rc = AD_ERR_NETWORK;
    uint8_t *buf = NULL;
    int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, whysz, "TCP socket: %s", strerror(errno));
        goto out;
    }
    if (connect(fd, (const struct sockaddr *)sa, salen) != 0 && errno != EINPROGRESS) {
        snprintf(why, whysz, "TCP connect: %s", strerror(errno));
        goto out;
    }
    int w = wait_fd(fd, POLLOUT, deadline), err = 0;
    socklen_t el = sizeof err;
    if (w == -2) {
        rc = AD_ERR_INTERRUPTED;
        goto out;
    }
    if (w != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
        snprintf(why, whysz, "TCP connect: %s", w == 0 ? "timed out" : strerror(err ? err : EIO));
        goto out;
    }
    buf = malloc(2 + (wlen > 65535 ? 65535 : wlen) + 65535);
    if (!buf) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    buf[0] = (uint8_t)(wlen >> 8);
    buf[1] = (uint8_t)wlen;
    memcpy(buf + 2, wire, wlen);
    size_t total = wlen + 2, done = 0;
    while (done < total) {
        ssize_t n = send(fd, buf + done, total - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            snprintf(why, whysz, "TCP send: %s", strerror(errno));
            goto out;
        }
        w = wait_fd(fd, POLLOUT, deadline);
        if (w != 1) {
            rc = w == -2 ? AD_ERR_INTERRUPTED : AD_ERR_NETWORK;
            snprintf(why, whysz, "TCP send: %s", w == 0 ? "timed out" : "failed");
            goto out;
        }
    }
    size_t need = 2, got = 0;
    bool have_len = false;
    while (got < need) {
        ssize_t n = recv(fd, buf + got, need - got, 0);
        if (n > 0) {
            got += (size_t)n;
            if (!have_len && got == 2) {
                need = 2 + (((size_t)buf[0] << 8) | buf[1]);
                have_len = true;
                if (need < 2 + 12) {
                    snprintf(why, whysz, "TCP reply too short");
                    rc = AD_ERR_PROTOCOL;
                    goto out;
                }
            }
            continue;
        }
        if (n == 0) {
            snprintf(why, whysz, "TCP connection closed early");
            goto out;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            snprintf(why, whysz, "TCP receive: %s", strerror(errno));
            goto out;
        }
        w = wait_fd(fd, POLLIN, deadline);
        if (w != 1) {
            rc = w == -2 ? AD_ERR_INTERRUPTED : AD_ERR_NETWORK;
            snprintf(why, whysz, "no answer over TCP%s", w == 0 ? " (timed out)" : "");
            goto out;
        }
    }
    *out = parse_reply(buf + 2, need - 2, id, name, type);
    if (!*out) {
        snprintf(why, whysz, "malformed or mismatched TCP reply");
        rc = AD_ERR_PROTOCOL;
        goto out;
    }
    rc = AD_OK;
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* One look-up at SA: UDP, TRIES tries of TRY_MS each, TCP when truncated.
 * On failure WHY says what happened.  Caller frees *OUT with ldns_pkt_free. */
static ad_status query_sync(const struct sockaddr_storage *sa, socklen_t salen, const char *name, ldns_rr_type type,
                            bool rd, ldns_pkt **out, char *why, size_t whysz)
{
    ad_status rc = AD_ERR_NETWORK;
    uint8_t *wire = NULL, *buf = NULL;
    size_t wlen = 0;
    int fd = -1;
    *out = NULL;
    snprintf(why, whysz, "no answer");
    rc = build_query(name, type, rd, &wire, &wlen);
    if (rc != AD_OK)
        goto out;
    rc = AD_ERR_NETWORK;
    buf = malloc(65536);
    if (!buf) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    fd = socket(sa->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)sa, salen) != 0) {
        snprintf(why, whysz, "%s", strerror(errno));
        goto out;
    }
    for (unsigned t = 0; t < AD_DNS_TRIES; t++) {
        uint16_t id = random_id();
        wire[0] = (uint8_t)(id >> 8);
        wire[1] = (uint8_t)id;
        if (send(fd, wire, wlen, 0) != (ssize_t)wlen) {
            snprintf(why, whysz, "send: %s", strerror(errno));
            goto out;
        }
        uint64_t deadline = ad_now_ms() + AD_DNS_TRY_MS;
        for (;;) {
            int w = wait_fd(fd, POLLIN, deadline);
            if (w == -2) {
                rc = AD_ERR_INTERRUPTED;
                goto out;
            }
            if (w == 0)
                break;
            ssize_t n = recv(fd, buf, 65536, 0);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                    continue;
                snprintf(why, whysz, "%s", strerror(errno)); /* ICMP: port unreachable... */
                goto out;
            }
            ldns_pkt *p = parse_reply(buf, (size_t)n, id, name, type);
            if (!p)
                continue;
            if (ldns_pkt_tc(p)) {
                ldns_pkt_free(p);
                rc = query_tcp(sa, salen, wire, wlen, id, name, type, ad_now_ms() + AD_DNS_TRY_MS, out, why,
                               whysz);
                goto out;
            }
            *out = p;
            rc = AD_OK;
            goto out;
        }
    }
    snprintf(why, whysz, "no answer (%u tries of %u ms)", AD_DNS_TRIES, AD_DNS_TRY_MS);
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    free(wire);
    return rc;
}

/* ------------------------------------------------------------- resolvers */

struct diag {
    char text[AD_DNS_DIAG_MAX];
    bool answered; /* some resolver replied at all */
};

static void diag_add(struct diag *d, const char *addr, const char *what)
{
    size_t l = strlen(d->text);
    if (l < sizeof d->text - 1)
        snprintf(d->text + l, sizeof d->text - l, "%s%s: %s", l ? "; " : "", addr, what);
}

/* Returns NULL to accept PKT, else why it is not usable (static or in ctx). */
typedef const char *(*judge_fn)(const ldns_pkt *pkt, void *ctx);

static const char *judge_rcode(const ldns_pkt *pkt, void *ctx)
{
    (void)ctx;
    ldns_pkt_rcode r = ldns_pkt_get_rcode(pkt);
    if (r == LDNS_RCODE_NOERROR || r == LDNS_RCODE_NXDOMAIN)
        return NULL;
    return rcode_name(r);
}

/* Ask the resolvers (the ones that answered best first) about NAME/TYPE until
 * JUDGE accepts a reply.  Caller frees *OUT.  AD_ERR_DNS when none did. */
static ad_status ask(struct ad_dnscheck *dc, const char *name, ldns_rr_type type, judge_fn judge, void *ctx,
                     ldns_pkt **out, struct diag *d)
{
    size_t order[AD_DNS_RESOLVERS_MAX];
    memset(d, 0, sizeof *d);
    *out = NULL;
    for (size_t i = 0; i < dc->nres; i++) { /* stable sort by failures */
        size_t j = i;
        while (j > 0 && dc->fails[order[j - 1]] > dc->fails[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (size_t k = 0; k < dc->nres; k++) {
        size_t i = order[k];
        char addr[AD_DNS_ADDRSTR_MAX], why[160];
        ldns_pkt *p = NULL;
        ad_dnscheck_addr_str((const struct sockaddr *)&dc->res[i], addr, sizeof addr);
        ad_status st = query_sync(&dc->res[i], dc->reslen[i], name, type, true, &p, why, sizeof why);
        if (st == AD_ERR_INTERRUPTED || st == AD_ERR_NOMEM)
            return st;
        if (st != AD_OK) {
            dc->fails[i]++;
            ad_debug("dns: %s %s at %s: %s", name, type_name(type), addr, why);
            diag_add(d, addr, why);
            continue;
        }
        d->answered = true;
        const char *no = judge(p, ctx);
        ad_debug("dns: %s %s at %s: %s%s%s", name, type_name(type), addr, rcode_name(ldns_pkt_get_rcode(p)),
                 no ? ", not usable: " : "", no ? no : "");
        if (!no) {
            *out = p;
            return AD_OK;
        }
        diag_add(d, addr, no);
        ldns_pkt_free(p);
    }
    return AD_ERR_DNS;
}

ad_status ad_dnscheck_new(const char *const *resolvers, size_t n, struct ad_dnscheck **out)
{
    ad_status rc = AD_ERR_NOMEM;
    struct ad_dnscheck *dc = NULL;
    char *text = NULL;
    FILE *f = NULL;
    *out = NULL;
    if (n > AD_DNS_RESOLVERS_MAX) {
        ad_err("too many DNS resolvers (%zu): give at most %d", n, AD_DNS_RESOLVERS_MAX);
        return AD_ERR_USAGE;
    }
    dc = calloc(1, sizeof *dc);
    if (!dc)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (!resolvers[i] || ad_dnscheck_parse_addr(resolvers[i], &dc->res[i], &dc->reslen[i]) != AD_OK) {
            ad_err("bad DNS resolver address \"%s\": give ADDR, ADDR:PORT or [IPV6]:PORT (numeric)",
                   resolvers[i] ? resolvers[i] : "(null)");
            rc = AD_ERR_USAGE;
            goto out;
        }
    }
    dc->nres = n;
    if (n == 0) {
        const size_t cap = 65536;
        f = fopen("/etc/resolv.conf", "re");
        if (!f) {
            ad_err("cannot read /etc/resolv.conf (%s): give the resolvers with --dns-resolver", strerror(errno));
            rc = AD_ERR_DNS;
            goto out;
        }
        text = malloc(cap);
        if (!text)
            goto out;
        size_t got = fread(text, 1, cap - 1, f);
        text[got] = '\0';
        dc->nres = ad_dnscheck_resolv_conf(text, dc->res, dc->reslen, AD_DNS_RESOLVERS_MAX);
        if (dc->nres == 0) {
            ad_err("/etc/resolv.conf names no usable nameserver: give the resolvers with --dns-resolver");
            rc = AD_ERR_DNS;
            goto out;
        }
    }
    for (size_t i = 0; i < dc->nres; i++) {
        char a[AD_DNS_ADDRSTR_MAX];
        ad_dnscheck_addr_str((const struct sockaddr *)&dc->res[i], a, sizeof a);
        ad_debug("dns: resolver %s%s", a, n == 0 ? " (from /etc/resolv.conf)" : "");
    }
    *out = dc;
    dc = NULL;
    rc = AD_OK;
out:
    if (f)
        fclose(f);
    free(text);
    free(dc);
    return rc;
}

void ad_dnscheck_free(struct ad_dnscheck *dc)
{
    free(dc);
}

/* ----------------------------------------------------------------- locate */

struct soa_ctx {
    const char *q;
    char zone[AD_DNS_NAME_MAX + 1];
    char referral[AD_DNS_NAME_MAX + 1];
    char why[AD_DNS_NAME_MAX + 64];
};

static const char *judge_soa(const ldns_pkt *pkt, void *vctx)
{
    struct soa_ctx *c = vctx;
    char owner[AD_DNS_NAME_MAX + 1];
    const char *no = judge_rcode(pkt, NULL);
    if (no)
        return no;
    const ldns_rr_list *an = ldns_pkt_answer(pkt), *au = ldns_pkt_authority(pkt);
    if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NOERROR) {
        for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
            const ldns_rr *rr = ldns_rr_list_rr(an, i);
            if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ad_dnscheck_dname_eq(ldns_rr_owner(rr), c->q)) {
                snprintf(c->zone, sizeof c->zone, "%s", c->q);
                return NULL;
            }
        }
    }
    for (size_t i = 0; au && i < ldns_rr_list_rr_count(au); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(au, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
            ad_dnscheck_dname_str(ldns_rr_owner(rr), owner, sizeof owner) == AD_OK &&
            ad_dnscheck_is_subdomain(c->q, owner)) {
            snprintf(c->zone, sizeof c->zone, "%s", owner);
            return NULL;
        }
    }
    for (size_t i = 0; au && i < ldns_rr_list_rr_count(au); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(au, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
            ad_dnscheck_dname_str(ldns_rr_owner(rr), owner, sizeof owner) == AD_OK && owner[0] &&
            ad_dnscheck_is_subdomain(c->q, owner)) {
            snprintf(c->referral, sizeof c->referral, "%s", owner);
            snprintf(c->why, sizeof c->why, "referral to the servers of %s", owner);
            return c->why;
        }
    }
    return "no SOA in the reply";
}

static const char *parent_of(const char *q)
{
    const char *dot = strchr(q, '.');
    return dot ? dot + 1 : "";
}

ad_status ad_dnscheck_locate(struct ad_dnscheck *dc, const char *name, char **target, char **zone)
{
    ad_status rc = AD_ERR_DNS;
    char chain[AD_DNS_CNAME_MAX + 1][AD_DNS_NAME_MAX + 1];
    char next[AD_DNS_NAME_MAX + 1];
    size_t hops = 0;
    ldns_pkt *p = NULL;
    struct diag d;
    struct soa_ctx sc;
    uint64_t t0 = ad_now_ms();

    *target = NULL;
    *zone = NULL;
    if (ad_dnscheck_normalize(name, chain[0], sizeof chain[0]) != AD_OK) {
        ad_err("not a valid DNS name: \"%.300s\"", name);
        return AD_ERR_USAGE;
    }
    const char *cur = chain[0];
    for (;;) {
        rc = ask(dc, cur, LDNS_RR_TYPE_CNAME, judge_rcode, NULL, &p, &d);
        if (rc == AD_ERR_INTERRUPTED || rc == AD_ERR_NOMEM)
            goto out;
        if (rc != AD_OK) {
            if (!d.answered) {
                ad_err("DNS look-up of %s failed (%s): check --dns-resolver", cur, d.text);
                rc = AD_ERR_DNS;
                goto out;
            }
            /* Non-recursive resolvers that do not serve the name: no CNAME
             * known here; the SOA search below says what is missing. */
            ad_debug("dns: no CNAME information for %s (%s)", cur, d.text);
            break;
        }
        bool moved = false;
        const ldns_rr_list *an = ldns_pkt_answer(p);
        for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
            const ldns_rr *rr = ldns_rr_list_rr(an, i);
            if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME || !ad_dnscheck_dname_eq(ldns_rr_owner(rr), cur) ||
                ldns_rr_rd_count(rr) < 1)
                continue;
            if (ad_dnscheck_dname_str(ldns_rr_rdf(rr, 0), next, sizeof next) != AD_OK || next[0] == '\0') {
                ad_err("the CNAME at %s points to a name we cannot use: fix the CNAME record", cur);
                rc = AD_ERR_DNS;
                goto out;
            }
            for (size_t k = 0; k <= hops; k++) {
                if (strcmp(chain[k], next) == 0) {
                    ad_err("CNAME loop: %s points back to %s: fix the CNAME records", cur, next);
                    rc = AD_ERR_DNS;
                    goto out;
                }
            }
            if (hops == AD_DNS_CNAME_MAX) {
                ad_err("more than %d CNAMEs from %s: shorten the chain", AD_DNS_CNAME_MAX, chain[0]);
                rc = AD_ERR_DNS;
                goto out;
            }
            ad_debug("dns: %s is a CNAME for %s", cur, next);
            memcpy(chain[++hops], next, sizeof next);
            cur = chain[hops];
            moved = true;
            i = (size_t)-1; /* a recursive reply may carry the next link too */
        }
        ldns_pkt_free(p);
        p = NULL;
        if (!moved)
            break;
    }

    const char *q = cur;
    for (;;) {
        memset(&sc, 0, sizeof sc);
        sc.q = q;
        rc = ask(dc, q, LDNS_RR_TYPE_SOA, judge_soa, &sc, &p, &d);
        if (rc == AD_ERR_INTERRUPTED || rc == AD_ERR_NOMEM)
            goto out;
        if (rc == AD_OK)
            break;
        rc = AD_ERR_DNS;
        if (!d.answered) {
            ad_err("DNS look-up of the zone of %s failed at %s (%s): check --dns-resolver", cur, q, d.text);
            goto out;
        }
        if (sc.referral[0]) {
            ad_err("cannot find the zone of %s: the resolvers only refer to the servers of %s (%s): give a "
                   "recursive resolver or one of those servers with --dns-resolver",
                   cur, sc.referral, d.text);
            goto out;
        }
        q = parent_of(q);
        if (!strchr(q, '.')) { /* never ask about a top-level domain or the root */
            ad_err("no zone found for %s (%s): is the domain delegated, and do the resolvers given with "
                   "--dns-resolver serve it or recurse?",
                   cur, d.text);
            goto out;
        }
    }
    ldns_pkt_free(p);
    p = NULL;
    if (sc.zone[0] == '\0' || !strchr(sc.zone, '.')) {
        ad_err("no zone found for %s: the resolvers only know the %s%s zone: is the domain delegated?", cur,
               sc.zone[0] ? "top-level " : "root", sc.zone);
        rc = AD_ERR_DNS;
        goto out;
    }
    *target = strdup(cur);
    *zone = strdup(sc.zone);
    if (!*target || !*zone) {
        free(*target);
        free(*zone);
        *target = *zone = NULL;
        rc = AD_ERR_NOMEM;
        goto out;
    }
    ad_debug("dns: %s%s%s is in zone %s (%llu ms)", chain[0], hops ? " -> " : "", hops ? cur : "", sc.zone,
             (unsigned long long)(ad_now_ms() - t0));
    rc = AD_OK;
out:
    ldns_pkt_free(p);
    return rc;
}

/* ------------------------------------------------------------------- wait */

enum probe_state {
    PS_NONE = 0, /* nothing heard yet */
    PS_TIMEOUT,  /* a query got no reply */
    PS_NXDOMAIN, /* the name does not exist there */
    PS_NODATA,   /* no TXT record at the name */
    PS_OTHER,    /* TXT records, but not every value */
    PS_REFERRAL, /* not authoritative: a referral */
    PS_RCODE,    /* REFUSED, SERVFAIL, NOTAUTH... */
    PS_SENDERR,  /* the query could not be sent */
    PS_TCPERR    /* truncated, and TCP failed */
};

struct server {
    struct sockaddr_storage sa;
    socklen_t len;
    size_t zone;
    char addr[AD_DNS_ADDRSTR_MAX];
    char ns[AD_DNS_NAME_MAX + 1];
    bool skipped;    /* unreachable address family, siblings checked */
    bool has_v4_sib; /* the same NS name has an IPv4 address */
};

struct item {
    char name[AD_DNS_NAME_MAX + 1];
    const char *value;
    size_t zone;
    size_t leader;      /* first item with the same name: it owns the query */
    size_t first_probe; /* leaders: probe of the zone's first server */
    uint8_t *wire;      /* leaders: the TXT query */
    size_t wlen;
    bool missing, seen; /* scratch for report() */
};

/* One name polled at one server address; it answers for every item (value)
 * with that name.  Its pairs are pair_ix[first_pair .. first_pair + npairs). */
struct probe {
    size_t server, item; /* item: the leader */
    size_t first_pair, npairs;
    uint64_t next;     /* when to send (idle) */
    uint64_t sent;     /* when sent (in flight) */
    unsigned interval; /* ms until the next query after a reply */
    uint16_t id;
    bool inflight, done;
    enum probe_state state;
    unsigned rcode;
    int err;
};

/* One item at one server address: done once the server served its value. */
struct pair {
    size_t item, probe;
    bool done;
};

struct waiter {
    struct item *items;
    size_t nitems;
    char (*zones)[AD_DNS_NAME_MAX + 1];
    size_t *zfirst, *zcount; /* each zone's servers, contiguous */
    size_t nzones;
    struct server *servers;
    size_t nservers, capservers;
    struct probe *probes;
    size_t nprobes;
    struct pair *pairs;
    size_t *pair_ix; /* pair indexes grouped by probe */
    size_t npairs;
    uint32_t *idmap; /* query id -> probe index + 1 */
    int fd4, fd6;
    size_t inflight;
    uint8_t *buf;
};

static const char *judge_ns(const ldns_pkt *pkt, void *ctx)
{
    const char *zone = ctx;
    if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR)
        return rcode_name(ldns_pkt_get_rcode(pkt));
    const ldns_rr_list *an = ldns_pkt_answer(pkt);
    for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && ad_dnscheck_dname_eq(ldns_rr_owner(rr), zone))
            return NULL;
    }
    return "no NS records in the answer";
}

static ad_status add_server(struct waiter *w, size_t zone, const struct sockaddr_storage *sa, socklen_t len,
                            const char *ns, unsigned port, size_t *count)
{
    struct sockaddr_storage a = *sa;
    set_port(&a, port);
    for (size_t i = 0; i < w->nservers; i++)
        if (w->servers[i].zone == zone && same_addr(&w->servers[i].sa, &a))
            return AD_OK; /* two NS names, one address */
    if (*count >= AD_DNS_SERVERS_MAX) {
        char s[AD_DNS_ADDRSTR_MAX];
        ad_dnscheck_addr_str((const struct sockaddr *)&a, s, sizeof s);
        ad_warn("zone %s has more than %d server addresses: %s (%s) is not checked", w->zones[zone],
                AD_DNS_SERVERS_MAX, s, ns);
        return AD_OK;
    }
    if (w->nservers == w->capservers) {
        size_t cap = w->capservers ? w->capservers * 2 : 8;
        struct server *ns2 = realloc(w->servers, cap * sizeof *ns2);
        if (!ns2)
            return AD_ERR_NOMEM;
        w->servers = ns2;
        w->capservers = cap;
    }
    struct server *s = &w->servers[w->nservers++];
    memset(s, 0, sizeof *s);
    s->sa = a;
    s->len = len;
    s->zone = zone;
    size_t nl = strnlen(ns, AD_DNS_NAME_MAX);
    memcpy(s->ns, ns, nl);
    s->ns[nl] = '\0';
    ad_dnscheck_addr_str((const struct sockaddr *)&a, s->addr, sizeof s->addr);
    (*count)++;
    return AD_OK;
}

/* Find the servers of zone Z: its NS set and each NS's addresses. */
static ad_status zone_servers(struct ad_dnscheck *dc, struct waiter *w, size_t z, unsigned port)
{
    ad_status rc = AD_ERR_DNS;
    const char *zone = w->zones[z];
    ldns_pkt *p = NULL, *pa = NULL;
    struct diag d;
    char nsnames[AD_DNS_SERVERS_MAX][AD_DNS_NAME_MAX + 1];
    size_t nns = 0, count = 0, first = w->nservers;

    rc = ask(dc, zone, LDNS_RR_TYPE_NS, judge_ns, (void *)zone, &p, &d);
    if (rc == AD_ERR_INTERRUPTED || rc == AD_ERR_NOMEM)
        goto out;
    if (rc != AD_OK) {
        ad_err("cannot find the name servers (NS) of zone %s (%s): check --dns-resolver", zone, d.text);
        rc = AD_ERR_DNS;
        goto out;
    }
    const ldns_rr_list *an = ldns_pkt_answer(p);
    for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        char nm[AD_DNS_NAME_MAX + 1];
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || !ad_dnscheck_dname_eq(ldns_rr_owner(rr), zone) ||
            ldns_rr_rd_count(rr) < 1)
            continue;
        if (ad_dnscheck_dname_str(ldns_rr_rdf(rr, 0), nm, sizeof nm) != AD_OK || nm[0] == '\0') {
            ad_err("zone %s has an NS record we cannot use: fix the zone's NS records", zone);
            rc = AD_ERR_DNS;
            goto out;
        }
        bool dup = false;
        for (size_t k = 0; k < nns; k++)
            dup = dup || strcmp(nsnames[k], nm) == 0;
        if (dup)
            continue;
        if (nns == AD_DNS_SERVERS_MAX) {
            ad_warn("zone %s has more than %d NS records: %s is not checked", zone, AD_DNS_SERVERS_MAX, nm);
            continue;
        }
        memcpy(nsnames[nns++], nm, sizeof nm);
    }
    ldns_pkt_free(p);
    p = NULL;

    for (size_t k = 0; k < nns; k++) {
        size_t found = 0;
        bool v4 = false;
        char whys[2][AD_DNS_DIAG_MAX];
        static const ldns_rr_type types[2] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
        for (int t = 0; t < 2; t++) {
            whys[t][0] = '\0';
            rc = ask(dc, nsnames[k], types[t], judge_rcode, NULL, &pa, &d);
            if (rc == AD_ERR_INTERRUPTED || rc == AD_ERR_NOMEM)
                goto out;
            if (rc != AD_OK) {
                snprintf(whys[t], sizeof whys[t], "%s", d.text);
                continue;
            }
            const ldns_rr_list *aa = ldns_pkt_answer(pa);
            for (size_t i = 0; aa && i < ldns_rr_list_rr_count(aa); i++) {
                const ldns_rr *rr = ldns_rr_list_rr(aa, i);
                const ldns_rdf *f = ldns_rr_rd_count(rr) >= 1 ? ldns_rr_rdf(rr, 0) : NULL;
                struct sockaddr_storage sa;
                socklen_t len;
                memset(&sa, 0, sizeof sa);
                if (ldns_rr_get_type(rr) != types[t] || !f)
                    continue;
                if (t == 0 && ldns_rdf_get_type(f) == LDNS_RDF_TYPE_A && ldns_rdf_size(f) == 4) {
                    struct sockaddr_in *in = (struct sockaddr_in *)&sa;
                    in->sin_family = AF_INET;
                    memcpy(&in->sin_addr, ldns_rdf_data(f), 4);
                    len = sizeof *in;
                    v4 = true;
                } else if (t == 1 && ldns_rdf_get_type(f) == LDNS_RDF_TYPE_AAAA && ldns_rdf_size(f) == 16) {
                    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
                    in6->sin6_family = AF_INET6;
                    memcpy(&in6->sin6_addr, ldns_rdf_data(f), 16);
                    len = sizeof *in6;
                } else {
                    continue;
                }
                rc = add_server(w, z, &sa, len, nsnames[k], port, &count);
                if (rc != AD_OK)
                    goto out;
                found++;
            }
            ldns_pkt_free(pa);
            pa = NULL;
        }
        if (found == 0) {
            bool any = whys[0][0] || whys[1][0], both = whys[0][0] && whys[1][0];
            ad_err("name server %s of zone %s has no address (A/AAAA)%s%s%s%s%s: fix its address records or the "
                   "zone's NS records",
                   nsnames[k], zone, any ? " (" : "", whys[0], both ? "; " : "", whys[1], any ? ")" : "");
            rc = AD_ERR_DNS;
            goto out;
        }
        for (size_t i = first; i < w->nservers; i++)
            if (strcmp(w->servers[i].ns, nsnames[k]) == 0)
                w->servers[i].has_v4_sib = v4;
    }
    if (w->nservers == first) {
        ad_err("zone %s has no name servers: fix the zone's NS records", zone);
        rc = AD_ERR_DNS;
        goto out;
    }
    for (size_t i = first; i < w->nservers; i++)
        ad_debug("dns: zone %s: server %s (%s)", zone, w->servers[i].addr, w->servers[i].ns);
    w->zfirst[z] = first;
    w->zcount[z] = w->nservers - first;
    rc = AD_OK;
out:
    ldns_pkt_free(p);
    ldns_pkt_free(pa);
    return rc;
}

static const char *state_text(const struct probe *p, char *buf, size_t size)
{
    switch (p->state) {
    case PS_NONE: return "no answer yet";
    case PS_TIMEOUT: return "no answer (timed out)";
    case PS_NXDOMAIN: return "answered NXDOMAIN";
    case PS_NODATA: return "answered without a TXT record";
    case PS_OTHER: return "serves other TXT values only";
    case PS_REFERRAL: return "answered with a referral: is it authoritative for the zone?";
    case PS_RCODE:
        snprintf(buf, size, "answered %s%s", rcode_name(p->rcode),
                 p->rcode == LDNS_RCODE_SERVFAIL ? ": is the zone loaded there?"
                                                 : ": is it authoritative for the zone?");
        return buf;
    case PS_SENDERR: snprintf(buf, size, "cannot send: %s", strerror(p->err)); return buf;
    case PS_TCPERR: return "truncated reply, and the TCP retry failed";
    }
    return "?";
}

static bool has_type(const ldns_rr_list *l, ldns_rr_type t)
{
    for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++)
        if (ldns_rr_get_type(ldns_rr_list_rr(l, i)) == t)
            return true;
    return false;
}

/* Schedule the next query of P after the current interval, and grow it. */
static void backoff(struct probe *p, uint64_t now)
{
    p->next = now + p->interval;
    p->interval = p->interval * 3 / 2 > AD_DNS_POLL_MAX ? AD_DNS_POLL_MAX : p->interval * 3 / 2;
}

static void probe_release(struct waiter *w, struct probe *p)
{
    if (p->inflight) {
        w->idmap[p->id] = 0;
        p->inflight = false;
        w->inflight--;
    }
}

/* Apply reply PKT to every value polled by probe P. */
static void probe_reply(struct waiter *w, struct probe *p, const ldns_pkt *pkt, uint64_t now)
{
    const struct item *lead = &w->items[p->item];
    const struct server *s = &w->servers[p->server];
    ldns_pkt_rcode r = ldns_pkt_get_rcode(pkt);
    bool all = true;
    for (size_t k = 0; k < p->npairs; k++) {
        struct pair *pr = &w->pairs[w->pair_ix[p->first_pair + k]];
        const struct item *it = &w->items[pr->item];
        if (!pr->done && r == LDNS_RCODE_NOERROR && ad_dnscheck_pkt_has_txt(pkt, it->name, it->value)) {
            pr->done = true;
            ad_debug("dns: %s (%s) serves \"%.64s\" at %s", s->addr, s->ns, it->value, it->name);
        }
        all = all && pr->done;
    }
    if (all) {
        p->done = true;
        return;
    }
    if (r == LDNS_RCODE_NOERROR) {
        if (ad_dnscheck_pkt_any_txt(pkt, lead->name))
            p->state = PS_OTHER;
        else if (!ldns_pkt_aa(pkt) && has_type(ldns_pkt_authority(pkt), LDNS_RR_TYPE_NS))
            p->state = PS_REFERRAL;
        else
            p->state = PS_NODATA;
    } else if (r == LDNS_RCODE_NXDOMAIN) {
        p->state = PS_NXDOMAIN;
    } else {
        p->state = PS_RCODE;
        p->rcode = r;
    }
    backoff(p, now);
}

static bool unreachable_errno(int e)
{
    return e == ENETUNREACH || e == EHOSTUNREACH || e == EADDRNOTAVAIL || e == EAFNOSUPPORT;
}

static void probe_send(struct waiter *w, size_t pi, uint64_t now)
{
    struct probe *p = &w->probes[pi];
    struct item *it = &w->items[p->item];
    struct server *s = &w->servers[p->server];
    int fd = s->sa.ss_family == AF_INET ? w->fd4 : w->fd6;
    uint16_t id;
    do
        id = random_id();
    while (w->idmap[id]);
    it->wire[0] = (uint8_t)(id >> 8);
    it->wire[1] = (uint8_t)id;
    ssize_t n = fd < 0 ? -1 : sendto(fd, it->wire, it->wlen, 0, (const struct sockaddr *)&s->sa, s->len);
    int e = fd < 0 ? EAFNOSUPPORT : errno;
    if (n == (ssize_t)it->wlen) {
        p->id = id;
        p->inflight = true;
        p->sent = now;
        w->idmap[id] = (uint32_t)pi + 1;
        w->inflight++;
        return;
    }
    if (n >= 0)
        e = EMSGSIZE;
    if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS || e == EINTR) {
        p->next = now + 10; /* socket buffer full: retry soon */
        return;
    }
    if (s->sa.ss_family == AF_INET6 && s->has_v4_sib && unreachable_errno(e) && !s->skipped) {
        s->skipped = true;
        ad_warn("cannot reach %s (%s): %s; checking its IPv4 addresses only", s->addr, s->ns, strerror(e));
    }
    if (s->skipped) {
        for (size_t i = 0; i < w->nprobes; i++) {
            struct probe *q = &w->probes[i];
            if (q->server != p->server)
                continue;
            probe_release(w, q);
            q->done = true;
            for (size_t k = 0; k < q->npairs; k++)
                w->pairs[w->pair_ix[q->first_pair + k]].done = true;
        }
        return;
    }
    p->state = PS_SENDERR;
    p->err = e;
    backoff(p, now);
}

static void handle_packet(struct waiter *w, const uint8_t *buf, size_t len, const struct sockaddr_storage *from)
{
    if (len < 12)
        return;
    uint16_t id = (uint16_t)((buf[0] << 8) | buf[1]);
    uint32_t slot = w->idmap[id];
    if (!slot)
        return;
    struct probe *p = &w->probes[slot - 1];
    struct server *s = &w->servers[p->server];
    struct item *it = &w->items[p->item];
    if (!same_addr(&s->sa, from))
        return;
    ldns_pkt *pkt = parse_reply(buf, len, id, it->name, LDNS_RR_TYPE_TXT);
    if (!pkt)
        return;
    probe_release(w, p);
    if (ldns_pkt_tc(pkt)) {
        /* Rare (TXT sets over 1232 bytes): one bounded TCP query, in line. */
        ldns_pkt *tp = NULL;
        char why[160];
        ldns_pkt_free(pkt);
        it->wire[0] = (uint8_t)(id >> 8); /* another server's query may have changed it */
        it->wire[1] = (uint8_t)id;
        if (query_tcp(&s->sa, s->len, it->wire, it->wlen, id, it->name, LDNS_RR_TYPE_TXT,
                      ad_now_ms() + AD_DNS_TRY_MS, &tp, why, sizeof why) == AD_OK) {
            probe_reply(w, p, tp, ad_now_ms());
            ldns_pkt_free(tp);
        } else {
            ad_debug("dns: %s at %s over TCP: %s", it->name, s->addr, why);
            p->state = PS_TCPERR;
            backoff(p, ad_now_ms());
        }
        return;
    }
    probe_reply(w, p, pkt, ad_now_ms());
    ldns_pkt_free(pkt);
}

static void drain(struct waiter *w, int fd)
{
    for (int k = 0; k < 1024; k++) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        memset(&from, 0, sizeof from);
        ssize_t n = recvfrom(fd, w->buf, 65536, 0, (struct sockaddr *)&from, &fl);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* EAGAIN, or an ICMP error on the socket: retries cover it */
        }
        handle_packet(w, w->buf, (size_t)n, &from);
    }
}

/* Log what is still missing where: one info line (progress), or on timeout
 * one error line per record and server, and what to do.  Linear in pairs. */
static void report(struct waiter *w, bool final, unsigned timeout_ms)
{
    size_t missing_items = 0;
    for (size_t i = 0; i < w->nitems; i++)
        w->items[i].missing = w->items[i].seen = false;
    for (size_t k = 0; k < w->npairs; k++) {
        const struct pair *pr = &w->pairs[k];
        if (!pr->done)
            w->items[pr->item].missing = true;
        else if (!w->servers[w->probes[pr->probe].server].skipped)
            w->items[pr->item].seen = true;
    }
    for (size_t i = 0; i < w->nitems; i++)
        missing_items += w->items[i].missing;
    if (final) {
        ad_err("propagation check timed out after %.1f s: %zu record%s not served by every authoritative server",
               timeout_ms / 1000.0, missing_items, missing_items == 1 ? " is" : "s are");
        size_t shown = 0;
        bool nowhere = false, partial = false, refused = false;
        for (size_t k = 0; k < w->npairs; k++) {
            const struct pair *pr = &w->pairs[k];
            const struct probe *p = &w->probes[pr->probe];
            const struct server *s = &w->servers[p->server];
            char b[128];
            if (pr->done)
                continue;
            refused = refused || p->state == PS_RCODE || p->state == PS_REFERRAL;
            nowhere = nowhere || !w->items[pr->item].seen;
            partial = partial || w->items[pr->item].seen;
            if (shown < 50)
                ad_err("  %s TXT \"%.64s\" missing at %s (%s): %s", w->items[pr->item].name,
                       w->items[pr->item].value, s->addr, s->ns, state_text(p, b, sizeof b));
            shown++;
        }
        if (shown > 50)
            ad_err("  and %zu more", shown - 50);
        if (nowhere)
            ad_err("no authoritative server serves some of the values: check that the DNS provider published "
                   "them in the right zone, or raise --propagation-timeout");
        if (refused)
            ad_err("some servers of the zone do not answer for it: check the zone's NS records and that each "
                   "server is configured for the zone");
        if (partial)
            ad_err("check that the secondary name servers receive the zone's updates (NOTIFY and zone transfers "
                   "from the primary), or raise --propagation-timeout");
        return;
    }
    char line[2048], notes[1024];
    size_t o = 0, no = 0, listed = 0, more = 0;
    o += (size_t)snprintf(line, sizeof line, "waiting for %zu record%s:", missing_items,
                          missing_items == 1 ? "" : "s");
    notes[0] = '\0';
    for (size_t i = 0; i < w->nprobes; i++) { /* one entry per name and server */
        const struct probe *p = &w->probes[i];
        const struct server *s = &w->servers[p->server];
        if (p->done)
            continue;
        if (listed == 8) {
            more++;
            continue;
        }
        if (o < sizeof line)
            o += (size_t)snprintf(line + o, sizeof line - o, "%s %s at %s (%s)", listed ? "," : "",
                                  w->items[p->item].name, s->addr, s->ns);
        listed++;
        if (p->state == PS_RCODE || p->state == PS_REFERRAL || p->state == PS_SENDERR || p->state == PS_TIMEOUT ||
            p->state == PS_TCPERR) {
            char b[128], n1[256];
            snprintf(n1, sizeof n1, "%s %s", s->addr, state_text(p, b, sizeof b));
            if (!strstr(notes, n1) && no < sizeof notes)
                no += (size_t)snprintf(notes + no, sizeof notes - no, "; %s", n1);
        }
    }
    if (more && o < sizeof line)
        o += (size_t)snprintf(line + o, sizeof line - o, " and %zu more", more);
    ad_info("%s%s", line, notes);
}

static void waiter_free(struct waiter *w)
{
    for (size_t i = 0; w->items && i < w->nitems; i++)
        free(w->items[i].wire);
    free(w->items);
    free(w->zones);
    free(w->zfirst);
    free(w->zcount);
    free(w->servers);
    free(w->probes);
    free(w->pairs);
    free(w->pair_ix);
    free(w->idmap);
    free(w->buf);
    if (w->fd4 >= 0)
        close(w->fd4);
    if (w->fd6 >= 0)
        close(w->fd6);
}

/* Items, zones, servers, probes and pairs; caller frees W with waiter_free. */
static ad_status waiter_setup(struct ad_dnscheck *dc, struct waiter *w, const struct ad_dnscheck_item *items,
                              size_t n, unsigned ns_port)
{
    ad_status rc = AD_ERR_NOMEM;
    w->items = calloc(n, sizeof *w->items);
    w->zones = calloc(n, sizeof *w->zones);
    w->zfirst = calloc(n, sizeof *w->zfirst);
    w->zcount = calloc(n, sizeof *w->zcount);
    w->idmap = calloc(65536, sizeof *w->idmap);
    w->buf = malloc(65536);
    if (!w->items || !w->zones || !w->zfirst || !w->zcount || !w->idmap || !w->buf)
        return AD_ERR_NOMEM;
    w->nitems = n;
    for (size_t i = 0; i < n; i++) {
        struct item *it = &w->items[i];
        char z[AD_DNS_NAME_MAX + 1];
        if (!items[i].name || !items[i].zone || !items[i].value ||
            ad_dnscheck_normalize(items[i].name, it->name, sizeof it->name) != AD_OK ||
            ad_dnscheck_normalize(items[i].zone, z, sizeof z) != AD_OK || !ad_dnscheck_is_subdomain(it->name, z) ||
            strnlen(items[i].value, AD_DNS_VALUE_MAX + 1) > AD_DNS_VALUE_MAX) {
            ad_err("bad record to check: %.300s in zone %.300s", items[i].name ? items[i].name : "(null)",
                   items[i].zone ? items[i].zone : "(null)");
            return AD_ERR_INTERNAL;
        }
        it->value = items[i].value;
        size_t zi = 0;
        while (zi < w->nzones && strcmp(w->zones[zi], z) != 0)
            zi++;
        if (zi == w->nzones)
            memcpy(w->zones[w->nzones++], z, sizeof z);
        it->zone = zi;
        it->leader = i;
        for (size_t j = 0; j < i; j++) {
            if (w->items[j].leader == j && strcmp(w->items[j].name, it->name) == 0) {
                if (w->items[j].zone != zi) {
                    ad_err("%s is given in two zones (%s and %s)", it->name, w->zones[w->items[j].zone], z);
                    return AD_ERR_INTERNAL;
                }
                it->leader = j;
                break;
            }
        }
        if (it->leader == i) {
            rc = build_query(it->name, LDNS_RR_TYPE_TXT, false, &it->wire, &it->wlen);
            if (rc != AD_OK)
                return rc;
        }
    }
    for (size_t z = 0; z < w->nzones; z++) {
        rc = zone_servers(dc, w, z, ns_port);
        if (rc != AD_OK)
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        struct item *it = &w->items[i];
        size_t c = w->zcount[it->zone];
        w->npairs += c;
        if (it->leader == i) {
            it->first_probe = w->nprobes;
            w->nprobes += c;
        }
    }
    w->probes = calloc(w->nprobes, sizeof *w->probes);
    w->pairs = calloc(w->npairs, sizeof *w->pairs);
    w->pair_ix = calloc(w->npairs, sizeof *w->pair_ix);
    if (!w->probes || !w->pairs || !w->pair_ix)
        return AD_ERR_NOMEM;
    uint64_t now = ad_now_ms();
    for (size_t i = 0; i < n; i++) {
        const struct item *it = &w->items[i];
        if (it->leader != i)
            continue;
        for (size_t k = 0; k < w->zcount[it->zone]; k++) {
            struct probe *p = &w->probes[it->first_probe + k];
            p->server = w->zfirst[it->zone] + k;
            p->item = i;
            p->interval = AD_DNS_POLL_FIRST;
            p->next = now;
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct item *it = &w->items[i];
        for (size_t j = 0; j < w->zcount[it->zone]; j++) {
            w->pairs[k].item = i;
            w->pairs[k].probe = w->items[it->leader].first_probe + j;
            w->probes[w->pairs[k].probe].npairs++;
            k++;
        }
    }
    size_t at = 0;
    for (size_t i = 0; i < w->nprobes; i++) {
        w->probes[i].first_pair = at;
        at += w->probes[i].npairs;
        w->probes[i].npairs = 0;
    }
    for (k = 0; k < w->npairs; k++) {
        struct probe *p = &w->probes[w->pairs[k].probe];
        w->pair_ix[p->first_pair + p->npairs++] = k;
    }
    return AD_OK;
}

ad_status ad_dnscheck_wait(struct ad_dnscheck *dc, const struct ad_dnscheck_item *items, size_t n,
                           unsigned ns_port, unsigned timeout_ms)
{
    ad_status rc = AD_ERR_NOMEM;
    struct waiter w;
    uint64_t t0 = ad_now_ms();
    memset(&w, 0, sizeof w);
    w.fd4 = w.fd6 = -1;

    if (n == 0)
        return AD_OK;
    if (!items || n > AD_DNS_ITEMS_MAX) {
        ad_err("too many records to check (%zu, at most %d)", n, AD_DNS_ITEMS_MAX);
        return AD_ERR_USAGE;
    }
    if (ns_port == 0 || ns_port > 65535) {
        ad_err("bad name server port %u", ns_port);
        return AD_ERR_USAGE;
    }
    rc = waiter_setup(dc, &w, items, n, ns_port);
    if (rc != AD_OK)
        goto out;
    bool want4 = false, want6 = false;
    for (size_t s = 0; s < w.nservers; s++) {
        want4 = want4 || w.servers[s].sa.ss_family == AF_INET;
        want6 = want6 || w.servers[s].sa.ss_family == AF_INET6;
    }
    if (want4)
        w.fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (want6)
        w.fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if ((want4 && w.fd4 < 0) || (want6 && w.fd6 < 0 && errno != EAFNOSUPPORT)) {
        ad_err("cannot open a UDP socket: %s", strerror(errno));
        rc = AD_ERR_NETWORK;
        goto out;
    }
    ad_debug("dns: checking %zu record%s on %zu server address%s (%zu queries per round)", w.nitems,
             w.nitems == 1 ? "" : "s", w.nservers, w.nservers == 1 ? "" : "es", w.nprobes);

    uint64_t now = ad_now_ms();
    uint64_t deadline = now + timeout_ms, next_report = now + 1000;
    for (;;) {
        if (ad_is_interrupted()) {
            ad_err("interrupted while waiting for the DNS records to propagate");
            rc = AD_ERR_INTERRUPTED;
            goto out;
        }
        now = ad_now_ms();
        size_t left = 0;
        uint64_t wake = deadline;
        for (size_t i = 0; i < w.nprobes; i++) {
            struct probe *p = &w.probes[i];
            if (p->done)
                continue;
            if (p->inflight && now >= p->sent + AD_DNS_RTO_MS) {
                probe_release(&w, p);
                p->state = PS_TIMEOUT;
                p->next = now; /* the retransmit timeout was the wait */
            }
            if (!p->inflight && now >= p->next && w.inflight < AD_DNS_INFLIGHT_MAX && now < deadline)
                probe_send(&w, i, now);
            if (p->done)
                continue;
            left++;
            uint64_t t = p->inflight ? p->sent + AD_DNS_RTO_MS : p->next;
            if (!p->inflight && t <= now)
                t = now + 10; /* waiting for a free slot */
            if (t < wake)
                wake = t;
        }
        if (left == 0)
            break;
        if (now >= deadline) {
            report(&w, true, timeout_ms);
            rc = AD_ERR_PROPAGATION;
            goto out;
        }
        if (now >= next_report) {
            report(&w, false, timeout_ms);
            next_report = now + 1000;
        }
        if (next_report < wake)
            wake = next_report;
        uint64_t ms = wake > now ? wake - now : 0;
        if (ms > 100)
            ms = 100; /* a signal between the check and poll() costs at most this */
        struct pollfd pfd[2];
        nfds_t nf = 0;
        if (w.fd4 >= 0)
            pfd[nf++] = (struct pollfd){.fd = w.fd4, .events = POLLIN};
        if (w.fd6 >= 0)
            pfd[nf++] = (struct pollfd){.fd = w.fd6, .events = POLLIN};
        int r = poll(pfd, nf, (int)ms);
        if (r < 0 && errno != EINTR) {
            ad_err("poll: %s", strerror(errno));
            rc = AD_ERR_NETWORK;
            goto out;
        }
        for (nfds_t i = 0; r > 0 && i < nf; i++)
            if (pfd[i].revents)
                drain(&w, pfd[i].fd);
    }
    ad_info("every authoritative server serves the %zu record%s (%llu ms)", w.nitems, w.nitems == 1 ? "" : "s",
            (unsigned long long)(ad_now_ms() - t0));
    rc = AD_OK;
out:
    waiter_free(&w);
    return rc;
}
