/* rfc2136 plugin: the TSIG MAC (RFC 8945), by hand over ldns's wire bytes.
 * ldns 1.8.3 signs hmac-md5, -sha1, -sha256 and -sha512 only (no sha224,
 * and "hmac-shac384." for sha384) and checks no time window, so the HMAC is
 * OpenSSL's EVP_MAC and the rules are ours; the TSIG RR itself is an ldns
 * RR, written and read by ldns. */
#ifndef AD_RFC2136_TSIG_H
#define AD_RFC2136_TSIG_H

#include <stddef.h>
#include <stdint.h>

#include "acme-dns/status.h"
#include "rfc2136_key.h"
#include "rfc2136_msg.h"

/* Sign MSG (LEN bytes, a whole message without TSIG, ID as it will be
 * sent) with KEY at time NOW (seconds since the epoch) and FUDGE: *OUT
 * receives MSG with the TSIG RR appended and ARCOUNT one higher (caller
 * frees with free()), MAC (64 bytes room) the request MAC for verifying the
 * reply. */
ad_status ad_rfc2136_tsig_sign(const struct ad_rfc2136_key *key, const uint8_t *msg, size_t len, uint64_t now,
                               uint16_t fudge, uint8_t **out, size_t *outlen, uint8_t mac[64], size_t *mac_len);

/* Outcome of checking a reply's TSIG. */
enum ad_rfc2136_tsig_check {
    AD_TSIG_CHECK_OK = 0,
    AD_TSIG_CHECK_UNSIGNED,  /* the reply has no TSIG */
    AD_TSIG_CHECK_WRONG_KEY, /* signed with another key name or algorithm */
    AD_TSIG_CHECK_BAD_MAC,   /* the MAC does not match */
    AD_TSIG_CHECK_BAD_TRUNC, /* MAC longer than the hash, or shorter than RFC 8945 5.2.2.1 allows */
    AD_TSIG_CHECK_BAD_TIME,  /* time signed outside the fudge */
};

/* Verify the TSIG of reply MSG (LEN bytes, parsed as R) against KEY and the
 * request MAC REQ_MAC (RFC 8945 5.3.1): a truncated MAC counts when it has
 * at least max(10, half the hash) bytes; then its time against NOW. */
enum ad_rfc2136_tsig_check ad_rfc2136_tsig_verify(const struct ad_rfc2136_key *key, const uint8_t *msg,
                                                  size_t len, const struct ad_rfc2136_reply *r,
                                                  const uint8_t *req_mac, size_t req_mac_len, uint64_t now);

#endif
