/* rfc2136 plugin: the TSIG MAC (RFC 8945), by hand over ldns's wire bytes. */
#include "rfc2136_tsig.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

/* HMAC with KEY over the concatenation of the NPARTS pieces. */
static bool hmac(const struct ad_rfc2136_key *key, const uint8_t *const *parts, const size_t *lens, size_t nparts,
                 uint8_t mac[64], size_t *mac_len)
{
    bool ok = false;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)key->alg->digest, 0),
        OSSL_PARAM_construct_end(),
    };
    size_t got = 0;
    if (!ctx || !EVP_MAC_init(ctx, key->secret, key->secret_len, params))
        goto out;
    for (size_t i = 0; i < nparts; i++)
        if (lens[i] > 0 && !EVP_MAC_update(ctx, parts[i], lens[i]))
            goto out;
    if (!EVP_MAC_final(ctx, mac, &got, 64) || got != key->alg->mac_len)
        goto out;
    *mac_len = got;
    ok = true;
out:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    return ok;
}

/* The TSIG variables of RR T (RFC 8945 4.3.3), names in canonical (lower
 * case) form, into a new buffer; NULL when out of memory. */
static ldns_buffer *tsig_vars(const ldns_rr *t)
{
    ldns_buffer *b = ldns_buffer_new(600);
    ldns_rdf *owner = ldns_rdf_clone(ldns_rr_owner(t)), *alg = ldns_rdf_clone(ldns_rr_rdf(t, 0));
    if (b && owner && alg) {
        ldns_dname2canonical(owner);
        ldns_dname2canonical(alg);
        ldns_dname2buffer_wire(b, owner);
        ldns_buffer_write_u16(b, ldns_rr_get_class(t));
        ldns_buffer_write_u32(b, ldns_rr_ttl(t));
        ldns_dname2buffer_wire(b, alg);
        for (size_t i = 1; i < 7; i++) /* time, fudge, (not the MAC, nor the original ID), error, other */
            if (i != 3 && i != 4)
                ldns_rdf2buffer_wire(b, ldns_rr_rdf(t, i));
    }
    ldns_rdf_deep_free(owner);
    ldns_rdf_deep_free(alg);
    if (b && ldns_buffer_status(b) != LDNS_STATUS_OK) {
        ldns_buffer_free(b);
        b = NULL;
    }
    return b;
}

/* Rdata field of TYPE from LEN bytes at DATA, pushed onto RR. */
static bool push(ldns_rr *rr, ldns_rdf_type type, const uint8_t *data, size_t len)
{
    ldns_rdf *f = ldns_rdf_new_frm_data(type, len, data);
    if (f && ldns_rr_push_rdf(rr, f))
        return true;
    ldns_rdf_deep_free(f);
    return false;
}

/* The TSIG RR of KEY for a message with ID, at NOW and FUDGE, without a MAC. */
static ldns_rr *tsig_rr(const struct ad_rfc2136_key *key, const uint8_t id[2], uint64_t now, uint16_t fudge)
{
    uint8_t time[6], fu[2], zero[2] = {0, 0};
    ldns_rr *t = ldns_rr_new();
    ldns_rdf *owner = ldns_dname_new_frm_str(key->name), *alg = ldns_dname_new_frm_str(key->alg->wire_name);
    ldns_write_uint16(time, (uint16_t)(now >> 32));
    ldns_write_uint32(time + 2, (uint32_t)now);
    ldns_write_uint16(fu, fudge);
    if (!t || !owner || !alg || !ldns_rr_push_rdf(t, alg)) {
        ldns_rr_free(t);
        ldns_rdf_deep_free(owner);
        ldns_rdf_deep_free(alg);
        return NULL;
    }
    ldns_rr_set_owner(t, owner);
    ldns_rr_set_type(t, LDNS_RR_TYPE_TSIG);
    ldns_rr_set_class(t, LDNS_RR_CLASS_ANY);
    ldns_rr_set_ttl(t, 0);
    if (!push(t, LDNS_RDF_TYPE_TSIGTIME, time, 6) || !push(t, LDNS_RDF_TYPE_INT16, fu, 2) ||
        !push(t, LDNS_RDF_TYPE_INT16_DATA, zero, 2) || !push(t, LDNS_RDF_TYPE_INT16, id, 2) ||
        !push(t, LDNS_RDF_TYPE_INT16, zero, 2) || !push(t, LDNS_RDF_TYPE_INT16_DATA, zero, 2)) {
        ldns_rr_free(t);
        return NULL;
    }
    return t;
}

