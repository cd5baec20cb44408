/* rfc2136 plugin: DNS wire format (UPDATE messages, replies, TSIG). */
#include "rfc2136_wire.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

/* ---- output buffer -------------------------------------------------- */

struct ad_wbuf {
    uint8_t *p;
    size_t len, cap;
    bool fail;
};

static void ad_w_bytes(struct ad_wbuf *b, const void *d, size_t n)
{
    if (b->fail || n == 0)
        return;
    if (n > b->cap - b->len) {
        b->fail = true;
        return;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void ad_w_u8(struct ad_wbuf *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    ad_w_bytes(b, &x, 1);
}

static void ad_w_u16(struct ad_wbuf *b, unsigned v)
{
    uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    ad_w_bytes(b, x, 2);
}

static void ad_w_u32(struct ad_wbuf *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    ad_w_bytes(b, x, 4);
}

static void ad_w_u48(struct ad_wbuf *b, uint64_t v)
{
    uint8_t x[6] = { (uint8_t)(v >> 40), (uint8_t)(v >> 32), (uint8_t)(v >> 24),
                     (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    ad_w_bytes(b, x, 6);
}

static bool ad_w_name(struct ad_wbuf *b, const char *name)
{
    uint8_t w[256];
    size_t n = ad_rfc2136_name_wire(name, w);
    if (n == 0) {
        b->fail = true;
        return false;
    }
    ad_w_bytes(b, w, n);
    return true;
}

static uint16_t ad_get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

/* ---- names ---------------------------------------------------------- */

size_t ad_rfc2136_name_wire(const char *name, uint8_t out[256])
{
    size_t n = strlen(name);
    if (n > 0 && name[n - 1] == '.')
        n--;
    if (n == 0) { /* the root */
        out[0] = 0;
        return name[0] == '.' || name[0] == '\0' ? 1 : 0;
    }
    if (n > 253)
        return 0;
    size_t o = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || name[i] == '.') {
            size_t l = i - start;
            if (l == 0 || l > 63)
                return 0;
            out[o++] = (uint8_t)l;
            for (size_t j = start; j < i; j++) {
                unsigned char c = (unsigned char)name[j];
                if (c <= ' ' || c >= 0x7f || c == '\\')
                    return 0;
                out[o++] = (uint8_t)tolower(c);
            }
            start = i + 1;
        }
    }
    out[o++] = 0;
    return o;
}

bool ad_rfc2136_name_in_zone(const char *name, const char *zone)
{
    size_t n = strlen(name), z = strlen(zone);
    while (n > 0 && name[n - 1] == '.')
        n--;
    while (z > 0 && zone[z - 1] == '.')
        z--;
    if (z == 0)
        return true;
    if (n < z || strncasecmp(name + n - z, zone, z) != 0)
        return false;
    return n == z || name[n - z - 1] == '.';
}

/* ---- building ------------------------------------------------------- */

size_t ad_rfc2136_txt_size(const struct ad_rfc2136_txt *rec)
{
    size_t v = strlen(rec->value);
    size_t strings = v / 255 + 1;
    return strlen(rec->name) + 2 + 10 + v + strings;
}

static void ad_w_header(struct ad_wbuf *b, uint16_t id, unsigned opcode, unsigned qd,
                        unsigned an, unsigned ns, unsigned ar)
{
    ad_w_u16(b, id);
    ad_w_u16(b, (opcode & 0xf) << 11);
    ad_w_u16(b, qd);
    ad_w_u16(b, an);
    ad_w_u16(b, ns);
    ad_w_u16(b, ar);
}

ad_status ad_rfc2136_build_update(uint16_t id, const char *zone,
                                  const struct ad_rfc2136_txt *recs, size_t n, bool del,
                                  uint8_t **out, size_t *len)
{
    ad_status rc = AD_ERR_USAGE;
    struct ad_wbuf b = { 0 };
    if (n > 0xffff)
        goto out;
    b.cap = AD_DNS_MSG_MAX - AD_RFC2136_TSIG_ROOM;
    b.p = malloc(b.cap);
    if (b.p == NULL) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    /* RFC 2136 2.2: ZOCOUNT, PRCOUNT, UPCOUNT, ADCOUNT */
    ad_w_header(&b, id, AD_DNS_OPCODE_UPDATE, 1, 0, (unsigned)n, 0);
    if (!ad_w_name(&b, zone))
        goto out;
    ad_w_u16(&b, AD_DNS_TYPE_SOA);
    ad_w_u16(&b, AD_DNS_CLASS_IN);
    for (size_t i = 0; i < n; i++) {
        size_t vlen = strlen(recs[i].value);
        if (vlen > AD_RFC2136_VALUE_MAX || !ad_w_name(&b, recs[i].name))
            goto out;
        ad_w_u16(&b, AD_DNS_TYPE_TXT);
        ad_w_u16(&b, del ? AD_DNS_CLASS_NONE : AD_DNS_CLASS_IN);
        ad_w_u32(&b, del ? 0 : recs[i].ttl);
        size_t strings = vlen / 255 + 1;
        if (vlen > 0 && vlen % 255 == 0)
            strings--;
        ad_w_u16(&b, (unsigned)(vlen + strings));
        const char *v = recs[i].value;
        size_t left = vlen;
        do {
            size_t chunk = left > 255 ? 255 : left;
            ad_w_u8(&b, (unsigned)chunk);
            ad_w_bytes(&b, v, chunk);
            v += chunk;
            left -= chunk;
        } while (left > 0);
    }
    if (b.fail)
        goto out;
    *out = b.p;
    *len = b.len;
    b.p = NULL;
    rc = AD_OK;
out:
    free(b.p);
    return rc;
}

ad_status ad_rfc2136_build_query(uint16_t id, const char *name, uint16_t type, uint8_t **out,
                                 size_t *len)
{
    struct ad_wbuf b = { 0 };
    b.cap = AD_DNS_HDR + 256 + 4;
    b.p = malloc(b.cap);
    if (b.p == NULL)
        return AD_ERR_NOMEM;
    ad_w_header(&b, id, AD_DNS_OPCODE_QUERY, 1, 0, 0, 0);
    ad_w_name(&b, name);
    ad_w_u16(&b, type);
    ad_w_u16(&b, AD_DNS_CLASS_IN);
    if (b.fail) {
        free(b.p);
        return AD_ERR_USAGE;
    }
    *out = b.p;
    *len = b.len;
    return AD_OK;
}

/* ---- parsing -------------------------------------------------------- */

/* Read the (possibly compressed) name at *OFF in MSG; advance *OFF past
 * it.  TEXT (256 bytes, or NULL) receives it in lower case without the
 * trailing dot.  False when malformed. */
static bool ad_read_name(const uint8_t *msg, size_t len, size_t *off, char *text)
{
    size_t p = *off, t = 0, total = 0;
    bool jumped = false;
    unsigned hops = 0;
    for (;;) {
        if (p >= len)
            return false;
        uint8_t l = msg[p];
        if ((l & 0xc0) == 0xc0) {
            if (p + 1 >= len || ++hops > 64)
                return false;
            size_t target = (size_t)((l & 0x3f) << 8 | msg[p + 1]);
            if (!jumped)
                *off = p + 2;
            jumped = true;
            if (target >= p)
                return false; /* pointers go backwards only */
            p = target;
            continue;
        }
        if (l & 0xc0)
            return false;
        if (l == 0) {
            if (!jumped)
                *off = p + 1;
            break;
        }
        if (p + 1 + l > len || (total += l + 1u) > 255)
            return false;
        if (text != NULL) {
            if (t > 0)
                text[t++] = '.';
            for (size_t i = 0; i < l; i++) {
                unsigned char c = msg[p + 1 + i];
                text[t++] = (char)(c > ' ' && c < 0x7f ? tolower(c) : '?');
            }
        }
        p += 1u + l;
    }
    if (text != NULL)
        text[t] = '\0';
    return true;
}

ad_status ad_rfc2136_reply_parse(const uint8_t *msg, size_t len, struct ad_rfc2136_reply *r)
{
    memset(r, 0, sizeof *r);
    if (len < AD_DNS_HDR)
        return AD_ERR_PROTOCOL;
    r->id = ad_get16(msg);
    uint16_t flags = ad_get16(msg + 2);
    r->qr = (flags & 0x8000) != 0;
    r->opcode = (flags >> 11) & 0xf;
    r->tc = (flags & 0x0200) != 0;
    r->rcode = flags & 0xf;
    r->qdcount = ad_get16(msg + 4);
    r->ancount = ad_get16(msg + 6);
    r->nscount = ad_get16(msg + 8);
    r->arcount = ad_get16(msg + 10);
    size_t off = AD_DNS_HDR;
    for (unsigned i = 0; i < r->qdcount; i++) {
        if (!ad_read_name(msg, len, &off, NULL) || len - off < 4)
            return r->tc ? AD_OK : AD_ERR_PROTOCOL;
        off += 4;
    }
    unsigned total = (unsigned)r->ancount + r->nscount + r->arcount;
    for (unsigned i = 0; i < total; i++) {
        size_t start = off;
        char owner[256];
        if (!ad_read_name(msg, len, &off, owner) || len - off < 10)
            return r->tc ? AD_OK : AD_ERR_PROTOCOL;
        uint16_t type = ad_get16(msg + off);
        uint16_t rdlen = ad_get16(msg + off + 8);
        off += 10;
        if (len - off < rdlen)
            return r->tc ? AD_OK : AD_ERR_PROTOCOL;
        size_t rd = off, rdend = off + rdlen;
        off = rdend;
        if (type != AD_DNS_TYPE_TSIG)
            continue;
        /* RFC 8945 5.2: TSIG must be the last record of the additional section. */
        if (i != total - 1)
            return AD_ERR_PROTOCOL;
        r->has_tsig = true;
        r->tsig_off = start;
        memcpy(r->tsig_name, owner, sizeof owner);
        if (!ad_read_name(msg, rdend, &rd, r->tsig_alg) || rdend - rd < 10)
            return AD_ERR_PROTOCOL;
        r->time_signed = ((uint64_t)ad_get16(msg + rd) << 32) |
                         ((uint64_t)ad_get16(msg + rd + 2) << 16) | ad_get16(msg + rd + 4);
        r->fudge = ad_get16(msg + rd + 6);
        r->mac_len = ad_get16(msg + rd + 8);
        rd += 10;
        if (rdend - rd < (size_t)r->mac_len + 6u)
            return AD_ERR_PROTOCOL;
        r->mac = msg + rd;
        rd += r->mac_len;
        r->orig_id = ad_get16(msg + rd);
        r->error = ad_get16(msg + rd + 2);
        r->other_len = ad_get16(msg + rd + 4);
        rd += 6;
        if (rdend - rd != r->other_len)
            return AD_ERR_PROTOCOL;
        r->other = msg + rd;
    }
    return AD_OK;
}

/* ---- TSIG ----------------------------------------------------------- */

/* HMAC over the concatenation of the NPARTS pieces. */
static bool ad_hmac(const struct ad_rfc2136_key *key, const uint8_t *const *parts,
                    const size_t *lens, size_t nparts, uint8_t mac[64], size_t *mac_len)
{
    bool ok = false;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
    if (ctx == NULL)
        goto out;
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)key->alg->digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (!EVP_MAC_init(ctx, key->secret, key->secret_len, params))
        goto out;
    for (size_t i = 0; i < nparts; i++)
        if (lens[i] > 0 && !EVP_MAC_update(ctx, parts[i], lens[i]))
            goto out;
    size_t got = 0;
    if (!EVP_MAC_final(ctx, mac, &got, 64) || got != key->alg->mac_len)
        goto out;
    *mac_len = got;
    ok = true;
out:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    return ok;
}

/* TSIG variables (RFC 8945 4.3.3) into B. */
static void ad_w_tsig_vars(struct ad_wbuf *b, const struct ad_rfc2136_key *key, uint64_t time,
                           uint16_t fudge, uint16_t error, const uint8_t *other,
                           uint16_t other_len)
{
    ad_w_name(b, key->name);
    ad_w_u16(b, AD_DNS_CLASS_ANY);
    ad_w_u32(b, 0);
    ad_w_name(b, key->alg->wire_name);
    ad_w_u48(b, time);
    ad_w_u16(b, fudge);
    ad_w_u16(b, error);
    ad_w_u16(b, other_len);
    ad_w_bytes(b, other, other_len);
}

ad_status ad_rfc2136_tsig_sign(const struct ad_rfc2136_key *key, const uint8_t *msg, size_t len,
                               uint64_t now, uint16_t fudge, uint8_t **out, size_t *outlen,
                               uint8_t mac[64], size_t *mac_len)
{
    ad_status rc = AD_ERR_USAGE;
    uint8_t vars_buf[600];
    struct ad_wbuf vars = { vars_buf, 0, sizeof vars_buf, false };
    struct ad_wbuf b = { 0 };
    if (len < AD_DNS_HDR || len > AD_DNS_MSG_MAX - AD_RFC2136_TSIG_ROOM)
        goto out;
    ad_w_tsig_vars(&vars, key, now, fudge, 0, NULL, 0);
    if (vars.fail)
        goto out;
    const uint8_t *parts[2] = { msg, vars.p };
    size_t lens[2] = { len, vars.len };
    rc = AD_ERR_CRYPTO;
    if (!ad_hmac(key, parts, lens, 2, mac, mac_len))
        goto out;
    rc = AD_ERR_NOMEM;
    b.cap = len + AD_RFC2136_TSIG_ROOM;
    b.p = malloc(b.cap);
    if (b.p == NULL)
        goto out;
    ad_w_bytes(&b, msg, len);
    uint16_t ar = ad_get16(msg + 10);
    if (ar == 0xffff) {
        rc = AD_ERR_USAGE;
        goto out;
    }
    b.p[10] = (uint8_t)((ar + 1) >> 8);
    b.p[11] = (uint8_t)(ar + 1);
    ad_w_name(&b, key->name);
    ad_w_u16(&b, AD_DNS_TYPE_TSIG);
    ad_w_u16(&b, AD_DNS_CLASS_ANY);
    ad_w_u32(&b, 0);
    uint8_t algw[256];
    size_t alglen = ad_rfc2136_name_wire(key->alg->wire_name, algw);
    ad_w_u16(&b, (unsigned)(alglen + 6 + 2 + 2 + *mac_len + 2 + 2 + 2));
    ad_w_bytes(&b, algw, alglen);
    ad_w_u48(&b, now);
    ad_w_u16(&b, fudge);
    ad_w_u16(&b, (unsigned)*mac_len);
    ad_w_bytes(&b, mac, *mac_len);
    ad_w_bytes(&b, msg, 2); /* original ID */
    ad_w_u16(&b, 0);        /* error */
    ad_w_u16(&b, 0);        /* other len */
    if (b.fail) {
        rc = AD_ERR_INTERNAL;
        goto out;
    }
    *out = b.p;
    *outlen = b.len;
    b.p = NULL;
    rc = AD_OK;
out:
    free(b.p);
    OPENSSL_cleanse(vars_buf, sizeof vars_buf);
    return rc;
}

enum ad_rfc2136_tsig_check ad_rfc2136_tsig_verify(const struct ad_rfc2136_key *key,
                                                  const uint8_t *msg, size_t len,
                                                  const struct ad_rfc2136_reply *r,
                                                  const uint8_t *req_mac, size_t req_mac_len,
                                                  uint64_t now)
{
    if (!r->has_tsig)
        return AD_TSIG_CHECK_UNSIGNED;
    if (strcmp(r->tsig_name, key->name) != 0 ||
        ad_rfc2136_alg_find(r->tsig_alg) != key->alg)
        return AD_TSIG_CHECK_WRONG_KEY;
    /* RFC 8945 5.2.2.1: a MAC may be truncated, but not below 10 bytes
     * nor half the full length. */
    size_t full = key->alg->mac_len;
    size_t min = full / 2 > 10 ? full / 2 : 10;
    if (r->mac_len > full || r->mac_len < min || r->tsig_off > len || r->tsig_off < AD_DNS_HDR)
        return AD_TSIG_CHECK_BAD_MAC;

    uint8_t hdr[AD_DNS_HDR];
    memcpy(hdr, msg, sizeof hdr);
    hdr[0] = (uint8_t)(r->orig_id >> 8);
    hdr[1] = (uint8_t)r->orig_id;
    hdr[10] = (uint8_t)((r->arcount - 1) >> 8);
    hdr[11] = (uint8_t)(r->arcount - 1);
    uint8_t prefix[2] = { (uint8_t)(req_mac_len >> 8), (uint8_t)req_mac_len };
    uint8_t vars_buf[600];
    struct ad_wbuf vars = { vars_buf, 0, sizeof vars_buf, false };
    ad_w_tsig_vars(&vars, key, r->time_signed, r->fudge, r->error, r->other, r->other_len);
    if (vars.fail)
        return AD_TSIG_CHECK_BAD_MAC;
    const uint8_t *parts[5] = { prefix, req_mac, hdr, msg + AD_DNS_HDR, vars.p };
    size_t lens[5] = { 2, req_mac_len, AD_DNS_HDR, r->tsig_off - AD_DNS_HDR, vars.len };
    uint8_t mac[64];
    size_t mac_len = 0;
    if (!ad_hmac(key, parts, lens, 5, mac, &mac_len))
        return AD_TSIG_CHECK_BAD_MAC;
    if (CRYPTO_memcmp(mac, r->mac, r->mac_len) != 0)
        return AD_TSIG_CHECK_BAD_MAC;
    uint64_t diff = now > r->time_signed ? now - r->time_signed : r->time_signed - now;
    if (diff > r->fudge)
        return AD_TSIG_CHECK_BAD_TIME;
    return AD_TSIG_CHECK_OK;
}

/* ---- explaining ----------------------------------------------------- */

const char *ad_rfc2136_rcode_name(unsigned rcode, char buf[16])
{
    static const char *const names[] = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
        "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
    };
    if (rcode < sizeof names / sizeof names[0])
        return names[rcode];
    switch (rcode) {
    case AD_TSIG_BADSIG: return "BADSIG";
    case AD_TSIG_BADKEY: return "BADKEY";
    case AD_TSIG_BADTIME: return "BADTIME";
    case AD_TSIG_BADTRUNC: return "BADTRUNC";
    default: break;
    }
    snprintf(buf, 16, "RCODE%u", rcode & 0xffffu);
    return buf;
}

