/* One bounded, interruptible DNS exchange with one server, through ldns's UDP and
 * TCP functions (core look-ups and the rfc2136 plugin). */
#ifndef AD_DNSIO_H
#define AD_DNSIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "acme-dns/status.h"
#include "clock.h"

/* Largest message sent over UDP; larger ones go over TCP (no EDNS on updates). */
#define AD_DNS_UDP_MAX 512u

struct ad_dns_xfer {
    unsigned timeout_ms; /* the whole exchange: UDP tries and TCP */
    bool force_tcp;
    ad_stop_fn stop;     /* asked every 100 ms while waiting; NULL: never */
    void *stop_ctx;
    bool tcp;            /* out: the reply came over TCP */
    unsigned sends;      /* out: UDP datagrams sent */
};

/* Send QUERY (QLEN bytes, its ID in the first two) to SA and receive the
 * reply that carries that ID and QR: over UDP, sent again after 1, 2, 4 ...
 * s until the timeout, or over TCP when QLEN > AD_DNS_UDP_MAX, when
 * X->force_tcp, or when the UDP reply is truncated.  *REPLY is a new buffer
 * (caller frees with free()).  On failure WHY says what happened, naming
 * the server: AD_ERR_TIMEOUT (no answer in time), AD_ERR_NETWORK (socket
 * error, nothing listens, connection closed), AD_ERR_PROTOCOL (a TCP reply
 * that is not ours), AD_ERR_INTERRUPTED (X->stop said so), AD_ERR_NOMEM. */
ad_status ad_dns_exchange(const struct sockaddr_storage *sa, socklen_t salen, const uint8_t *query,
                          size_t qlen, struct ad_dns_xfer *x, uint8_t **reply, size_t *rlen,
                          char *why, size_t whylen);

/* Name of RCODE from ldns ("REFUSED", "RCODE12" when unknown) in BUF. */
const char *ad_dns_rcode_str(unsigned rcode, char *buf, size_t size);

#endif
