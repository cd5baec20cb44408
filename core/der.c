#include "der.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

static void reserve(struct ad_der *d, size_t more)
{
    if (d->err || d->len + more <= d->cap)
        return;
    size_t cap = d->cap ? d->cap : 256;
    while (cap < d->len + more)
        cap *= 2;
    uint8_t *p = malloc(cap);
    if (!p) {
        d->err = 1;
        return;
    }
    if (d->p) {
        memcpy(p, d->p, d->len);
        OPENSSL_cleanse(d->p, d->cap);
        free(d->p);
    }
    d->p = p;
    d->cap = cap;
}

void ad_der_bytes(struct ad_der *d, const void *data, size_t len)
{
    reserve(d, len);
    if (d->err)
        return;
    if (len)
        memcpy(d->p + d->len, data, len);
    d->len += len;
}

/* The DER length octets of LEN into OUT (at most 5); their count. */
static size_t length_octets(size_t len, uint8_t *out)
{
    if (len < 0x80) {
        out[0] = (uint8_t)len;
        return 1;
    }
    size_t n = 0;
    for (size_t l = len; l; l >>= 8)
        n++;
    out[0] = (uint8_t)(0x80 | n);
    for (size_t i = 0; i < n; i++)
        out[n - i] = (uint8_t)(len >> (8 * i));
    return n + 1;
}

void ad_der_tlv(struct ad_der *d, uint8_t tag, const void *content, size_t len)
{
    uint8_t hdr[6];
    hdr[0] = tag;
    size_t h = 1 + length_octets(len, hdr + 1);
    ad_der_bytes(d, hdr, h);
    ad_der_bytes(d, content, len);
}

void ad_der_wrap(struct ad_der *d, size_t start, uint8_t tag)
{
    if (d->err)
        return;
    uint8_t hdr[6];
    size_t len = d->len - start;
    hdr[0] = tag;
    size_t h = 1 + length_octets(len, hdr + 1);
    reserve(d, h);
    if (d->err)
        return;
    memmove(d->p + start + h, d->p + start, len);
    memcpy(d->p + start, hdr, h);
    d->len += h;
}

void ad_der_free(struct ad_der *d)
{
    if (d->p) {
        OPENSSL_cleanse(d->p, d->cap);
        free(d->p);
    }
    memset(d, 0, sizeof *d);
}

/* id-ecPublicKey and the two named curves we make keys on. */
static const uint8_t oid_ec_public_key[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};

/* The curve OID and field size of an EC key on P-256 or P-384; 0 otherwise. */
static size_t ec_curve(EVP_PKEY *key, const uint8_t **oid, size_t *oidlen)
{
    char group[32];
    if (!EVP_PKEY_is_a(key, "EC") ||
        !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL))
        return 0;
    if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
        *oid = oid_p256;
        *oidlen = sizeof oid_p256;
        return 32;
    }
    if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
        *oid = oid_p384;
        *oidlen = sizeof oid_p384;
        return 48;
    }
    return 0;
}

/* AlgorithmIdentifier { id-ecPublicKey, namedCurve }. */
static void ec_algorithm(struct ad_der *d, const uint8_t *oid, size_t oidlen)
{
    size_t at = d->len;
    ad_der_tlv(d, 0x06, oid_ec_public_key, sizeof oid_ec_public_key);
    ad_der_tlv(d, 0x06, oid, oidlen);
    ad_der_wrap(d, at, 0x30);
}

/* The uncompressed public point of an EC key (0x04 || X || Y). */
static int ec_point(EVP_PKEY *key, size_t field, uint8_t *pt, size_t *ptlen)
{
    if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * field, ptlen))
        return 0;
    return *ptlen == 1 + 2 * field && pt[0] == 0x04;
}

ad_status ad_der_spki(EVP_PKEY *key, uint8_t **out, size_t *len)
{
    const uint8_t *oid;
    size_t oidlen, field = ec_curve(key, &oid, &oidlen), ptlen;
    uint8_t pt[1 + 2 * 48 + 1];
    if (!field) {
        unsigned char *der = NULL;
        int n = i2d_PUBKEY(key, &der);
        if (n <= 0)
            return AD_ERR_CRYPTO;
        if (!(*out = malloc((size_t)n))) {
            OPENSSL_free(der);
            return AD_ERR_NOMEM;
        }
        memcpy(*out, der, (size_t)n);
        *len = (size_t)n;
        OPENSSL_free(der);
        return AD_OK;
    }
    if (!ec_point(key, field, pt + 1, &ptlen))
        return AD_ERR_CRYPTO;
    pt[0] = 0x00; /* BIT STRING: no unused bits */
    struct ad_der d = {0};
    ec_algorithm(&d, oid, oidlen);
    ad_der_tlv(&d, 0x03, pt, ptlen + 1);
    ad_der_wrap(&d, 0, 0x30);
    if (d.err) {
        ad_der_free(&d);
        return AD_ERR_NOMEM;
    }
    *out = d.p;
    *len = d.len;
    return AD_OK;
}

int ad_der_ec_pkcs8(EVP_PKEY *key, uint8_t **out, size_t *len)
{
    const uint8_t *oid;
    size_t oidlen, field = ec_curve(key, &oid, &oidlen), ptlen;
    uint8_t pt[1 + 2 * 48 + 1], priv[48];
    BIGNUM *bn = NULL;
    int ok = -1;
    struct ad_der d = {0};
    if (!field)
        return 0;
    if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &bn) || BN_bn2binpad(bn, priv, (int)field) != (int)field ||
        !ec_point(key, field, pt + 1, &ptlen))
        goto out;
    pt[0] = 0x00;
    static const uint8_t zero = 0, one = 1;
    /* PrivateKeyInfo { 0, AlgorithmIdentifier, OCTET STRING { ECPrivateKey {
     *   1, OCTET STRING priv, [1] { BIT STRING point } } } } (RFC 5208, 5915). */
    ad_der_tlv(&d, 0x02, &zero, 1);
    ec_algorithm(&d, oid, oidlen);
    size_t inner = d.len;
    ad_der_tlv(&d, 0x02, &one, 1);
    ad_der_tlv(&d, 0x04, priv, field);
    size_t pub = d.len;
    ad_der_tlv(&d, 0x03, pt, ptlen + 1);
    ad_der_wrap(&d, pub, 0xa1);
    ad_der_wrap(&d, inner, 0x30);
    ad_der_wrap(&d, inner, 0x04);
    ad_der_wrap(&d, 0, 0x30);
    if (d.err)
        goto out;
    *out = d.p;
    *len = d.len;
    d.p = NULL;
    ok = 1;
out:
    OPENSSL_cleanse(priv, sizeof priv);
    BN_clear_free(bn);
    ad_der_free(&d);
    return ok;
}
