/* rfc2136 plugin: DNS wire format (UPDATE messages, replies, TSIG). */
#ifndef AD_RFC2136_WIRE_H
#define AD_RFC2136_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acme-dns/status.h"
#include "rfc2136_key.h"

#define AD_DNS_MSG_MAX 65535u
#define AD_DNS_UDP_MAX 512u /* largest message we send or accept over UDP (no EDNS) */
#define AD_DNS_HDR 12u

enum {
    AD_DNS_OPCODE_QUERY = 0,
    AD_DNS_OPCODE_UPDATE = 5,
};
enum {
    AD_DNS_TYPE_SOA = 6,
    AD_DNS_TYPE_TXT = 16,
    AD_DNS_TYPE_TSIG = 250,
};
enum {
    AD_DNS_CLASS_IN = 1,
    AD_DNS_CLASS_NONE = 254,
    AD_DNS_CLASS_ANY = 255,
};
enum {
    AD_RCODE_NOERROR = 0,
    AD_RCODE_FORMERR = 1,
    AD_RCODE_SERVFAIL = 2,
    AD_RCODE_NXDOMAIN = 3,
    AD_RCODE_NOTIMP = 4,
    AD_RCODE_REFUSED = 5,
    AD_RCODE_YXDOMAIN = 6,
    AD_RCODE_YXRRSET = 7,
    AD_RCODE_NXRRSET = 8,
    AD_RCODE_NOTAUTH = 9,
    AD_RCODE_NOTZONE = 10,
    AD_TSIG_BADSIG = 16,
    AD_TSIG_BADKEY = 17,
    AD_TSIG_BADTIME = 18,
    AD_TSIG_BADTRUNC = 22,
};

/* Longest TXT value we send (split in 255-byte strings). */
#define AD_RFC2136_VALUE_MAX 1024
/* Room a TSIG RR needs at the end of a message. */
#define AD_RFC2136_TSIG_ROOM (2 * 256 + 10 + 16 + 2 + 64 + 6 + 6)

/* Encode the domain name NAME (presentation form, trailing dot optional,
 * no escapes) in lower-case uncompressed wire form into OUT (256 bytes).
 * Returns the length, or 0 when NAME is not a valid name. */
size_t ad_rfc2136_name_wire(const char *name, uint8_t out[256]);

/* True when NAME equals ZONE or lies below it (case-insensitive, no
 * trailing dots). */
bool ad_rfc2136_name_in_zone(const char *name, const char *zone);

/* One TXT record of an UPDATE. */
struct ad_rfc2136_txt {
    const char *name;  /* owner name */
    const char *value; /* TXT value */
    uint32_t ttl;      /* TTL for additions */
};

/* Bytes record REC adds to an UPDATE message. */
size_t ad_rfc2136_txt_size(const struct ad_rfc2136_txt *rec);

/* Build one UPDATE for ZONE with ID: zone section ZONE SOA IN; update
 * section one RR per record: TXT class IN with the record's TTL (add,
 * DEL false: nothing is deleted) or TXT class NONE TTL 0 (delete exactly
 * that value, DEL true; RFC 2136 2.5.4).  Caller frees *OUT with free().
 * AD_ERR_USAGE for a bad name or value or a message over 64 KiB. */
ad_status ad_rfc2136_build_update(uint16_t id, const char *zone,
                                  const struct ad_rfc2136_txt *recs, size_t n, bool del,
                                  uint8_t **out, size_t *len);

/* Build a plain query (RD clear) for NAME TYPE IN.  Caller frees *OUT. */
ad_status ad_rfc2136_build_query(uint16_t id, const char *name, uint16_t type, uint8_t **out,
                                 size_t *len);

/* A parsed reply.  Pointers point into the message given to
 * ad_rfc2136_reply_parse and are borrowed as long as it lives. */
struct ad_rfc2136_reply {
    uint16_t id;
    bool qr, tc;
    unsigned opcode, rcode;
    uint16_t qdcount, ancount, nscount, arcount;
    /* TSIG, when the last additional record is one */
    bool has_tsig;
    size_t tsig_off; /* offset of the TSIG RR (the signed part ends here) */
    char tsig_name[256]; /* lower case, no trailing dot */
    char tsig_alg[256];
    uint64_t time_signed;
    uint16_t fudge;
    const uint8_t *mac;
    uint16_t mac_len;
    uint16_t orig_id;
    uint16_t error;
    const uint8_t *other;
    uint16_t other_len;
};

/* Parse the header of MSG, walk every record within bounds and pick up a
 * trailing TSIG RR.  AD_ERR_PROTOCOL when malformed. */
ad_status ad_rfc2136_reply_parse(const uint8_t *msg, size_t len, struct ad_rfc2136_reply *r);

/* Sign MSG (LEN bytes, ID and ARCOUNT as they will be sent) with KEY at
 * time NOW (seconds since the epoch) and FUDGE: *OUT receives a copy with
 * the TSIG RR appended and ARCOUNT incremented (caller frees with free()),
 * MAC (64 bytes room) the request MAC for verifying the reply. */
ad_status ad_rfc2136_tsig_sign(const struct ad_rfc2136_key *key, const uint8_t *msg, size_t len,
                               uint64_t now, uint16_t fudge, uint8_t **out, size_t *outlen,
                               uint8_t mac[64], size_t *mac_len);

/* Outcome of checking a reply's TSIG. */
enum ad_rfc2136_tsig_check {
    AD_TSIG_CHECK_OK = 0,
    AD_TSIG_CHECK_UNSIGNED,  /* the reply has no TSIG */
    AD_TSIG_CHECK_WRONG_KEY, /* signed with another key name or algorithm */
    AD_TSIG_CHECK_BAD_MAC,   /* MAC does not match (or is too short) */
    AD_TSIG_CHECK_BAD_TIME,  /* time signed outside the fudge */
};

/* Verify the TSIG of reply MSG (parsed as R) against KEY and the request
 * MAC REQ_MAC (RFC 8945 5.3.1), and its time against NOW. */
enum ad_rfc2136_tsig_check ad_rfc2136_tsig_verify(const struct ad_rfc2136_key *key,
                                                  const uint8_t *msg, size_t len,
                                                  const struct ad_rfc2136_reply *r,
                                                  const uint8_t *req_mac, size_t req_mac_len,
                                                  uint64_t now);

/* Name of an RCODE or TSIG error ("REFUSED", "BADSIG"); "RCODE<n>" unknown. */
const char *ad_rfc2136_rcode_name(unsigned rcode, char buf[16]);

/* Context for explaining a failed update. */
struct ad_rfc2136_why {
    const char *server;   /* address as the user gave it */
    const char *zone;
    const char *name;     /* first record name */
    const char *key_name; /* NULL: unsigned */
    const char *alg;      /* algorithm name */
};

/* Turn a reply's RCODE and TSIG ERROR into a message saying what to fix,
 * written to BUF.  Returns AD_OK for NOERROR, AD_ERR_AUTH for key
 * problems and AD_ERR_PROVIDER otherwise. */
ad_status ad_rfc2136_explain(unsigned rcode, unsigned tsig_error, const struct ad_rfc2136_why *w,
                             char *buf, size_t len);

#endif
