/* Numbers, ports, server addresses and domain names as users and peers give them
 * (core and plugins). */
#ifndef AD_PARSE_H
#define AD_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "acme-dns/status.h"

/* Longest domain name, presentation form without the trailing dot. */
#define AD_NAME_MAX 253
/* Longest text ad_addr_str writes, NUL included. */
#define AD_ADDRSTR_MAX 72

/* S is a decimal number (digits only, no sign, no spaces) from MIN to MAX:
 * true and *OUT set, else false. */
bool ad_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* The N bytes at S are all blanks (space, tab, CR, LF), or N is 0: what may
 * follow a JSON document.  S need not be NUL-terminated. */
bool ad_only_blanks(const char *s, size_t n);

/* S is a port, 1 to 65535. */
bool ad_parse_port(const char *s, unsigned *port);

/* Split SPEC ("HOST", "HOST:PORT", "[IPV6]", "[IPV6]:PORT" or a bare IPv6
 * address, which has two colons or more) into HOST (HOSTLEN bytes, NUL
 * included) and *PORT (DEF_PORT when absent).  False when malformed: empty
 * host, bad port, stray brackets, spaces or slashes. */
bool ad_hostport_split(const char *spec, char *host, size_t hostlen, unsigned def_port,
                       unsigned *port);

/* SPEC as above with a numeric host (dotted-quad IPv4, IPv6 with an optional
 * "%scope"), port 53 by default, into *SA and *LEN.  AD_ERR_USAGE when
 * malformed or not numeric. */
ad_status ad_addr_parse(const char *spec, struct sockaddr_storage *sa, socklen_t *len);

/* "192.0.2.1" or "2001:db8::1" when the port is 53, else "192.0.2.1:5353" or
 * "[2001:db8::1]:5353", into BUF (SIZE bytes, NUL-terminated). */
void ad_addr_str(const struct sockaddr *sa, char *buf, size_t size);

/* True when A and B are the same address and port. */
bool ad_addr_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

/* Set the port of SA (IPv4 or IPv6). */
void ad_addr_set_port(struct sockaddr_storage *sa, unsigned port);

/* Check domain name IN and write it to OUT (SIZE > AD_NAME_MAX) in lower
 * case without its trailing dot.  Rejects the empty name and the root,
 * names over AD_NAME_MAX characters, empty labels, labels over 63
 * characters and characters other than letters, digits, '-', '_' and '*'.
 * AD_ERR_USAGE on rejection. */
ad_status ad_name_normalize(const char *in, char *out, size_t size);

#endif
