/* The resolvers, look-ups through them, and where a record goes: follow
 * CNAMEs from its name, then find its zone by SOA.  Messages are built and
 * parsed by ldns, sent by ldns through core/common's bounded exchange. */
#include "locate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsio.h"
#include "log.h"
#include "util.h"

#define AD_DNS_CNAME_MAX 8
#define AD_DNS_LOOKUP_MS 2000u /* one resolver: UDP at 0 and 1 s, TCP on TC */
#define AD_DNS_EDNS_SIZE 1232

struct ad_dnscheck {
    struct sockaddr_storage res[AD_DNS_RESOLVERS_MAX];
    socklen_t reslen[AD_DNS_RESOLVERS_MAX];
    unsigned fails[AD_DNS_RESOLVERS_MAX]; /* look-ups that got no reply */
    size_t nres;
};

int ad_dnscheck_stop(void *ctx)
{
    (void)ctx;
    return ad_is_interrupted();
}

ad_status ad_dname_str(const ldns_rdf *d, char *out, size_t size)
{
    if (!d || ldns_rdf_get_type(d) != LDNS_RDF_TYPE_DNAME || size <= AD_NAME_MAX)
        return AD_ERR_PROTOCOL;
    if (ldns_dname_label_count(d) == 0) {
        out[0] = '\0';
        return AD_OK;
    }
    char *s = ldns_rdf2str(d);
    ad_status rc = s && ad_name_normalize(s, out, size) == AD_OK ? AD_OK : AD_ERR_PROTOCOL;
    free(s);
    return rc;
}

bool ad_dname_is(const ldns_rdf *d, const char *name)
{
    ldns_rdf *n = ldns_dname_new_frm_str(name);
    bool same = n && d && ldns_rdf_get_type(d) == LDNS_RDF_TYPE_DNAME && ldns_dname_compare(d, n) == 0;
    ldns_rdf_deep_free(n);
    return same;
}

ad_status ad_query_wire(const ldns_rdf *name, ldns_rr_type type, bool rd, uint8_t **wire, size_t *len)
{
    ad_status rc = AD_ERR_NOMEM;
    ldns_rdf *dn = ldns_rdf_clone(name);
    ldns_pkt *p = dn ? ldns_pkt_query_new(dn, type, LDNS_RR_CLASS_IN, rd ? LDNS_RD : 0) : NULL;
    if (!p) {
        ldns_rdf_deep_free(dn);
        return rc;
    }
    ldns_pkt_set_random_id(p);
    ldns_pkt_set_edns_udp_size(p, AD_DNS_EDNS_SIZE);
    if (ldns_pkt2wire(wire, p, len) == LDNS_STATUS_OK && *len >= LDNS_HEADER_SIZE)
        rc = AD_OK;
    ldns_pkt_free(p);
    return rc;
}

ldns_pkt *ad_reply_parse(const uint8_t *buf, size_t len, const ldns_rdf *name, ldns_rr_type type)
{
    ldns_pkt *p = NULL;
    if (len < LDNS_HEADER_SIZE || !LDNS_QR_WIRE(buf) || ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK || !p)
        return NULL;
    const ldns_rr_list *q = ldns_pkt_question(p);
    ldns_pkt_rcode r = ldns_pkt_get_rcode(p);
    if (ldns_rr_list_rr_count(q) == 1) {
        const ldns_rr *rr = ldns_rr_list_rr(q, 0);
        if (ldns_rr_get_type(rr) == type && ldns_dname_compare(ldns_rr_owner(rr), name) == 0)
            return p;
    } else if (ldns_rr_list_rr_count(q) == 0 && r != LDNS_RCODE_NOERROR && r != LDNS_RCODE_NXDOMAIN) {
        return p; /* some servers drop the question from error replies */
    }
    ldns_pkt_free(p);
    return NULL;
}

const char *ad_judge_rcode(const ldns_pkt *pkt, void *ctx)
{
    static char buf[32]; /* one thread */
    (void)ctx;
    ldns_pkt_rcode r = ldns_pkt_get_rcode(pkt);
    return r == LDNS_RCODE_NOERROR || r == LDNS_RCODE_NXDOMAIN ? NULL : ad_dns_rcode_str(r, buf, sizeof buf);
}

static void diag_add(struct ad_lookup_diag *d, const char *addr, const char *what)
{
    size_t l = strlen(d->text);
    if (l < sizeof d->text - 1)
        snprintf(d->text + l, sizeof d->text - l, "%s%s: %s", l ? "; " : "", addr, what);
}

