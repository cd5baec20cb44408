/* The name servers of a zone (NS) and their IPv4 and IPv6 addresses, through
 * the resolvers (locate.c's ad_lookup). */
#include "nameservers.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locate.h"
#include "log.h"

const char *ad_judge_ns(const ldns_pkt *pkt, void *ctx)
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

ad_status ad_ns_names_from(const ldns_pkt *pkt, const ldns_rdf *zone, char (*names)[AD_NAME_MAX + 1], size_t *n,
                           size_t *extra)
{
    const ldns_rr_list *an = ldns_pkt_answer(pkt);
    for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        char nm[AD_NAME_MAX + 1];
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || ldns_rr_rd_count(rr) < 1 ||
            ldns_dname_compare(ldns_rr_owner(rr), zone) != 0)
            continue;
        if (ad_dname_str(ldns_rr_rdf(rr, 0), nm, sizeof nm) != AD_OK || nm[0] == '\0')
            return AD_ERR_DNS;
        size_t k = 0;
        while (k < *n && strcmp(names[k], nm) != 0)
            k++;
        if (k < *n)
            continue;
        if (*n == AD_DNS_SERVERS_MAX)
            (*extra)++;
        else
            memcpy(names[(*n)++], nm, sizeof nm);
    }
    return AD_OK;
}

/* The distinct NS names of ZONE into NAMES (*N of them). */
static ad_status ns_names(struct ad_dnscheck *dc, const char *zone, char (*names)[AD_NAME_MAX + 1], size_t *n)
{
    ldns_pkt *p = NULL;
    struct ad_lookup_diag d;
    size_t extra = 0;
    ldns_rdf *z = ldns_dname_new_frm_str(zone);
    ad_status rc = z ? ad_lookup(dc, zone, LDNS_RR_TYPE_NS, ad_judge_ns, z, &p, &d) : AD_ERR_NOMEM;
    if (rc == AD_ERR_DNS)
        ad_err("cannot find the name servers (NS) of zone %s (%s): check --dns-resolver", zone, d.text);
    if (rc == AD_OK && (rc = ad_ns_names_from(p, z, names, n, &extra)) != AD_OK)
        ad_err("zone %s has an NS record we cannot use: fix the zone's NS records", zone);
    if (rc == AD_OK && extra)
        ad_warn("zone %s has %zu more NS names than the %d checked: they are not checked", zone, extra,
                AD_DNS_SERVERS_MAX);
    ldns_pkt_free(p);
    ldns_rdf_deep_free(z);
    return rc;
}

size_t ad_ns_addrs_from(const ldns_pkt *pkt, ldns_rr_type type, const char *ns, unsigned port,
                        struct ad_ns_server *out, size_t *n, size_t *extra)
{
    const ldns_rr_list *an = ldns_pkt_answer(pkt);
    ldns_rdf_type want = type == LDNS_RR_TYPE_AAAA ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A;
    size_t found = 0;
    for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        const ldns_rdf *f = ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
        struct ad_ns_server s;
        size_t sz = 0;
        if (ldns_rr_get_type(rr) != type || !f || ldns_rdf_get_type(f) != want)
            continue;
        struct sockaddr_storage *sa = ldns_rdf2native_sockaddr_storage(f, (uint16_t)port, &sz);
        memset(&s, 0, sizeof s);
        if (!sa || sz > sizeof s.sa) {
            free(sa);
            continue;
        }
        found++;
        memcpy(&s.sa, sa, sz);
        free(sa);
        s.len = (socklen_t)sz;
        ad_addr_str((const struct sockaddr *)&s.sa, s.addr, sizeof s.addr);
        snprintf(s.ns, sizeof s.ns, "%s", ns);
        size_t k = 0;
        while (k < *n && !ad_addr_same(&out[k].sa, &s.sa))
            k++;
        if (k < *n)
            continue; /* two NS names, one address */
        if (*n == AD_DNS_SERVERS_MAX)
            (*extra)++;
        else
            out[(*n)++] = s;
    }
    return found;
}

ad_status ad_zone_servers(struct ad_dnscheck *dc, const char *zone, unsigned port, struct ad_ns_server **out,
                          size_t *n)
{
    static const ldns_rr_type types[2] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
    char (*names)[AD_NAME_MAX + 1] = calloc(AD_DNS_SERVERS_MAX, sizeof *names);
    struct ad_ns_server *s = calloc(AD_DNS_SERVERS_MAX, sizeof *s);
    size_t nns = 0, count = 0, extra = 0;
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
            size_t got = rc == AD_OK ? ad_ns_addrs_from(p, types[t], names[k], port, s, &count, &extra) : 0;
            v4 = v4 || (t == 0 && got > 0);
            found += got;
            ldns_pkt_free(p);
            p = NULL;
        }
        if (extra) /* one line per name server, however many addresses it has */
            ad_warn("zone %s: name server %s has %zu address%s beyond the %d checked: %s not checked", zone,
                    names[k], extra, extra == 1 ? "" : "es", AD_DNS_SERVERS_MAX, extra == 1 ? "it is" : "they are");
        extra = 0;
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
