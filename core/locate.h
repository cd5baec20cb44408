/* Look-ups through the resolvers (shared by locate.c, nameservers.c and
 * propagation.c; the pure helpers are exposed for the unit tests). */
#ifndef AD_LOCATE_H
#define AD_LOCATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "acme-dns/status.h"
#include "dnscheck.h"
#include "dnsio.h"
#include "parse.h"

#define AD_DNS_RESOLVERS_MAX 16
#define AD_DNS_DIAG_MAX 600

/* What the resolvers said when none gave a usable answer. */
struct ad_lookup_diag {
    char text[AD_DNS_DIAG_MAX];
    bool answered; /* some resolver replied at all */
};

/* NULL to accept PKT, else why it is not usable (static or kept in CTX). */
typedef const char *(*ad_judge_fn)(const ldns_pkt *pkt, void *ctx);

/* Accepts NOERROR and NXDOMAIN replies. */
const char *ad_judge_rcode(const ldns_pkt *pkt, void *ctx);

/* What an SOA reply says about the zone of Q (set by the caller, borrowed). */
struct ad_soa_ctx {
    ldns_rdf *q;
    char zone[AD_NAME_MAX + 1];     /* out: the zone, when accepted */
    char referral[AD_NAME_MAX + 1]; /* out: the zone a referral names */
    char why[AD_NAME_MAX + 64];
};

/* ad_judge_fn for SOA look-ups (CTX a struct ad_soa_ctx): accepts a reply
 * with Q's SOA in the answer or an SOA at or above Q in the authority
 * section, filling CTX->zone. */
const char *ad_judge_soa(const ldns_pkt *pkt, void *ctx);

/* The target of the CNAME owned by FROM in PKT's answer section, in NEXT
 * (SIZE > AD_NAME_MAX): 1 found, 0 none, -1 a target we cannot use. */
int ad_cname_next(const ldns_pkt *pkt, const char *from, char *next, size_t size);

/* Ask the resolvers (those that failed least first) about NAME/TYPE, with
 * recursion desired, until JUDGE accepts a reply: *OUT (caller frees with
 * ldns_pkt_free).  AD_ERR_DNS with D filled when none did;
 * AD_ERR_INTERRUPTED, AD_ERR_NOMEM. */
ad_status ad_lookup(struct ad_dnscheck *dc, const char *name, ldns_rr_type type, ad_judge_fn judge,
                    void *ctx, ldns_pkt **out, struct ad_lookup_diag *d);

/* Query wire for NAME/TYPE/IN built by ldns (EDNS, 1232 bytes), RD as
 * given.  Caller frees *WIRE with free(). */
ad_status ad_query_wire(const ldns_rdf *name, ldns_rr_type type, bool rd, uint8_t **wire, size_t *len);

/* Reply BUF/LEN parsed by ldns when it answers the question NAME/TYPE (or
 * is an error without a question), else NULL.  Caller frees with
 * ldns_pkt_free. */
ldns_pkt *ad_reply_parse(const uint8_t *buf, size_t len, const ldns_rdf *name, ldns_rr_type type);

/* Name D in OUT (SIZE > AD_NAME_MAX): lower case, no trailing dot, "" for
 * the root; AD_ERR_PROTOCOL when ad_name_normalize would refuse it. */
ad_status ad_dname_str(const ldns_rdf *d, char *out, size_t size);

/* True when D and NAME (presentation form) are the same name. */
bool ad_dname_is(const ldns_rdf *d, const char *name);

/* The nameservers of resolv.conf file PATH, read by ldns, into OUT/LENS (at
 * most MAX), *N of them.  AD_ERR_DNS with a message when the file cannot be
 * read or parsed, or names none. */
ad_status ad_resolvers_from_file(const char *path, struct sockaddr_storage *out, socklen_t *lens,
                                 size_t max, size_t *n);

/* ad_stop_fn for the core: true once SIGINT or SIGTERM arrived. */
int ad_dnscheck_stop(void *ctx);

#endif
