/* rfc2136 plugin: UPDATE and SOA messages built by ldns, replies parsed by
 * ldns, and what a reply's RCODE and TSIG error mean for the user. */
#include "rfc2136_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsio.h"
#include "parse.h"

size_t ad_rfc2136_txt_size(const struct ad_rfc2136_txt *rec)
{
    size_t v = strlen(rec->value);
    return strlen(rec->name) + 2 + 10 + v + v / 255 + 1;
}

/* TXT RR NAME "VALUE" (255-byte strings), class IN and TTL, or class NONE
 * and TTL 0 when DEL.  NULL for a bad name or value. */
static ldns_rr *txt_rr(const struct ad_rfc2136_txt *t, bool del)
{
    char name[AD_NAME_MAX + 1];
    size_t vlen = strlen(t->value), at = 0;
    ldns_rr *rr = NULL;
    if (vlen > AD_RFC2136_VALUE_MAX || ad_name_normalize(t->name, name, sizeof name) != AD_OK ||
        !(rr = ldns_rr_new()))
        return NULL;
    ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
    ldns_rr_set_owner(rr, ldns_dname_new_frm_str(name));
    ldns_rr_set_class(rr, del ? LDNS_RR_CLASS_NONE : LDNS_RR_CLASS_IN);
    ldns_rr_set_ttl(rr, del ? 0 : t->ttl);
    bool ok = ldns_rr_owner(rr) != NULL;
    do {
        uint8_t s[256];
        size_t chunk = vlen - at > 255 ? 255 : vlen - at;
        s[0] = (uint8_t)chunk;
        memcpy(s + 1, t->value + at, chunk);
        ldns_rdf *f = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, chunk + 1, s);
        ok = ok && f && ldns_rr_push_rdf(rr, f);
        if (!ok)
            ldns_rdf_deep_free(f);
        at += chunk;
    } while (ok && at < vlen);
    if (!ok) {
        ldns_rr_free(rr);
        return NULL;
    }
    return rr;
}

static ldns_rdf *zone_rdf(const char *zone)
{
    char z[AD_NAME_MAX + 1];
    return ad_name_normalize(zone, z, sizeof z) == AD_OK ? ldns_dname_new_frm_str(z) : NULL;
}

ad_status ad_rfc2136_build_update(const char *zone, const struct ad_rfc2136_txt *recs, size_t n, bool del,
                                  uint8_t **out, size_t *len)
{
    ad_status rc = AD_ERR_USAGE;
    ldns_rr_list *up = ldns_rr_list_new();
    ldns_rdf *z = zone_rdf(zone);
    ldns_pkt *p = NULL;
    *out = NULL;
    if (!up || !z)
        goto out;
    for (size_t i = 0; i < n; i++) {
        ldns_rr *rr = txt_rr(&recs[i], del);
        if (!rr || !ldns_rr_list_push_rr(up, rr)) {
            ldns_rr_free(rr);
            goto out;
        }
    }
    if (!(p = ldns_update_pkt_new(z, LDNS_RR_CLASS_IN, NULL, up, NULL)))
        goto out;
    z = NULL; /* the packet owns it */
    ldns_pkt_set_rd(p, false);
    ldns_pkt_set_random_id(p);
    if (ldns_pkt2wire(out, p, len) == LDNS_STATUS_OK && *len <= LDNS_MAX_PACKETLEN - AD_RFC2136_TSIG_ROOM)
        rc = AD_OK;
out:
    if (rc != AD_OK) {
        free(*out);
        *out = NULL;
    }
    ldns_rdf_deep_free(z);
    ldns_rr_list_deep_free(up);
    ldns_pkt_free(p);
    return rc;
}

ad_status ad_rfc2136_build_soa_query(const char *name, uint8_t **out, size_t *len)
{
    ldns_rdf *d = zone_rdf(name);
    ldns_pkt *p = d ? ldns_pkt_query_new(d, LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0) : NULL;
    ad_status rc = d ? AD_ERR_NOMEM : AD_ERR_USAGE;
    if (d && !p)
        ldns_rdf_deep_free(d);
    if (p) {
        ldns_pkt_set_random_id(p);
        if (ldns_pkt2wire(out, p, len) == LDNS_STATUS_OK)
            rc = AD_OK;
    }
    ldns_pkt_free(p);
    return rc;
}

bool ad_rfc2136_name_in_zone(const char *name, const char *zone)
{
    ldns_rdf *n = ldns_dname_new_frm_str(name), *z = ldns_dname_new_frm_str(*zone ? zone : ".");
    bool in = n && z && (ldns_dname_compare(n, z) == 0 || ldns_dname_is_subdomain(n, z));
    ldns_rdf_deep_free(n);
    ldns_rdf_deep_free(z);
    return in;
}