ad_status ad_rfc2136_explain(unsigned rcode, unsigned tsig_error, const struct ad_rfc2136_why *w,
                             char *buf, size_t len)
{
    const char *key = w->key_name ? w->key_name : "(none)";
    const char *alg = w->alg ? w->alg : "-";
    char nb[16];
    if (tsig_error != 0) {
        switch (tsig_error) {
        case AD_TSIG_BADSIG:
            snprintf(buf, len, "TSIG key rejected by %s (BADSIG): check the secret and algorithm",
                     w->server);
            return AD_ERR_AUTH;
        case AD_TSIG_BADKEY:
            snprintf(buf, len,
                     "TSIG key rejected by %s (BADKEY): the server does not know key %s with %s: "
                     "check tsig-name and tsig-algorithm against the server's key statement",
                     w->server, key, alg);
            return AD_ERR_AUTH;
        case AD_TSIG_BADTIME:
            snprintf(buf, len,
                     "TSIG time rejected by %s (BADTIME): clock skew between this host and the "
                     "server is larger than the fudge: check both clocks (NTP)",
                     w->server);
            return AD_ERR_AUTH;
        default:
            snprintf(buf, len, "TSIG key rejected by %s (%s): check the key", w->server,
                     ad_rfc2136_rcode_name(tsig_error, nb));
            return AD_ERR_AUTH;
        }
    }
    switch (rcode) {
    case AD_RCODE_NOERROR:
        snprintf(buf, len, "update accepted by %s", w->server);
        return AD_OK;
    case AD_RCODE_REFUSED:
        if (w->key_name != NULL)
            snprintf(buf, len,
                     "server %s refused the update (REFUSED): check update-policy/allow-update "
                     "for key %s on zone %s",
                     w->server, key, w->zone);
        else
            snprintf(buf, len,
                     "server %s refused the unsigned update (REFUSED): set tsig-keyfile (or "
                     "tsig-name and tsig-secret), or check allow-update on zone %s",
                     w->server, w->zone);
        return AD_ERR_PROVIDER;
    case AD_RCODE_NOTAUTH:
        snprintf(buf, len,
                 "server %s is not authoritative for zone %s (NOTAUTH): set server to the "
                 "zone's primary, or set the zone option",
                 w->server, w->zone);
        return AD_ERR_PROVIDER;
    case AD_RCODE_NOTZONE:
        snprintf(buf, len, "%s is not in zone %s (NOTZONE): set the zone option", w->name,
                 w->zone);
        return AD_ERR_PROVIDER;
    case AD_RCODE_SERVFAIL:
        snprintf(buf, len,
                 "server %s failed to apply the update to zone %s (SERVFAIL): check the "
                 "server's log (journal, zone file permissions, dynamic zone)",
                 w->server, w->zone);
        return AD_ERR_PROVIDER;
    case AD_RCODE_NOTIMP:
        snprintf(buf, len, "server %s does not support dynamic updates (NOTIMP)", w->server);
        return AD_ERR_PROVIDER;
    case AD_RCODE_FORMERR:
        snprintf(buf, len, "server %s could not parse the update (FORMERR)", w->server);
        return AD_ERR_PROVIDER;
    default:
        snprintf(buf, len, "server %s rejected the update to zone %s (%s)", w->server, w->zone,
                 ad_rfc2136_rcode_name(rcode, nb));
        return AD_ERR_PROVIDER;
    }
}
