/* rfc2136 plugin: the server address and UDP/TCP exchanges. */
#ifndef AD_RFC2136_NET_H
#define AD_RFC2136_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "acme-dns/status.h"

#define AD_RFC2136_MAX_ADDRS 8

/* Where updates go. */
struct ad_rfc2136_server {
    char host[256]; /* as given, without the port */
    unsigned port;
    size_t naddrs;
    struct sockaddr_storage addrs[AD_RFC2136_MAX_ADDRS];
    socklen_t lens[AD_RFC2136_MAX_ADDRS];
};

/* Split SPEC ("IP", "IP:PORT", "[IPv6]:PORT", "[IPv6]", "IPv6", "host",
 * "host:PORT") into host and port (53 by default).  AD_ERR_CONFIG when
 * malformed, with a message in ERR. */
ad_status ad_rfc2136_server_split(const char *spec, char *host, size_t hostlen, unsigned *port,
                                  char *err, size_t errlen);

/* Parse SPEC as above and resolve it (numeric first, then a host name
 * look-up).  AD_ERR_CONFIG for a malformed SPEC, AD_ERR_DNS when the name
 * has no address. */
ad_status ad_rfc2136_server_parse(const char *spec, struct ad_rfc2136_server *out, char *err,
                                  size_t errlen);

/* Address I of S as "ADDR" or "[ADDR]:PORT" text for messages. */
void ad_rfc2136_addr_text(const struct ad_rfc2136_server *s, size_t i, char *buf, size_t len);

/* Called for debug lines. */
typedef void (*ad_rfc2136_logfn)(void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Send QUERY (its ID is QUERY[0..1]) to address I of S and receive the
 * reply whose ID matches and that has QR set, over UDP (retried with a
 * growing interval until TIMEOUT_MS) or TCP when FORCE_TCP, when QUERY is
 * larger than AD_DNS_UDP_MAX, or when the UDP reply is truncated.
 * *REPLY is a new buffer (caller frees with free()).  AD_ERR_TIMEOUT
 * when nothing came back in time, AD_ERR_NETWORK on a socket error,
 * AD_ERR_PROTOCOL for a reply that is not one. */
ad_status ad_rfc2136_exchange(const struct ad_rfc2136_server *s, size_t i, const uint8_t *query,
                              size_t qlen, bool force_tcp, unsigned timeout_ms,
                              ad_rfc2136_logfn log, void *log_ctx, uint8_t **reply,
                              size_t *rlen, char *err, size_t errlen);

#endif
