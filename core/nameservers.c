/* The name servers of a zone (NS) and their IPv4 and IPv6 addresses, through
 * the resolvers (locate.c's ad_lookup). */
#include "nameservers.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locate.h"
#include "log.h"

static const char *judge_ns(const ldns_pkt *pkt, void *ctx)
{
    const ldns_rdf *zone = ctx;
    const char *no = ad_judge_rcode(pkt, NULL);
    if (no || ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR)
        return no ? no : "NXDOMAIN";
    const ldns_rr_list *an = ldns_pkt_answer(pkt);
    for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && ldns_dname_compare(ldns_rr_owner(rr), zone) == 0)
            return NULL;
    }
    return "no NS records in the answer";
}

/* The distinct NS names of ZONE into NAMES (*N of them). */
static ad_status ns_names(struct ad_dnscheck *dc, const char *zone, char (*names)[AD_NAME_MAX + 1], size_t *n)
{
    ldns_pkt *p = NULL;
    struct ad_lookup_diag d;
    ldns_rdf *z = ldns_dname_new_frm_str(zone);
    ad_status rc = z ? ad_lookup(dc, zone, LDNS_RR_TYPE_NS, judge_ns, z, &p, &d) : AD_ERR_NOMEM;
    if (rc == AD_ERR_DNS)
        ad_err("cannot find the name servers (NS) of zone %s (%s): check --dns-resolver", zone, d.text);
    const ldns_rr_list *an = rc == AD_OK ? ldns_pkt_answer(p) : NULL;
    for (size_t i = 0; an && i < ldns_rr_list_rr_count(an) && rc == AD_OK; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        char nm[AD_NAME_MAX + 1];
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || ldns_rr_rd_count(rr) < 1 ||
            ldns_dname_compare(ldns_rr_owner(rr), z) != 0)
            continue;
        if (ad_dname_str(ldns_rr_rdf(rr, 0), nm, sizeof nm) != AD_OK || nm[0] == '\0') {
            ad_err("zone %s has an NS record we cannot use: fix the zone's NS records", zone);
            rc = AD_ERR_DNS;
            break;
        }
        size_t k = 0;
        while (k < *n && strcmp(names[k], nm) != 0)
            k++;
        if (k < *n)
            continue;
        if (*n == AD_DNS_SERVERS_MAX)
            ad_warn("zone %s has more than %d NS records: %s is not checked", zone, AD_DNS_SERVERS_MAX, nm);
        else
            memcpy(names[(*n)++], nm, sizeof nm);
    }
    ldns_pkt_free(p);
    ldns_rdf_deep_free(z);
    return rc;
}

/* Append address rdf F of name NS (port PORT) to *OUT unless it is there. */
static void add_addr(const char *zone, const ldns_rdf *f, const char *ns, unsigned port, struct ad_ns_server *out,
                     size_t *n)
{
    struct ad_ns_server s;
    size_t sz = 0;
    struct sockaddr_storage *sa = ldns_rdf2native_sockaddr_storage(f, (uint16_t)port, &sz);
    memset(&s, 0, sizeof s);
    if (!sa || sz > sizeof s.sa) {
        free(sa);
        return;
    }
    memcpy(&s.sa, sa, sz);
    free(sa);
    s.len = (socklen_t)sz;
    ad_addr_str((const struct sockaddr *)&s.sa, s.addr, sizeof s.addr);
    snprintf(s.ns, sizeof s.ns, "%s", ns);
    for (size_t i = 0; i < *n; i++)
        if (ad_addr_same(&out[i].sa, &s.sa))
            return; /* two NS names, one address */
    if (*n == AD_DNS_SERVERS_MAX)
        ad_warn("zone %s has more than %d server addresses: %s (%s) is not checked", zone, AD_DNS_SERVERS_MAX,
                s.addr, ns);
    else
        out[(*n)++] = s;
}

ad_status ad_zone_servers(struct ad_dnscheck *dc, const char *zone, unsigned port, struct ad_ns_server **out,
                          size_t *n)
{
    static const ldns_rr_type types[2] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
    char (*names)[AD_NAME_MAX + 1] = calloc(AD_DNS_SERVERS_MAX, sizeof *names);
    struct ad_ns_server *s = calloc(AD_DNS_SERVERS_MAX, sizeof *s);
    size_t nns = 0, count = 0;
    ldns_pkt *p = NULL;
    ad_status rc = names && s ? ns_names(dc, zone, names, &nns) : AD_ERR_NOMEM;
    for (size_t k = 0; k < nns && rc == AD_OK; k++) {
        size_t first = count, found = 0;
        bool v4 = false;
        struct ad_lookup_diag d[2];
        for (int t = 0; t < 2 && rc == AD_OK; t++) {
            rc = ad_lookup(dc, names[k], types[t], ad_judge_rcode, NULL, &p, &d[t]);
            if (rc == AD_ERR_DNS) {
                rc = AD_OK; /* the other type may do */
                continue;
            }
            d[t].text[0] = '\0';
            const ldns_rr_list *an = rc == AD_OK ? ldns_pkt_answer(p) : NULL;
            for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
                const ldns_rr *rr = ldns_rr_list_rr(an, i);
                const ldns_rdf *f = ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
                if (ldns_rr_get_type(rr) != types[t] || !f ||
                    ldns_rdf_get_type(f) != (t ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A))
                    continue;
                v4 = v4 || t == 0;
                found++;
                add_addr(zone, f, names[k], port, s, &count);
            }
            ldns_pkt_free(p);
            p = NULL;
        }
        if (rc == AD_OK && found == 0) {
            bool any = d[0].text[0] || d[1].text[0], both = d[0].text[0] && d[1].text[0];
            ad_err("name server %s of zone %s has no address (A/AAAA)%s%s%s%s%s: fix its address records or "
                   "the zone's NS records",
                   names[k], zone, any ? " (" : "", d[0].text, both ? "; " : "", d[1].text, any ? ")" : "");
            rc = AD_ERR_DNS;
        }
        for (size_t i = first; i < count; i++)
            s[i].has_v4_sib = v4;
    }
    if (rc == AD_OK && count == 0) {
        ad_err("zone %s has no name servers: fix the zone's NS records", zone);
        rc = AD_ERR_DNS;
    }
    for (size_t i = 0; rc == AD_OK && i < count; i++)
        ad_debug("dns: zone %s: server %s (%s)", zone, s[i].addr, s[i].ns);
    if (rc == AD_OK) {
        *out = s;
        *n = count;
        s = NULL;
    }
    free(names);
    free(s);
    return rc;
}
