/* The authoritative servers of a zone: its NS names and their addresses. */
#ifndef AD_NAMESERVERS_H
#define AD_NAMESERVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "acme-dns/status.h"
#include "dnscheck.h"
#include "parse.h"

#define AD_DNS_SERVERS_MAX 32 /* addresses checked per zone */

struct ad_ns_server {
    struct sockaddr_storage sa;
    socklen_t len;
    char addr[AD_ADDRSTR_MAX];  /* sa as text */
    char ns[AD_NAME_MAX + 1];   /* the NS name it belongs to */
    bool has_v4_sib;            /* that NS name has an IPv4 address too */
};

/* ad_judge_fn for NS look-ups (CTX the zone's ldns_rdf): a NOERROR reply
 * with an NS record owned by the zone in its answer. */
const char *ad_judge_ns(const ldns_pkt *pkt, void *ctx);

/* The distinct NS names owned by ZONE in PKT's answer appended to NAMES
 * (*N of them, at most AD_DNS_SERVERS_MAX; *EXTRA counts those left out).
 * AD_ERR_DNS when an NS record names something we cannot use. */
ad_status ad_ns_names_from(const ldns_pkt *pkt, const ldns_rdf *zone, char (*names)[AD_NAME_MAX + 1], size_t *n,
                           size_t *extra);

/* The TYPE (A or AAAA) addresses in PKT's answer, port PORT, for name
 * server NS, appended to OUT unless there (*N entries, at most
 * AD_DNS_SERVERS_MAX; *EXTRA counts new ones left out).  Returns how many
 * usable addresses the answer held. */
size_t ad_ns_addrs_from(const ldns_pkt *pkt, ldns_rr_type type, const char *ns, unsigned port,
                        struct ad_ns_server *out, size_t *n, size_t *extra);

/* Ask the resolvers for ZONE's NS set and each name's A and AAAA records:
 * one entry per distinct address (port PORT), at most AD_DNS_SERVERS_MAX
 * (a warning names those left out).  *OUT (caller frees with free()) holds
 * *N entries.  AD_ERR_DNS, with a message saying what to fix, when the NS
 * set or a name's addresses cannot be found; AD_ERR_INTERRUPTED,
 * AD_ERR_NOMEM. */
ad_status ad_zone_servers(struct ad_dnscheck *dc, const char *zone, unsigned port, struct ad_ns_server **out,
                          size_t *n);

#endif
