/* The propagation check: every authoritative server of each record's zone,
 * asked directly and without recursion, must serve each value.  All records
 * and servers are polled at once on two non-blocking UDP sockets (ldns has
 * no such fan-out), with ldns-built queries and ldns-parsed answers; a
 * truncated reply is asked again over a non-blocking TCP connection in the
 * same loop, so that no server holds up the others or the deadline. */
#include "propagation.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dnscheck.h"
#include "dnsio.h"
#include "killpoint.h"
#include "locate.h"
#include "log.h"
#include "nameservers.h"
#include "util.h"

#define AD_DNS_ITEMS_MAX 1000
#define AD_DNS_VALUE_MAX 1024
#define AD_DNS_RTO_MS 1000u   /* retransmit timeout */
#define AD_DNS_POLL_FIRST 50u /* first interval */
#define AD_DNS_POLL_MAX 1000u /* largest interval */
#define AD_DNS_INFLIGHT_MAX 256
#define AD_DNS_TCP_MAX 32      /* TCP connections at once */
#define AD_DNS_TCP_MS 2000u    /* one TCP query */

static bool txt_equals(const ldns_rr *rr, const char *value, size_t vlen)
{
    size_t pos = 0;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        const ldns_rdf *f = ldns_rr_rdf(rr, i);
        const uint8_t *d = ldns_rdf_data(f);
        size_t sz = ldns_rdf_size(f);
        if (ldns_rdf_get_type(f) != LDNS_RDF_TYPE_STR || sz < 1 || (size_t)d[0] + 1 > sz)
            return false;
        if (d[0] > vlen - pos || memcmp(d + 1, value + pos, d[0]) != 0)
            return false;
        pos += d[0];
    }
    return pos == vlen;
}

static bool is_txt_at(const ldns_rr *rr, const ldns_rdf *name)
{
    return ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT && ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
           ldns_dname_compare(ldns_rr_owner(rr), name) == 0;
}

bool ad_pkt_has_txt(const ldns_pkt *pkt, const ldns_rdf *name, const char *value)
{
    const ldns_rr_list *an = ldns_pkt_answer(pkt);
    for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++)
        if (is_txt_at(ldns_rr_list_rr(an, i), name) && txt_equals(ldns_rr_list_rr(an, i), value, strlen(value)))
            return true;
    return false;
}

bool ad_pkt_any_txt(const ldns_pkt *pkt, const ldns_rdf *name)
{
    const ldns_rr_list *an = ldns_pkt_answer(pkt);
    for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++)
        if (is_txt_at(ldns_rr_list_rr(an, i), name))
            return true;
    return false;
}

enum probe_state {
    PS_NONE = 0, /* nothing heard yet */
    PS_TIMEOUT,  /* a query got no reply */
    PS_NXDOMAIN, /* the name does not exist there */
    PS_NODATA,   /* no TXT record at the name */
    PS_OTHER,    /* TXT records, but not every value */
    PS_REFERRAL, /* not authoritative: a referral */
    PS_RCODE,    /* REFUSED, SERVFAIL, NOTAUTH... */
    PS_SENDERR,  /* the query could not be sent */
    PS_TCPERR,   /* truncated, and TCP failed */
    PS_STILL     /* gone: it still serves the value */
};

struct server {
    struct ad_ns_server ns;
    size_t zone;
    bool skipped; /* unreachable address family, siblings checked */
};

struct item {
    char name[AD_NAME_MAX + 1];
    ldns_rdf *dname;
    const char *value;
    size_t zone;
    size_t leader;      /* first item with the same name: it owns the query */
    size_t first_probe; /* leaders: probe of the zone's first server */
    uint8_t *wire;      /* leaders: the TXT query, its ID patched per send */
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
    bool answered;      /* some reply came */
    bool tcp, sending;  /* a TCP query runs (tfd): connecting and sending, or reading */
    int tfd;
    uint8_t *tbuf;      /* the TCP reply: 2-byte length, message */
    size_t tgot;
    uint64_t tuntil;
    enum probe_state state;
    unsigned rcode;
    int err;
};