/* One look-up at resolver I.  Caller frees *OUT. */
static ad_status ask_one(struct ad_dnscheck *dc, size_t i, const ldns_rdf *qname, ldns_rr_type type,
                         ldns_pkt **out, char *why, size_t whysz)
{
    uint8_t *wire = NULL, *reply = NULL;
    size_t wlen = 0, rlen = 0;
    struct ad_dns_xfer x = {.timeout_ms = AD_DNS_LOOKUP_MS, .stop = ad_dnscheck_stop};
    ad_status rc = ad_query_wire(qname, type, true, &wire, &wlen);
    if (rc == AD_OK)
        rc = ad_dns_exchange(&dc->res[i], dc->reslen[i], wire, wlen, &x, &reply, &rlen, why, whysz);
    if (rc == AD_OK && !(*out = ad_reply_parse(reply, rlen, qname, type))) {
        snprintf(why, whysz, "malformed reply, or one to another question");
        rc = AD_ERR_PROTOCOL;
    }
    free(wire);
    free(reply);
    return rc;
}

ad_status ad_lookup(struct ad_dnscheck *dc, const char *name, ldns_rr_type type, ad_judge_fn judge, void *ctx,
                    ldns_pkt **out, struct ad_lookup_diag *d)
{
    size_t order[AD_DNS_RESOLVERS_MAX];
    char tname[16], rname[32];
    ldns_rdf *qname = ldns_dname_new_frm_str(name);
    memset(d, 0, sizeof *d);
    *out = NULL;
    if (!qname)
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < dc->nres; i++) { /* stable sort by failures */
        size_t j = i;
        for (; j > 0 && dc->fails[order[j - 1]] > dc->fails[i]; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    char *ts = ldns_rr_type2str(type);
    snprintf(tname, sizeof tname, "%s", ts ? ts : "?");
    free(ts);
    ad_status rc = AD_ERR_DNS;
    for (size_t k = 0; k < dc->nres && rc == AD_ERR_DNS; k++) {
        size_t i = order[k];
        char addr[AD_ADDRSTR_MAX], why[200];
        ldns_pkt *p = NULL;
        ad_addr_str((const struct sockaddr *)&dc->res[i], addr, sizeof addr);
        ad_status st = ask_one(dc, i, qname, type, &p, why, sizeof why);
        if (st == AD_ERR_INTERRUPTED || st == AD_ERR_NOMEM) {
            rc = st;
            break;
        }
        if (st != AD_OK) {
            dc->fails[i]++;
            ad_debug("dns: %s %s at %s: %s", name, tname, addr, why);
            diag_add(d, addr, why);
            continue;
        }
        d->answered = true;
        const char *no = judge(p, ctx);
        ad_debug("dns: %s %s at %s: %s%s%s", name, tname, addr,
                 ad_dns_rcode_str(ldns_pkt_get_rcode(p), rname, sizeof rname), no ? ", not usable: " : "",
                 no ? no : "");
        if (!no) {
            *out = p;
            rc = AD_OK;
        } else {
            diag_add(d, addr, no);
            ldns_pkt_free(p);
        }
    }
    ldns_rdf_deep_free(qname);
    return rc;
}

ad_status ad_resolvers_from_file(const char *path, struct sockaddr_storage *out, socklen_t *lens, size_t max,
                                 size_t *n)
{
    ldns_resolver *r = NULL;
    errno = 0;
    ldns_status s = ldns_resolver_new_frm_file(&r, path);
    *n = 0;
    if (s != LDNS_STATUS_OK) {
        ad_err("cannot use %s (%s%s%s): give the resolvers with --dns-resolver", path, ldns_get_errorstr_by_id(s),
               s == LDNS_STATUS_FILE_ERR && errno ? ": " : "", s == LDNS_STATUS_FILE_ERR && errno ? strerror(errno) : "");
        return AD_ERR_DNS;
    }
    ldns_rdf **ns = ldns_resolver_nameservers(r);
    for (size_t i = 0; i < ldns_resolver_nameserver_count(r) && *n < max; i++) {
        size_t sz = 0;
        struct sockaddr_storage *sa = ldns_rdf2native_sockaddr_storage(ns[i], ldns_resolver_port(r), &sz);
        if (sa && sz <= sizeof *out) {
            memcpy(&out[*n], sa, sz);
            lens[(*n)++] = (socklen_t)sz;
        }
        free(sa);
    }
    ldns_resolver_deep_free(r);
    if (*n == 0) {
        ad_err("%s names no usable nameserver: give the resolvers with --dns-resolver", path);
        return AD_ERR_DNS;
    }
    return AD_OK;
}

ad_status ad_dnscheck_new(const char *const *resolvers, size_t n, struct ad_dnscheck **out)
{
    ad_status rc = AD_ERR_NOMEM;
    struct ad_dnscheck *dc = NULL;
    *out = NULL;
    if (n > AD_DNS_RESOLVERS_MAX) {
        ad_err("too many DNS resolvers (%zu): give at most %d", n, AD_DNS_RESOLVERS_MAX);
        return AD_ERR_USAGE;
    }
    if (!(dc = calloc(1, sizeof *dc)))
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (!resolvers[i] || ad_addr_parse(resolvers[i], &dc->res[i], &dc->reslen[i]) != AD_OK) {
            ad_err("bad DNS resolver address \"%s\": give ADDR, ADDR:PORT or [IPV6]:PORT (numeric)",
                   resolvers[i] ? resolvers[i] : "(null)");
            rc = AD_ERR_USAGE;
            goto out;
        }
    }
    dc->nres = n;
    if (n == 0 && (rc = ad_resolvers_from_file("/etc/resolv.conf", dc->res, dc->reslen, AD_DNS_RESOLVERS_MAX,
                                               &dc->nres)) != AD_OK)
        goto out;
    for (size_t i = 0; i < dc->nres; i++) {
        char a[AD_ADDRSTR_MAX];
        ad_addr_str((const struct sockaddr *)&dc->res[i], a, sizeof a);
        ad_debug("dns: resolver %s%s", a, n == 0 ? " (from /etc/resolv.conf)" : "");
    }
    rc = AD_OK;
out:
    if (rc != AD_OK) {
        free(dc);
        dc = NULL;
    }
    *out = dc;
    return rc;
}

