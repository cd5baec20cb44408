/* Pure helpers of dnscheck.c, exposed for the unit tests only. */
#ifndef AD_DNSCHECK_INTERNAL_H
#define AD_DNSCHECK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "acme-dns/status.h"

/* Longest domain name we handle, in presentation form without the trailing dot. */
#define AD_DNS_NAME_MAX 253
/* Longest address string ad_dnscheck_addr_str writes, NUL included. */
#define AD_DNS_ADDRSTR_MAX 72

/* Parse "ADDR", "ADDR:PORT", "[V6ADDR]", "[V6ADDR]:PORT" or a bare IPv6
 * address ("::1", "fe80::1%eth0") into *SA and *LEN; the port is 53 when
 * absent.  Only numeric addresses.  AD_ERR_USAGE on malformed input. */
ad_status ad_dnscheck_parse_addr(const char *s, struct sockaddr_storage *sa, socklen_t *len);

/* Write the nameserver addresses of resolv.conf TEXT to OUT (at most MAX;
 * malformed lines are skipped).  Returns the count. */
size_t ad_dnscheck_resolv_conf(const char *text, struct sockaddr_storage *out, socklen_t *lens,
                               size_t max);

/* "127.0.0.1", "::1" when the port is 53, else "127.0.0.1:5353" or
 * "[::1]:5353".  BUF gets at most SIZE bytes, NUL-terminated. */
void ad_dnscheck_addr_str(const struct sockaddr *sa, char *buf, size_t size);

/* Normalise domain name IN into OUT (SIZE > AD_DNS_NAME_MAX): lower case,
 * one trailing dot dropped.  Rejects the empty name and the root, names
 * longer than 253 characters, empty labels, labels over 63 characters and
 * characters other than letters, digits, '-', '_' and '*'.  AD_ERR_USAGE
 * on rejection. */
ad_status ad_dnscheck_normalize(const char *in, char *out, size_t size);

/* Presentation form of wire-format name D into OUT (SIZE > AD_DNS_NAME_MAX),
 * lower case, no trailing dot, "" for the root.  AD_ERR_PROTOCOL when D is
 * malformed or holds characters ad_dnscheck_normalize would reject. */
ad_status ad_dnscheck_dname_str(const ldns_rdf *d, char *out, size_t size);

/* True when wire-format name D equals normalised NAME (case-insensitive). */
bool ad_dnscheck_dname_eq(const ldns_rdf *d, const char *name);

/* True when CHILD is PARENT or below it ("" is the root). */
bool ad_dnscheck_is_subdomain(const char *child, const char *parent);

/* True when the answer section of PKT holds a TXT record of class IN owned
 * by NAME (normalised) whose character strings, concatenated, equal VALUE.
 * Other TXT records may be there too. */
bool ad_dnscheck_pkt_has_txt(const ldns_pkt *pkt, const char *name, const char *value);

/* True when the answer section of PKT holds any TXT record owned by NAME. */
bool ad_dnscheck_pkt_any_txt(const ldns_pkt *pkt, const char *name);

#endif
