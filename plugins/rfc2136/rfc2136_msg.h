/* rfc2136 plugin: UPDATE and SOA messages built by ldns, replies parsed by
 * ldns, and what a reply's RCODE and TSIG error mean for the user. */
#ifndef AD_RFC2136_MSG_H
#define AD_RFC2136_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "acme-dns/status.h"

/* TSIG errors (RFC 8945 table 4): ldns 1.8.3 names the RCODEs 0-10 only. */
enum { AD_TSIG_BADSIG = 16, AD_TSIG_BADKEY = 17, AD_TSIG_BADTIME = 18, AD_TSIG_BADTRUNC = 22 };

/* Longest TXT value we send (split in 255-byte strings). */
#define AD_RFC2136_VALUE_MAX 1024
/* Room a TSIG RR needs at the end of a message. */
#define AD_RFC2136_TSIG_ROOM (2 * 256 + 10 + 16 + 2 + 64 + 6 + 6)

/* One TXT record of an UPDATE. */
struct ad_rfc2136_txt {
    const char *name;  /* owner name */
    const char *value; /* TXT value */
    uint32_t ttl;      /* TTL for additions */
};

/* Bytes record REC adds to an UPDATE at most (uncompressed). */
size_t ad_rfc2136_txt_size(const struct ad_rfc2136_txt *rec);

/* One UPDATE for ZONE (ldns_update_pkt_new, random ID): zone section ZONE
 * SOA IN; update section one RR per record: TXT class IN with the record's
 * TTL (add, DEL false: nothing is deleted) or TXT class NONE TTL 0 (delete
 * exactly that value, DEL true; RFC 2136 2.5.4).  Wire form from
 * ldns_pkt2wire in *OUT (caller frees with free()).  AD_ERR_USAGE for a bad
 * name or value or a message too large to sign. */
ad_status ad_rfc2136_build_update(const char *zone, const struct ad_rfc2136_txt *recs, size_t n, bool del,
                                  uint8_t **out, size_t *len);

/* A query for NAME SOA IN, RD clear, random ID.  Caller frees *OUT. */
ad_status ad_rfc2136_build_soa_query(const char *name, uint8_t **out, size_t *len);

/* True when NAME equals ZONE or lies below it (ldns_dname_*; "" is the root). */
bool ad_rfc2136_name_in_zone(const char *name, const char *zone);

/* A reply (or any message) parsed by ldns, with its trailing TSIG RR. */
struct ad_rfc2136_reply {
    ldns_pkt *pkt; /* owned: ad_rfc2136_reply_clear */
    uint16_t id;
    bool qr;
    unsigned opcode, rcode;
    bool has_tsig;        /* the last record is a TSIG RR */
    size_t tsig_off;      /* offset of the TSIG RR (the signed part ends there) */
    const ldns_rr *tsig;  /* borrowed from pkt */
    char tsig_name[256];  /* lower case, no trailing dot */
    char tsig_alg[256];
    uint64_t time_signed;
    uint16_t fudge;
    const uint8_t *mac;   /* borrowed from pkt */
    uint16_t mac_len;
    uint16_t orig_id;
    uint16_t error;
};

/* Parse MSG with ldns and find its TSIG: the last record, exactly once, with
 * all seven fields and nothing after it.  AD_ERR_PROTOCOL when malformed;
 * free with ad_rfc2136_reply_clear either way. */
ad_status ad_rfc2136_reply_parse(const uint8_t *msg, size_t len, struct ad_rfc2136_reply *r);
void ad_rfc2136_reply_clear(struct ad_rfc2136_reply *r);

/* Name of an RCODE or TSIG error ("REFUSED", "BADSIG", "RCODE12"), in BUF. */
const char *ad_rfc2136_rcode_name(unsigned rcode, char buf[16]);

/* Context for explaining a failed update. */
struct ad_rfc2136_why {
    const char *server;   /* address as the user gave it */
    const char *zone;
    const char *name;     /* first record name */
    const char *key_name; /* NULL: unsigned */
    const char *alg;      /* algorithm name */
    bool reply_signed;    /* the reply carried a TSIG RR */
};

/* Turn a reply's RCODE and TSIG ERROR into a message saying what to fix,
 * written to BUF.  Returns AD_OK for NOERROR, AD_ERR_AUTH for key
 * problems and AD_ERR_PROVIDER otherwise. */
ad_status ad_rfc2136_explain(unsigned rcode, unsigned tsig_error, const struct ad_rfc2136_why *w, char *buf,
                             size_t len);

#endif