/* NAME in OUT (256 bytes): lower case, no trailing dot. */
static void dname_text(const ldns_rdf *d, char *out)
{
    char *s = ldns_rdf2str(d);
    size_t n = s ? strlen(s) : 0;
    if (n > 1 && s[n - 1] == '.')
        n--;
    snprintf(out, 256, "%.*s", (int)n, s ? s : "");
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    free(s);
}

/* The TSIG RR's seven fields (ldns leaves a short rdata short). */
static bool tsig_fields(struct ad_rfc2136_reply *r)
{
    const ldns_rr *t = r->tsig;
    if (ldns_rr_rd_count(t) != 7 || ldns_rdf_size(ldns_rr_rdf(t, 1)) != 6 || ldns_rdf_size(ldns_rr_rdf(t, 2)) != 2 ||
        ldns_rdf_size(ldns_rr_rdf(t, 4)) != 2 || ldns_rdf_size(ldns_rr_rdf(t, 5)) != 2)
        return false;
    const ldns_rdf *mac = ldns_rr_rdf(t, 3);
    const uint8_t *md = ldns_rdf_data(mac), *ts = ldns_rdf_data(ldns_rr_rdf(t, 1));
    if (ldns_rdf_size(mac) < 2 || ldns_rdf_size(mac) != 2u + ldns_read_uint16(md))
        return false;
    dname_text(ldns_rr_owner(t), r->tsig_name);
    dname_text(ldns_rr_rdf(t, 0), r->tsig_alg);
    r->time_signed = (uint64_t)ldns_read_uint16(ts) << 32 | ldns_read_uint32(ts + 2);
    r->fudge = ldns_rdf2native_int16(ldns_rr_rdf(t, 2));
    r->mac_len = ldns_read_uint16(md);
    r->mac = md + 2;
    r->orig_id = ldns_rdf2native_int16(ldns_rr_rdf(t, 4));
    r->error = ldns_rdf2native_int16(ldns_rr_rdf(t, 5));
    return true;
}

ad_status ad_rfc2136_reply_parse(const uint8_t *msg, size_t len, struct ad_rfc2136_reply *r)
{
    memset(r, 0, sizeof *r);
    if (len < LDNS_HEADER_SIZE)
        return AD_ERR_PROTOCOL;
    /* Walk the records with ldns to find where the TSIG RR starts (the MAC
     * covers what comes before it): ldns_wire2pkt takes it out of the
     * additional section without saying where, and takes one anywhere. */
    size_t qd = LDNS_QDCOUNT(msg), total = qd + LDNS_ANCOUNT(msg) + LDNS_NSCOUNT(msg) + LDNS_ARCOUNT(msg);
    size_t pos = LDNS_HEADER_SIZE;
    for (size_t i = 0; i < total; i++) {
        ldns_rr *rr = NULL;
        size_t start = pos;
        if (ldns_wire2rr(&rr, msg, len, &pos, i < qd ? LDNS_SECTION_QUESTION : LDNS_SECTION_ANSWER) !=
            LDNS_STATUS_OK)
            return AD_ERR_PROTOCOL;
        bool tsig = i >= qd && ldns_rr_get_type(rr) == LDNS_RR_TYPE_TSIG;
        ldns_rr_free(rr);
        if (tsig && (i != total - 1 || i < total - LDNS_ARCOUNT(msg)))
            return AD_ERR_PROTOCOL; /* RFC 8945 5.1: the last additional record */
        if (tsig) {
            r->has_tsig = true;
            r->tsig_off = start;
        }
    }
    if ((r->has_tsig && pos != len) || ldns_wire2pkt(&r->pkt, msg, len) != LDNS_STATUS_OK)
        return AD_ERR_PROTOCOL;
    r->id = ldns_pkt_id(r->pkt);
    r->qr = ldns_pkt_qr(r->pkt);
    r->opcode = ldns_pkt_get_opcode(r->pkt);
    r->rcode = ldns_pkt_get_rcode(r->pkt);
    r->tsig = ldns_pkt_tsig(r->pkt);
    if (r->has_tsig && (!r->tsig || !tsig_fields(r)))
        return AD_ERR_PROTOCOL;
    return AD_OK;
}

void ad_rfc2136_reply_clear(struct ad_rfc2136_reply *r)
{
    ldns_pkt_free(r->pkt);
    memset(r, 0, sizeof *r);
}

const char *ad_rfc2136_rcode_name(unsigned rcode, char buf[16])
{
    switch (rcode) {
    case AD_TSIG_BADSIG: return "BADSIG";
    case AD_TSIG_BADKEY: return "BADKEY";
    case AD_TSIG_BADTIME: return "BADTIME";
    case AD_TSIG_BADTRUNC: return "BADTRUNC";
    default: return ad_dns_rcode_str(rcode & 0xffffu, buf, 16);
    }
}