/* One item at one server address: done once the server served its value. */
struct pair {
    size_t item, probe;
    bool done;
    uint64_t at; /* when it was done */
};

struct waiter {
    struct item *items;
    size_t nitems;
    char (*zones)[AD_NAME_MAX + 1];
    size_t *zfirst, *zcount; /* each zone's servers, contiguous */
    size_t nzones;
    struct server *servers;
    size_t nservers;
    struct probe *probes;
    size_t nprobes;
    struct pair *pairs;
    size_t *pair_ix; /* pair indexes grouped by probe */
    size_t npairs;
    uint32_t *idmap; /* query id -> probe index + 1 */
    int fd4, fd6;
    size_t inflight, ntcp;
    uint8_t *buf;
    uint64_t deadline; /* the whole wait's */
    bool gone;          /* waiting for the values to go, not to come */
    struct pollfd *pfd; /* fd4, fd6, then one per TCP query */
    size_t *pfd_probe;  /* the probe of each TCP pollfd */
};

static const char *state_text(const struct probe *p, char *buf, size_t size)
{
    char rc[32];
    switch (p->state) {
    case PS_NONE: return "no answer yet";
    case PS_TIMEOUT: return "no answer (timed out)";
    case PS_NXDOMAIN: return "answered NXDOMAIN";
    case PS_NODATA: return "answered without a TXT record";
    case PS_OTHER: return "serves other TXT values only";
    case PS_REFERRAL: return "answered with a referral: is it authoritative for the zone?";
    case PS_RCODE:
        snprintf(buf, size, "answered %s%s", ad_dns_rcode_str(p->rcode, rc, sizeof rc),
                 p->rcode == LDNS_RCODE_SERVFAIL ? ": is the zone loaded there?" : ": is it authoritative for the zone?");
        return buf;
    case PS_SENDERR: snprintf(buf, size, "cannot send: %s", strerror(p->err)); return buf;
    case PS_TCPERR: return "truncated reply, and the TCP retry failed";
    case PS_STILL: return "still serves it";
    }
    return "?";
}