void ad_dnscheck_free(struct ad_dnscheck *dc)
{
    free(dc);
}

/* Q itself or a name above it. */
static bool at_or_above(const ldns_rdf *owner, const ldns_rdf *q)
{
    return ldns_dname_compare(owner, q) == 0 || ldns_dname_is_subdomain(q, owner);
}

const char *ad_judge_soa(const ldns_pkt *pkt, void *vctx)
{
    struct ad_soa_ctx *c = vctx;
    const char *no = ad_judge_rcode(pkt, NULL);
    if (no)
        return no;
    const ldns_rr_list *an = ldns_pkt_answer(pkt), *au = ldns_pkt_authority(pkt);
    for (size_t i = 0; ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NOERROR && i < ldns_rr_list_rr_count(an); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_dname_compare(ldns_rr_owner(rr), c->q) == 0 &&
            ad_dname_str(c->q, c->zone, sizeof c->zone) == AD_OK)
            return NULL;
    }
    for (size_t i = 0; i < ldns_rr_list_rr_count(au); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(au, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && at_or_above(ldns_rr_owner(rr), c->q) &&
            ad_dname_str(ldns_rr_owner(rr), c->zone, sizeof c->zone) == AD_OK)
            return NULL;
    }
    for (size_t i = 0; i < ldns_rr_list_rr_count(au); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(au, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && ldns_dname_label_count(ldns_rr_owner(rr)) > 0 &&
            at_or_above(ldns_rr_owner(rr), c->q) &&
            ad_dname_str(ldns_rr_owner(rr), c->referral, sizeof c->referral) == AD_OK) {
            snprintf(c->why, sizeof c->why, "referral to the servers of %s", c->referral);
            return c->why;
        }
    }
    return "no SOA in the reply";
}

int ad_cname_next(const ldns_pkt *pkt, const char *from, char *next, size_t size)
{
    const ldns_rr_list *an = ldns_pkt_answer(pkt);
    for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME || ldns_rr_rd_count(rr) < 1 ||
            !ad_dname_is(ldns_rr_owner(rr), from))
            continue;
        return ad_dname_str(ldns_rr_rdf(rr, 0), next, size) == AD_OK && next[0] != '\0' ? 1 : -1;
    }
    return 0;
}

