/* The authoritative servers of a zone: its NS names and their addresses. */
#ifndef AD_NAMESERVERS_H
#define AD_NAMESERVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

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

/* Ask the resolvers for ZONE's NS set and each name's A and AAAA records:
 * one entry per distinct address (port PORT), at most AD_DNS_SERVERS_MAX
 * (a warning names those left out).  *OUT (caller frees with free()) holds
 * *N entries.  AD_ERR_DNS, with a message saying what to fix, when the NS
 * set or a name's addresses cannot be found; AD_ERR_INTERRUPTED,
 * AD_ERR_NOMEM. */
ad_status ad_zone_servers(struct ad_dnscheck *dc, const char *zone, unsigned port, struct ad_ns_server **out,
                          size_t *n);

#endif