ad_status ad_rfc2136_tsig_sign(const struct ad_rfc2136_key *key, const uint8_t *msg, size_t len, uint64_t now,
                               uint16_t fudge, uint8_t **out, size_t *outlen, uint8_t mac[64], size_t *mac_len)
{
    ad_status rc = AD_ERR_USAGE;
    ldns_rr *t = NULL;
    ldns_buffer *vars = NULL;
    uint8_t *rr = NULL, macf[66];
    size_t rrlen = 0;
    *out = NULL;
    if (len < LDNS_HEADER_SIZE || len > LDNS_MAX_PACKETLEN - AD_RFC2136_TSIG_ROOM || LDNS_ARCOUNT(msg) == 0xffff)
        goto out;
    rc = AD_ERR_NOMEM;
    if (!(t = tsig_rr(key, msg, now, fudge)) || !(vars = tsig_vars(t)))
        goto out;
    const uint8_t *parts[2] = {msg, ldns_buffer_begin(vars)};
    size_t lens[2] = {len, ldns_buffer_position(vars)};
    rc = AD_ERR_CRYPTO;
    if (!hmac(key, parts, lens, 2, mac, mac_len))
        goto out;
    rc = AD_ERR_NOMEM;
    ldns_write_uint16(macf, (uint16_t)*mac_len);
    memcpy(macf + 2, mac, *mac_len);
    ldns_rdf *old = ldns_rr_set_rdf(t, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, *mac_len + 2, macf), 3);
    ldns_rdf_deep_free(old);
    if (!ldns_rr_rdf(t, 3) || ldns_rr2wire(&rr, t, LDNS_SECTION_ADDITIONAL, &rrlen) != LDNS_STATUS_OK ||
        !(*out = malloc(len + rrlen)))
        goto out;
    memcpy(*out, msg, len);
    memcpy(*out + len, rr, rrlen);
    ldns_write_uint16(*out + 10, (uint16_t)(LDNS_ARCOUNT(msg) + 1));
    *outlen = len + rrlen;
    rc = AD_OK;
out:
    OPENSSL_cleanse(macf, sizeof macf);
    if (vars)
        OPENSSL_cleanse(ldns_buffer_begin(vars), ldns_buffer_capacity(vars));
    ldns_buffer_free(vars);
    ldns_rr_free(t);
    free(rr);
    return rc;
}

enum ad_rfc2136_tsig_check ad_rfc2136_tsig_verify(const struct ad_rfc2136_key *key, const uint8_t *msg,
                                                  size_t len, const struct ad_rfc2136_reply *r,
                                                  const uint8_t *req_mac, size_t req_mac_len, uint64_t now)
{
    if (!r->has_tsig || !r->tsig)
        return AD_TSIG_CHECK_UNSIGNED;
    if (strcmp(r->tsig_name, key->name) != 0 || ad_rfc2136_alg_find(r->tsig_alg) != key->alg)
        return AD_TSIG_CHECK_WRONG_KEY;
    /* RFC 8945 5.2.2.1: never longer than the hash, never shorter than 10
     * bytes or half of it. */
    size_t full = key->alg->mac_len, min = full / 2 > 10 ? full / 2 : 10;
    if (r->mac_len > full || r->mac_len < min)
        return AD_TSIG_CHECK_BAD_TRUNC;
    if (r->tsig_off < LDNS_HEADER_SIZE || r->tsig_off > len || LDNS_ARCOUNT(msg) == 0)
        return AD_TSIG_CHECK_BAD_MAC;
    uint8_t hdr[LDNS_HEADER_SIZE], prefix[2], mac[64];
    size_t mac_len = 0;
    memcpy(hdr, msg, sizeof hdr);
    ldns_write_uint16(hdr, r->orig_id);
    ldns_write_uint16(hdr + 10, (uint16_t)(LDNS_ARCOUNT(msg) - 1));
    ldns_write_uint16(prefix, (uint16_t)req_mac_len);
    ldns_buffer *vars = tsig_vars(r->tsig);
    if (!vars)
        return AD_TSIG_CHECK_BAD_MAC;
    const uint8_t *parts[5] = {prefix, req_mac, hdr, msg + LDNS_HEADER_SIZE, ldns_buffer_begin(vars)};
    size_t lens[5] = {2, req_mac_len, LDNS_HEADER_SIZE, r->tsig_off - LDNS_HEADER_SIZE, ldns_buffer_position(vars)};
    bool ok = hmac(key, parts, lens, 5, mac, &mac_len) && CRYPTO_memcmp(mac, r->mac, r->mac_len) == 0;
    ldns_buffer_free(vars);
    OPENSSL_cleanse(mac, sizeof mac);
    if (!ok)
        return AD_TSIG_CHECK_BAD_MAC;
    uint64_t diff = now > r->time_signed ? now - r->time_signed : r->time_signed - now;
    return diff > r->fudge ? AD_TSIG_CHECK_BAD_TIME : AD_TSIG_CHECK_OK;
}