static bool has_type(const ldns_rr_list *l, ldns_rr_type t)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
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
    bool referral = !ldns_pkt_aa(pkt) && has_type(ldns_pkt_authority(pkt), LDNS_RR_TYPE_NS);
    /* gone: an authoritative answer that the name or the value is not there */
    bool final = w->gone && (r == LDNS_RCODE_NXDOMAIN || (r == LDNS_RCODE_NOERROR && !referral));
    p->answered = true;
    for (size_t k = 0; k < p->npairs; k++) {
        struct pair *pr = &w->pairs[w->pair_ix[p->first_pair + k]];
        const struct item *it = &w->items[pr->item];
        if (!pr->done && !w->gone && r == LDNS_RCODE_NOERROR && ad_pkt_has_txt(pkt, it->dname, it->value)) {
            pr->done = true;
            pr->at = now;
            ad_debug("dns: %s (%s) serves \"%.64s\" at %s", s->ns.addr, s->ns.ns, it->value, it->name);
        } else if (!pr->done && final && !(r == LDNS_RCODE_NOERROR && ad_pkt_has_txt(pkt, it->dname, it->value))) {
            pr->done = true;
            pr->at = now;
            ad_debug("dns: %s (%s) no longer serves \"%.64s\" at %s", s->ns.addr, s->ns.ns, it->value, it->name);
        }
        all = all && pr->done;
    }
    if (all) {
        p->done = true;
        return;
    }
    if (r == LDNS_RCODE_NOERROR) {
        if (w->gone && !referral)
            p->state = PS_STILL;
        else if (ad_pkt_any_txt(pkt, lead->dname))
            p->state = PS_OTHER;
        else if (referral)
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
    int fd = s->ns.sa.ss_family == AF_INET ? w->fd4 : w->fd6;
    uint16_t id;
    do
        id = ldns_get_random();
    while (w->idmap[id]);
    ldns_write_uint16(it->wire, id);
    ssize_t n = fd < 0 ? -1 : sendto(fd, it->wire, it->wlen, 0, (const struct sockaddr *)&s->ns.sa, s->ns.len);
    int e = fd < 0 ? EAFNOSUPPORT : n >= 0 ? EMSGSIZE : errno;
    if (n == (ssize_t)it->wlen) {
        p->id = id;
        p->inflight = true;
        p->sent = now;
        w->idmap[id] = (uint32_t)pi + 1;
        w->inflight++;
        return;
    }
    if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS || e == EINTR) {
        p->next = now + 10; /* socket buffer full: retry soon */
        return;
    }
    if (s->ns.sa.ss_family == AF_INET6 && s->ns.has_v4_sib && unreachable_errno(e) && !s->skipped) {
        s->skipped = true;
        ad_warn("cannot reach %s (%s): %s; checking its IPv4 addresses only", s->ns.addr, s->ns.ns, strerror(e));
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

/* End probe P's TCP query; FAILED: say why (debug) and back off. */
static void tcp_end(struct waiter *w, struct probe *p, const char *failed, uint64_t now)
{
    if (p->tcp) {
        close(p->tfd);
        free(p->tbuf);
        p->tbuf = NULL;
        p->tcp = false;
        w->ntcp--;
    }
    if (failed) {
        ad_debug("dns: %s at %s over TCP: %s", w->items[p->item].name, w->servers[p->server].ns.addr, failed);
        p->state = PS_TCPERR;
        backoff(p, now);
    }
}

/* Ask P's name again over TCP (its UDP reply was truncated). */
static void tcp_start(struct waiter *w, struct probe *p, uint64_t now)
{
    const struct server *s = &w->servers[p->server];
    if (w->ntcp >= AD_DNS_TCP_MAX || now >= w->deadline) {
        tcp_end(w, p, "too many TCP queries at once", now);
        return;
    }
    int fd = socket(s->ns.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || (connect(fd, (const struct sockaddr *)&s->ns.sa, s->ns.len) != 0 && errno != EINPROGRESS)) {
        if (fd >= 0)
            close(fd);
        tcp_end(w, p, strerror(errno), now);
        return;
    }
    p->tcp = p->sending = true;
    p->tfd = fd;
    p->tgot = 0;
    p->tuntil = now + AD_DNS_TCP_MS < w->deadline ? now + AD_DNS_TCP_MS : w->deadline;
    w->ntcp++;
}

/* P's TCP connection is ready (REVENTS): send the query, or read the reply. */
static void tcp_ready(struct waiter *w, struct probe *p, short revents, uint64_t now)
{
    struct item *it = &w->items[p->item];
    if (p->sending) {
        int err = 0;
        socklen_t el = sizeof err;
        uint8_t q[2 + 512];
        if (getsockopt(p->tfd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
            tcp_end(w, p, strerror(err ? err : errno), now);
            return;
        }
        if (it->wlen > sizeof q - 2) {
            tcp_end(w, p, "query too large", now);
            return;
        }
        ldns_write_uint16(q, (uint16_t)it->wlen);
        memcpy(q + 2, it->wire, it->wlen);
        ldns_write_uint16(q + 2, p->id);
        if (send(p->tfd, q, it->wlen + 2, MSG_NOSIGNAL) != (ssize_t)(it->wlen + 2)) {
            tcp_end(w, p, "cannot send the query", now);
            return;
        }
        p->sending = false;
        return;
    }
    if (!(revents & (POLLIN | POLLHUP | POLLERR)))
        return;
    if (!p->tbuf && !(p->tbuf = malloc(2 + LDNS_MAX_PACKETLEN))) {
        tcp_end(w, p, "out of memory", now);
        return;
    }
    size_t want = p->tgot < 2 ? 2 : 2 + (size_t)ldns_read_uint16(p->tbuf);
    ssize_t n = recv(p->tfd, p->tbuf + p->tgot, want - p->tgot, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        tcp_end(w, p, n == 0 ? "the server closed the connection without a whole reply" : strerror(errno), now);
        return;
    }
    p->tgot += (size_t)n;
    if (p->tgot == 2 && ldns_read_uint16(p->tbuf) < LDNS_HEADER_SIZE) {
        tcp_end(w, p, "a reply shorter than a DNS header", now);
        return;
    }
    if (p->tgot < 2 || p->tgot < 2 + (size_t)ldns_read_uint16(p->tbuf))
        return;
    const uint8_t *m = p->tbuf + 2;
    size_t mlen = p->tgot - 2;
    ldns_pkt *pkt = ldns_read_uint16(m) == p->id ? ad_reply_parse(m, mlen, it->dname, LDNS_RR_TYPE_TXT) : NULL;
    if (!pkt || ldns_pkt_tc(pkt)) {
        tcp_end(w, p, pkt ? "the TCP reply is truncated too" : "a malformed reply, or not ours", now);
        ldns_pkt_free(pkt);
        return;
    }
    tcp_end(w, p, NULL, now);
    probe_reply(w, p, pkt, now);
    ldns_pkt_free(pkt);
}

static void handle_packet(struct waiter *w, const uint8_t *buf, size_t len, const struct sockaddr_storage *from)
{
    if (len < LDNS_HEADER_SIZE)
        return;
    uint16_t id = ldns_read_uint16(buf);
    uint32_t slot = w->idmap[id];
    if (!slot)
        return;
    struct probe *p = &w->probes[slot - 1];
    struct server *s = &w->servers[p->server];
    struct item *it = &w->items[p->item];
    ldns_pkt *pkt = ad_addr_same(&s->ns.sa, from) ? ad_reply_parse(buf, len, it->dname, LDNS_RR_TYPE_TXT) : NULL;
    if (!pkt)
        return;
    probe_release(w, p);
    uint64_t now = ad_now_ms();
    if (ldns_pkt_tc(pkt)) { /* rare (TXT sets over 1232 bytes): again over TCP, in the loop */
        ldns_pkt_free(pkt);
        tcp_start(w, p, now);
        return;
    }
    probe_reply(w, p, pkt, now);
    ldns_pkt_free(pkt);
}

static void drain(struct waiter *w, int fd)
{
    /* a flood of replies (each may cost a TCP query) ends at the deadline or a signal */
    for (int k = 0; k < 1024 && ad_now_ms() < w->deadline && !ad_is_interrupted(); k++) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        memset(&from, 0, sizeof from);
        ssize_t n = recvfrom(fd, w->buf, LDNS_MAX_PACKETLEN, 0, (struct sockaddr *)&from, &fl);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return; /* EAGAIN, or an ICMP error on the socket: retries cover it */
        handle_packet(w, w->buf, (size_t)n, &from);
    }
}

/* On timeout: one error line per server (the records it lacks and why),
 * and what to do. */
static void report_final(struct waiter *w, unsigned timeout_ms, size_t missing_items)
{
    ad_err(w->gone ? "removal check timed out after %.1f s: %zu record%s still served by an authoritative server"
                   : "propagation check timed out after %.1f s: %zu record%s not served by every authoritative server",
           timeout_ms / 1000.0, missing_items, missing_items == 1 ? " is" : "s are");
    size_t shown = 0;
    bool nowhere = false, partial = false, refused = false;
    for (size_t si = 0; si < w->nservers; si++) {
        const struct server *s = &w->servers[si];
        const struct probe *why = NULL;
        char names[400], b[128];
        size_t missing = 0, o = 0, listed = 0;
        names[0] = '\0';
        for (size_t k = 0; k < w->npairs; k++) {
            const struct pair *pr = &w->pairs[k];
            const struct probe *p = &w->probes[pr->probe];
            const struct item *it = &w->items[pr->item];
            if (pr->done || p->server != si)
                continue;
            refused = refused || p->state == PS_RCODE || p->state == PS_REFERRAL;
            nowhere = nowhere || !it->seen;
            partial = partial || it->seen;
            if (!why || (why->state == PS_NONE && p->state != PS_NONE))
                why = p;
            if (missing++ < 3 && o < sizeof names) {
                o += (size_t)snprintf(names + o, sizeof names - o, "%s%s TXT \"%.16s...\"", listed ? ", " : "",
                                      it->name, it->value);
                listed++;
            }
        }
        if (!missing)
            continue;
        if (shown++ < 50)
            ad_err("  %s (%s) %s %zu record%s (%s%s): %s", s->ns.addr, s->ns.ns, w->gone ? "still has" : "lacks",
                   missing, missing == 1 ? "" : "s", names, missing > listed ? ", ..." : "", state_text(why, b, sizeof b));
    }
    if (shown > 50)
        ad_err("  and %zu more servers", shown - 50);
    if (w->gone) {
        ad_err("the provider said the records were removed, but the servers above still serve them: check that "
               "the provider removes them from the zone they serve, and that the secondaries receive its updates");
        return;
    }
    if (nowhere)
        ad_err("no authoritative server serves some of the values: check that the DNS provider published "
               "them in the right zone, or raise --propagation-timeout");
    if (refused)
        ad_err("some servers of the zone do not answer for it: check the zone's NS records and that each "
               "server is configured for the zone");
    if (partial)
        ad_err("check that the secondary name servers receive the zone's updates (NOTIFY and zone transfers "
               "from the primary), or raise --propagation-timeout");
}

/* Log what is still missing where: one info line (progress), or on timeout
 * the final report.  Linear in pairs. */
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
        report_final(w, timeout_ms, missing_items);
        return;
    }
    char line[2048], notes[1024];
    size_t o = 0, no = 0, listed = 0, more = 0;
    o += (size_t)snprintf(line, sizeof line, "waiting for %zu record%s%s:", missing_items, missing_items == 1 ? "" : "s",
                          w->gone ? " to go" : "");
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
                                  w->items[p->item].name, s->ns.addr, s->ns.ns);
        listed++;
        if (p->state == PS_RCODE || p->state == PS_REFERRAL || p->state == PS_SENDERR || p->state == PS_TIMEOUT ||
            p->state == PS_TCPERR) {
            char b[128], n1[256];
            snprintf(n1, sizeof n1, "%s %s", s->ns.addr, state_text(p, b, sizeof b));
            if (!strstr(notes, n1) && no < sizeof notes)
                no += (size_t)snprintf(notes + no, sizeof notes - no, "; %s", n1);
        }
    }
    if (more && o < sizeof line)
        snprintf(line + o, sizeof line - o, " and %zu more", more);
    ad_info("%s%s", line, notes);
}

