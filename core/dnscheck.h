/* DNS look-ups and the propagation check (ldns). */
#ifndef AD_DNSCHECK_H
#define AD_DNSCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "acme-dns/status.h"

struct ad_dnscheck;

/* RESOLVERS: "ADDR", "ADDR:PORT" or "[V6ADDR]:PORT" (port 53 by default),
 * used for the CNAME/SOA/NS/address look-ups.  With N == 0 the nameservers
 * of /etc/resolv.conf are used.  The resolvers may be non-recursive
 * authoritative servers.  Caller frees *OUT with ad_dnscheck_free. */
ad_status ad_dnscheck_new(const char *const *resolvers, size_t n, struct ad_dnscheck **out);
void ad_dnscheck_free(struct ad_dnscheck *dc);

/* Follow CNAMEs from NAME (at most 8), then find the zone that holds the
 * final name by SOA.  Names have no trailing dot and come back lower case.
 * Caller frees *TARGET and *ZONE with free(). */
ad_status ad_dnscheck_locate(struct ad_dnscheck *dc, const char *name, char **target, char **zone);

struct ad_dnscheck_item {
    const char *name;  /* owner name of the TXT record (after CNAMEs) */
    const char *zone;  /* its zone, from ad_dnscheck_locate */
    const char *value; /* TXT value that must be served */
};

/* Wait until every authoritative server of each item's zone (its NS set,
 * each NS's IPv4 and IPv6 addresses, queried directly without recursion on
 * port NS_PORT) serves each item's value, or TIMEOUT_MS passes.  All items
 * and servers are polled concurrently, with short first intervals that
 * grow.  While waiting, an info line now and then says what is still
 * missing where; on timeout the error names each record and server.
 * Returns AD_ERR_PROPAGATION on timeout, AD_ERR_INTERRUPTED on a signal,
 * AD_ERR_DNS when the NS set or an address cannot be found. */
ad_status ad_dnscheck_wait(struct ad_dnscheck *dc, const struct ad_dnscheck_item *items, size_t n,
                           unsigned ns_port, unsigned timeout_ms);

/* What one server address did about one item (ad_dnscheck_wait_ex). */
struct ad_dnscheck_result {
    size_t item;           /* index into ITEMS */
    char addr[80];         /* the server's address (AD_ADDRSTR_MAX) */
    char ns[256];          /* its NS name */
    bool done;             /* it served the value (GONE: it no longer did) */
    bool skipped;          /* not asked: its address family cannot be reached, its NS name's IPv4 was */
    bool answered;         /* some reply came from it; false: port 53 did not answer */
    unsigned long ms;      /* when done: from the start of the wait */
    char why[160];         /* when not done: what it last said */
};

/* ad_dnscheck_wait, or with GONE: until no server serves any item's value
 * (an authoritative NOERROR or NXDOMAIN without it).  With RESULTS, *RESULTS
 * (caller frees with free()) gets one entry per item and server address,
 * *NRESULTS of them, also after a timeout (AD_ERR_PROPAGATION); NULL when
 * the servers could not be found. */
ad_status ad_dnscheck_wait_ex(struct ad_dnscheck *dc, const struct ad_dnscheck_item *items, size_t n,
                              unsigned ns_port, unsigned timeout_ms, bool gone, struct ad_dnscheck_result **results,
                              size_t *nresults);

#endif
