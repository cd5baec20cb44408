/* DNS answers as core/locate.c, nameservers.c and propagation.c read them:
 * the reply check (ad_reply_parse), the SOA, NS and rcode judges, CNAME
 * targets, NS names and their addresses, TXT matching.  The first byte picks
 * the question type; the question name is the packet's own when ldns reads
 * one (so that mutations get past the question check), else a fixed one. */
#include <stdlib.h>

#include "fuzz.h"
#include "locate.h"
#include "log.h"
#include "nameservers.h"
#include "propagation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const ldns_rr_type types[] = {LDNS_RR_TYPE_TXT, LDNS_RR_TYPE_SOA, LDNS_RR_TYPE_NS,
                                         LDNS_RR_TYPE_A,   LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_CNAME};
    ldns_pkt *raw = NULL, *p = NULL;
    ldns_rdf *name = NULL;
    if (size < 1)
        return 0;
    ad_log_set_verbosity(0);
    ldns_rr_type type = types[data[0] % (sizeof types / sizeof *types)];
    data++;
    size--;
    if (ldns_wire2pkt(&raw, data, size) == LDNS_STATUS_OK && ldns_rr_list_rr_count(ldns_pkt_question(raw)) == 1)
        name = ldns_rdf_clone(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(raw), 0)));
    ldns_pkt_free(raw);
    if (!name && !(name = ldns_dname_new_frm_str("_acme-challenge.example.test")))
        return 0;
    if ((p = ad_reply_parse(data, size, name, type))) {
        char s[AD_NAME_MAX + 1], next[AD_NAME_MAX + 1];
        struct ad_soa_ctx sc = {.q = name};
        ad_judge_rcode(p, NULL);
        ad_judge_soa(p, &sc);
        ad_judge_ns(p, name);
        ad_pkt_has_txt(p, name, "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0");
        ad_pkt_any_txt(p, name);
        if (ad_dname_str(name, s, sizeof s) == AD_OK) {
            char(*names)[AD_NAME_MAX + 1] = calloc(AD_DNS_SERVERS_MAX, sizeof *names);
            struct ad_ns_server *sv = calloc(AD_DNS_SERVERS_MAX, sizeof *sv);
            size_t n = 0, extra = 0;
            ad_cname_next(p, s, next, sizeof next);
            if (names && sv) {
                ad_ns_names_from(p, name, names, &n, &extra);
                n = 0;
                ad_ns_addrs_from(p, LDNS_RR_TYPE_A, s, 53, sv, &n, &extra);
                ad_ns_addrs_from(p, LDNS_RR_TYPE_AAAA, s, 53, sv, &n, &extra);
            }
            free(names);
            free(sv);
        }
        ldns_pkt_free(p);
    }
    ldns_rdf_deep_free(name);
    return 0;
}