static void waiter_free(struct waiter *w)
{
    for (size_t i = 0; w->items && i < w->nitems; i++) {
        free(w->items[i].wire);
        ldns_rdf_deep_free(w->items[i].dname);
    }
    for (size_t i = 0; w->probes && i < w->nprobes; i++)
        tcp_end(w, &w->probes[i], NULL, 0);
    free(w->pfd);
    free(w->pfd_probe);
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

/* Item I from ITEMS: name, zone (found or added), leader and its query. */
static ad_status item_setup(struct waiter *w, const struct ad_dnscheck_item *src, size_t i)
{
    struct item *it = &w->items[i];
    char z[AD_NAME_MAX + 1];
    if (!src->name || !src->zone || !src->value || ad_name_normalize(src->name, it->name, sizeof it->name) != AD_OK ||
        ad_name_normalize(src->zone, z, sizeof z) != AD_OK || strnlen(src->value, AD_DNS_VALUE_MAX + 1) > AD_DNS_VALUE_MAX ||
        !(it->dname = ldns_dname_new_frm_str(it->name))) {
        ad_err("bad record to check: %.300s in zone %.300s", src->name ? src->name : "(null)",
               src->zone ? src->zone : "(null)");
        return AD_ERR_INTERNAL;
    }
    ldns_rdf *zd = ldns_dname_new_frm_str(z);
    bool inside = zd && (ldns_dname_compare(it->dname, zd) == 0 || ldns_dname_is_subdomain(it->dname, zd));
    ldns_rdf_deep_free(zd);
    if (!inside) {
        ad_err("bad record to check: %s is not in zone %s", it->name, z);
        return AD_ERR_INTERNAL;
    }
    it->value = src->value;
    size_t zi = 0;
    while (zi < w->nzones && strcmp(w->zones[zi], z) != 0)
        zi++;
    if (zi == w->nzones)
        memcpy(w->zones[w->nzones++], z, sizeof z);
    it->zone = zi;
    it->leader = i;
    for (size_t j = 0; j < i && it->leader == i; j++) {
        if (w->items[j].leader != j || strcmp(w->items[j].name, it->name) != 0)
            continue;
        if (w->items[j].zone != zi) {
            ad_err("%s is given in two zones (%s and %s)", it->name, w->zones[w->items[j].zone], z);
            return AD_ERR_INTERNAL;
        }
        it->leader = j;
    }
    return it->leader == i ? ad_query_wire(it->dname, LDNS_RR_TYPE_TXT, false, &it->wire, &it->wlen) : AD_OK;
}

/* The servers of zone Z, appended to W's. */
static ad_status zone_setup(struct ad_dnscheck *dc, struct waiter *w, size_t z, unsigned port)
{
    struct ad_ns_server *ns = NULL;
    size_t n = 0;
    ad_status rc = ad_zone_servers(dc, w->zones[z], port, &ns, &n);
    struct server *s = rc == AD_OK ? realloc(w->servers, (w->nservers + n) * sizeof *s) : NULL;
    if (rc == AD_OK && !s)
        rc = AD_ERR_NOMEM;
    if (rc == AD_OK) {
        w->servers = s;
        w->zfirst[z] = w->nservers;
        w->zcount[z] = n;
        for (size_t i = 0; i < n; i++)
            w->servers[w->nservers++] = (struct server){.ns = ns[i], .zone = z};
    }
    free(ns);
    return rc;
}

/* Items, zones, servers, probes and pairs; caller frees W with waiter_free. */
static ad_status waiter_setup(struct ad_dnscheck *dc, struct waiter *w, const struct ad_dnscheck_item *items,
                              size_t n, unsigned ns_port)
{
    ad_status rc = AD_OK;
    w->items = calloc(n, sizeof *w->items);
    w->zones = calloc(n, sizeof *w->zones);
    w->zfirst = calloc(n, sizeof *w->zfirst);
    w->zcount = calloc(n, sizeof *w->zcount);
    w->idmap = calloc(65536, sizeof *w->idmap);
    w->buf = malloc(LDNS_MAX_PACKETLEN);
    if (!w->items || !w->zones || !w->zfirst || !w->zcount || !w->idmap || !w->buf)
        return AD_ERR_NOMEM;
    w->nitems = n;
    for (size_t i = 0; i < n && rc == AD_OK; i++)
        rc = item_setup(w, &items[i], i);
    for (size_t z = 0; z < w->nzones && rc == AD_OK; z++)
        rc = zone_setup(dc, w, z, ns_port);
    if (rc != AD_OK)
        return rc;
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
    w->pfd = calloc(2 + AD_DNS_TCP_MAX, sizeof *w->pfd);
    w->pfd_probe = calloc(2 + AD_DNS_TCP_MAX, sizeof *w->pfd_probe);
    if (!w->probes || !w->pairs || !w->pair_ix || !w->pfd || !w->pfd_probe)
        return AD_ERR_NOMEM;
    uint64_t now = ad_now_ms();
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct item *it = &w->items[i];
        for (size_t j = 0; j < w->zcount[it->zone]; j++) {
            struct probe *p = &w->probes[w->items[it->leader].first_probe + j];
            if (it->leader == i)
                *p = (struct probe){.server = w->zfirst[it->zone] + j, .item = i, .interval = AD_DNS_POLL_FIRST,
                                    .next = now};
            w->pairs[k] = (struct pair){.item = i, .probe = w->items[it->leader].first_probe + j};
            p->npairs++;
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

/* One round: time out and send probes; the earliest time something is due. */
static uint64_t round_robin(struct waiter *w, uint64_t now, uint64_t deadline, size_t *left)
{
    uint64_t wake = deadline;
    *left = 0;
    for (size_t i = 0; i < w->nprobes; i++) {
        struct probe *p = &w->probes[i];
        if (p->done)
            continue;
        if (p->tcp && now >= p->tuntil)
            tcp_end(w, p, "no reply in time", now);
        if (p->tcp) {
            (*left)++;
            wake = p->tuntil < wake ? p->tuntil : wake;
            continue;
        }
        if (p->inflight && now >= p->sent + AD_DNS_RTO_MS) {
            probe_release(w, p);
            p->state = PS_TIMEOUT;
            p->next = now; /* the retransmit timeout was the wait */
        }
        if (!p->inflight && now >= p->next && w->inflight < AD_DNS_INFLIGHT_MAX && now < deadline)
            probe_send(w, i, now);
        if (p->done)
            continue;
        (*left)++;
        uint64_t t = p->inflight ? p->sent + AD_DNS_RTO_MS : p->next;
        if (!p->inflight && t <= now)
            t = now + 10; /* waiting for a free slot */
        if (t < wake)
            wake = t;
    }
    return wake;
}

static ad_status open_sockets(struct waiter *w)
{
    bool want4 = false, want6 = false;
    for (size_t s = 0; s < w->nservers; s++) {
        want4 = want4 || w->servers[s].ns.sa.ss_family == AF_INET;
        want6 = want6 || w->servers[s].ns.sa.ss_family == AF_INET6;
    }
    if (want4)
        w->fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (want6)
        w->fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if ((want4 && w->fd4 < 0) || (want6 && w->fd6 < 0 && errno != EAFNOSUPPORT)) {
        ad_err("cannot open a UDP socket: %s", strerror(errno));
        return AD_ERR_NETWORK;
    }
    return AD_OK;
}

/* One result per pair, for ad_dnscheck_wait_ex. */
static ad_status results(const struct waiter *w, uint64_t t0, struct ad_dnscheck_result **out, size_t *nout)
{
    struct ad_dnscheck_result *r = calloc(w->npairs ? w->npairs : 1, sizeof *r);
    if (!r)
        return AD_ERR_NOMEM;
    for (size_t k = 0; k < w->npairs; k++) {
        const struct pair *pr = &w->pairs[k];
        const struct probe *p = &w->probes[pr->probe];
        const struct server *s = &w->servers[p->server];
        char b[128];
        r[k].item = pr->item;
        snprintf(r[k].addr, sizeof r[k].addr, "%s", s->ns.addr);
        snprintf(r[k].ns, sizeof r[k].ns, "%s", s->ns.ns);
        r[k].skipped = s->skipped;
        r[k].done = pr->done && !s->skipped;
        r[k].answered = p->answered;
        r[k].ms = r[k].done && pr->at >= t0 ? (unsigned long)(pr->at - t0) : 0;
        if (!r[k].done && !s->skipped)
            snprintf(r[k].why, sizeof r[k].why, "%s", state_text(p, b, sizeof b));
    }
    *out = r;
    *nout = w->npairs;
    return AD_OK;
}

ad_status ad_dnscheck_wait(struct ad_dnscheck *dc, const struct ad_dnscheck_item *items, size_t n,
                           unsigned ns_port, unsigned timeout_ms)
{
    return ad_dnscheck_wait_ex(dc, items, n, ns_port, timeout_ms, false, NULL, NULL);
}

ad_status ad_dnscheck_wait_ex(struct ad_dnscheck *dc, const struct ad_dnscheck_item *items, size_t n,
                              unsigned ns_port, unsigned timeout_ms, bool gone, struct ad_dnscheck_result **res,
                              size_t *nres)
{
    struct waiter w = {.fd4 = -1, .fd6 = -1, .gone = gone};
    uint64_t t0 = ad_now_ms();
    if (res) {
        *res = NULL;
        *nres = 0;
    }
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
    ad_status rc = waiter_setup(dc, &w, items, n, ns_port);
    if (rc == AD_OK)
        rc = open_sockets(&w);
    if (rc != AD_OK)
        goto out;
    ad_debug("dns: checking %zu record%s on %zu server address%s (%zu queries per round)", w.nitems,
             w.nitems == 1 ? "" : "s", w.nservers, w.nservers == 1 ? "" : "es", w.nprobes);
    uint64_t now = ad_now_ms(), deadline = now + timeout_ms, next_report = now + 1000;
    w.deadline = deadline;
    for (;;) {
        if (ad_is_interrupted()) {
            ad_err("interrupted while waiting for the DNS records to propagate");
            rc = AD_ERR_INTERRUPTED;
            goto out;
        }
        size_t left = 0;
        now = ad_now_ms();
        uint64_t wake = round_robin(&w, now, deadline, &left);
        ad_kill_point("propagation"); /* the first queries are out (tests only) */
        if (left == 0)
            break;
        if (now >= deadline) {
            report(&w, true, timeout_ms);
            rc = AD_ERR_PROPAGATION;
            if (res && results(&w, t0, res, nres) != AD_OK)
                rc = AD_ERR_NOMEM;
            goto out;
        }
        if (now >= next_report) {
            report(&w, false, timeout_ms);
            next_report = now + 1000;
        }
        if (next_report < wake)
            wake = next_report;
        uint64_t ms = wake > now ? wake - now : 0;
        if (ms > AD_WAIT_SLICE_MS)
            ms = AD_WAIT_SLICE_MS; /* a signal between the check and poll() costs at most this */
        struct pollfd *pfd = w.pfd;
        nfds_t nf = 0, nudp;
        if (w.fd4 >= 0)
            pfd[nf++] = (struct pollfd){.fd = w.fd4, .events = POLLIN};
        if (w.fd6 >= 0)
            pfd[nf++] = (struct pollfd){.fd = w.fd6, .events = POLLIN};
        nudp = nf;
        for (size_t i = 0; i < w.nprobes && nf < 2 + AD_DNS_TCP_MAX; i++)
            if (w.probes[i].tcp) {
                w.pfd_probe[nf] = i;
                pfd[nf++] = (struct pollfd){.fd = w.probes[i].tfd,
                                            .events = w.probes[i].sending ? POLLOUT : POLLIN};
            }
        int r = poll(pfd, nf, (int)ms);
        if (r < 0 && errno != EINTR) {
            ad_err("poll: %s", strerror(errno));
            rc = AD_ERR_NETWORK;
            goto out;
        }
        for (nfds_t i = nudp; r > 0 && i < nf; i++) /* before drain(), which may start new ones */
            if (pfd[i].revents)
                tcp_ready(&w, &w.probes[w.pfd_probe[i]], pfd[i].revents, ad_now_ms());
        for (nfds_t i = 0; r > 0 && i < nudp; i++)
            if (pfd[i].revents)
                drain(&w, pfd[i].fd);
    }
    ad_info(gone ? "no authoritative server serves the %zu record%s any more (%llu ms)"
                 : "every authoritative server serves the %zu record%s (%llu ms)",
            w.nitems, w.nitems == 1 ? "" : "s", (unsigned long long)(ad_now_ms() - t0));
    rc = res ? results(&w, t0, res, nres) : AD_OK;
out:
    waiter_free(&w);
    return rc;
}