/* Follow CNAMEs from CHAIN[0]: CHAIN[1..*HOPS] the targets. */
static ad_status follow_cnames(struct ad_dnscheck *dc, char (*chain)[AD_NAME_MAX + 1], size_t *hops)
{
    ad_status rc;
    ldns_pkt *p = NULL;
    struct ad_lookup_diag d;
    char next[AD_NAME_MAX + 1];
    for (bool moved = true; moved;) {
        const char *cur = chain[*hops];
        moved = false;
        rc = ad_lookup(dc, cur, LDNS_RR_TYPE_CNAME, ad_judge_rcode, NULL, &p, &d);
        if (rc == AD_ERR_INTERRUPTED || rc == AD_ERR_NOMEM)
            return rc;
        if (rc != AD_OK && !d.answered) {
            ad_err("DNS look-up of %s failed (%s): check --dns-resolver", cur, d.text);
            return AD_ERR_DNS;
        }
        if (rc != AD_OK) { /* resolvers that do not serve it: the SOA search says what is missing */
            ad_debug("dns: no CNAME information for %s (%s)", cur, d.text);
            return AD_OK;
        }
        /* a recursive reply may carry the next links too */
        for (int found; rc == AD_OK && (found = ad_cname_next(p, chain[*hops], next, sizeof next)) != 0;) {
            rc = AD_ERR_DNS;
            if (found < 0) {
                ad_err("the CNAME at %s points to a name we cannot use: fix the CNAME record", chain[*hops]);
                break;
            }
            size_t k = 0;
            while (k <= *hops && strcmp(chain[k], next) != 0)
                k++;
            if (k <= *hops) {
                ad_err("CNAME loop: %s points back to %s: fix the CNAME records", chain[*hops], next);
                break;
            }
            if (*hops == AD_DNS_CNAME_MAX) {
                ad_err("more than %d CNAMEs from %s: shorten the chain", AD_DNS_CNAME_MAX, chain[0]);
                break;
            }
            ad_debug("dns: %s is a CNAME for %s", chain[*hops], next);
            memcpy(chain[++*hops], next, sizeof next);
            moved = true;
            rc = AD_OK;
        }
        ldns_pkt_free(p);
        p = NULL;
        if (rc != AD_OK)
            return rc;
    }
    return AD_OK;
}

/* The zone of CUR by SOA, asking CUR and then the names above it. */
static ad_status find_zone(struct ad_dnscheck *dc, const char *cur, struct ad_soa_ctx *sc)
{
    ad_status rc = AD_ERR_NOMEM;
    ldns_pkt *p = NULL;
    struct ad_lookup_diag d;
    for (const char *q = cur, *dot;; q = dot + 1) {
        memset(sc, 0, sizeof *sc);
        if (!(sc->q = ldns_dname_new_frm_str(q)))
            return AD_ERR_NOMEM;
        rc = ad_lookup(dc, q, LDNS_RR_TYPE_SOA, ad_judge_soa, sc, &p, &d);
        ldns_rdf_deep_free(sc->q);
        sc->q = NULL;
        ldns_pkt_free(p);
        if (rc != AD_ERR_DNS)
            return rc;
        if (!d.answered) {
            ad_err("DNS look-up of the zone of %s failed at %s (%s): check --dns-resolver", cur, q, d.text);
            return rc;
        }
        if (sc->referral[0]) {
            ad_err("cannot find the zone of %s: the resolvers only refer to the servers of %s (%s): give a "
                   "recursive resolver or one of those servers with --dns-resolver",
                   cur, sc->referral, d.text);
            return rc;
        }
        dot = strchr(q, '.');
        if (!dot || !strchr(dot + 1, '.')) { /* never ask about a top-level domain or the root */
            ad_err("no zone found for %s (%s): is the domain delegated, and do the resolvers given with "
                   "--dns-resolver serve it or recurse?",
                   cur, d.text);
            return rc;
        }
    }
}

ad_status ad_dnscheck_locate(struct ad_dnscheck *dc, const char *name, char **target, char **zone)
{
    char chain[AD_DNS_CNAME_MAX + 1][AD_NAME_MAX + 1];
    size_t hops = 0;
    struct ad_soa_ctx sc;
    uint64_t t0 = ad_now_ms();
    *target = NULL;
    *zone = NULL;
    if (ad_name_normalize(name, chain[0], sizeof chain[0]) != AD_OK) {
        ad_err("not a valid DNS name: \"%.300s\"", name);
        return AD_ERR_USAGE;
    }
    ad_status rc = follow_cnames(dc, chain, &hops);
    if (rc == AD_OK)
        rc = find_zone(dc, chain[hops], &sc);
    if (rc != AD_OK)
        return rc;
    const char *cur = chain[hops];
    if (sc.zone[0] == '\0' || !strchr(sc.zone, '.')) {
        ad_err("no zone found for %s: the resolvers only know the %s%s zone: is the domain delegated?", cur,
               sc.zone[0] ? "top-level " : "root", sc.zone);
        return AD_ERR_DNS;
    }
    *target = strdup(cur);
    *zone = strdup(sc.zone);
    if (!*target || !*zone) {
        free(*target);
        free(*zone);
        *target = *zone = NULL;
        return AD_ERR_NOMEM;
    }
    ad_debug("dns: %s%s%s is in zone %s (%llu ms)", chain[0], hops ? " -> " : "", hops ? cur : "", sc.zone,
             (unsigned long long)(ad_now_ms() - t0));
    return AD_OK;
}