static ad_status explain_tsig(unsigned tsig_error, const struct ad_rfc2136_why *w, char *buf, size_t len)
{
    char nb[16];
    switch (tsig_error) {
    case AD_TSIG_BADSIG:
        snprintf(buf, len, "TSIG key rejected by %s (BADSIG): check the secret and algorithm", w->server);
        break;
    case AD_TSIG_BADKEY: /* Knot also answers an ACL denial of a known key so */
        snprintf(buf, len,
                 "TSIG key rejected by %s (BADKEY): the server does not know key %s with %s, or its access "
                 "control does not let that key update %s in zone %s: check tsig-name and tsig-algorithm "
                 "against the server's key statement, and the zone's update ACL (Knot: an acl with action "
                 "update and this key; BIND: update-policy)",
                 w->server, w->key_name ? w->key_name : "(none)", w->alg ? w->alg : "-", w->name, w->zone);
        break;
    case AD_TSIG_BADTIME:
        snprintf(buf, len,
                 "TSIG time rejected by %s (BADTIME): clock skew between this host and the server is larger "
                 "than the fudge: check both clocks (NTP)",
                 w->server);
        break;
    default:
        snprintf(buf, len, "TSIG key rejected by %s (%s): check the key", w->server,
                 ad_rfc2136_rcode_name(tsig_error, nb));
    }
    return AD_ERR_AUTH;
}

ad_status ad_rfc2136_explain(unsigned rcode, unsigned tsig_error, const struct ad_rfc2136_why *w, char *buf,
                             size_t len)
{
    char nb[16];
    if (tsig_error != 0)
        return explain_tsig(tsig_error, w, buf, len);
    switch (rcode) {
    case LDNS_RCODE_NOERROR:
        snprintf(buf, len, "update accepted by %s", w->server);
        return AD_OK;
    case LDNS_RCODE_REFUSED:
        if (!w->key_name) {
            snprintf(buf, len,
                     "server %s refused the unsigned update (REFUSED) that tsig=none asks for: zone %s does not "
                     "take unsigned updates from this host; give a TSIG key (tsig-keyfile=FILE) in place of "
                     "tsig=none, or let this host's address update the zone (BIND: allow-update)",
                     w->server, w->zone);
            return AD_ERR_PROVIDER;
        }
        if (!w->reply_signed) { /* PowerDNS answers a key it cannot verify so */
            snprintf(buf, len,
                     "server %s refused the update (REFUSED) in an unsigned reply: it did not accept key %s "
                     "(%s): check the secret, tsig-name and tsig-algorithm against the server's key, and "
                     "that the key may update zone %s (PowerDNS: TSIG-ALLOW-DNSUPDATE)",
                     w->server, w->key_name, w->alg ? w->alg : "-", w->zone);
            return AD_ERR_AUTH;
        }
        snprintf(buf, len,
                 "server %s refused the update (REFUSED): check that key %s may update zone %s (BIND: "
                 "update-policy or allow-update; PowerDNS: TSIG-ALLOW-DNSUPDATE, and this host's address in "
                 "allow-dnsupdate-from or ALLOW-DNSUPDATE-FROM)",
                 w->server, w->key_name, w->zone);
        return AD_ERR_PROVIDER;
    case LDNS_RCODE_NOTZONE:
        snprintf(buf, len, "%s is not in zone %s (NOTZONE): set the zone option", w->name, w->zone);
        return AD_ERR_PROVIDER;
    default:
        break;
    }
    static const struct {
        unsigned rcode;
        const char *did, *todo;
    } other[] = {
        {LDNS_RCODE_NOTAUTH, "is not authoritative for", ": set server to the zone's primary, or set the zone option"},
        {LDNS_RCODE_SERVFAIL, "failed to apply the update to",
         ": check the server's log (journal, zone file permissions, dynamic zone)"},
        {LDNS_RCODE_NOTIMPL, "does not support dynamic updates of", ""},
        {LDNS_RCODE_FORMERR, "could not parse the update of", ""},
    };
    size_t i = 0;
    while (i < sizeof other / sizeof other[0] && other[i].rcode != rcode)
        i++;
    snprintf(buf, len, "server %s %s zone %s (%s)%s", w->server,
             i < sizeof other / sizeof other[0] ? other[i].did : "rejected the update to", w->zone,
             rcode == LDNS_RCODE_NOTIMPL ? "NOTIMP" : ad_rfc2136_rcode_name(rcode, nb),
             i < sizeof other / sizeof other[0] ? other[i].todo : "");
    return AD_ERR_PROVIDER;
}
