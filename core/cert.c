#include "cert.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "util.h"

char *ad_ari_id(const uint8_t *kid, size_t kidlen, const uint8_t *serial, size_t seriallen)
{
    char *a = ad_b64url_encode(kid, kidlen), *b = ad_b64url_encode(serial, seriallen), *id = NULL;
    if (a && b)
        id = ad_asprintf("%s.%s", a, b);
    free(a);
    free(b);
    return id;
}

/* Seconds since the epoch of T. */
static int to_unix(const ASN1_TIME *t, int64_t *out)
{
    int day = 0, sec = 0;
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    int ok = epoch && ASN1_TIME_diff(&day, &sec, epoch, t);
    ASN1_TIME_free(epoch);
    if (ok)
        *out = (int64_t)day * 86400 + sec;
    return ok;
}

/* The serial number's DER content octets, as the ARI identifier wants them
 * (a leading zero byte when the high bit is set): OpenSSL encodes the
 * INTEGER, ASN1_get_object finds where its content begins. */
static ad_status serial_der(const ASN1_INTEGER *sn, uint8_t **out, size_t *len)
{
    uint8_t *der = NULL;
    int n = i2d_ASN1_INTEGER(sn, &der);
    if (n <= 0)
        return AD_ERR_CRYPTO;
    const unsigned char *p = der;
    long clen = 0;
    int tag = 0, cls = 0;
    ad_status rc = AD_ERR_CRYPTO;
    if (!(ASN1_get_object(&p, &clen, &tag, &cls, n) & 0x80) && tag == V_ASN1_INTEGER && clen > 0 &&
        p + clen == der + n) {
        rc = AD_ERR_NOMEM;
        if ((*out = malloc((size_t)clen))) {
            memcpy(*out, p, (size_t)clen);
            *len = (size_t)clen;
            rc = AD_OK;
        }
    }
    OPENSSL_free(der);
    return rc;
}

ad_status ad_cert_info_parse(const char *pem, size_t len, struct ad_cert_info *out)
{
    ad_status rc = AD_ERR_CRYPTO;
    BIO *b = len <= INT32_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    AUTHORITY_KEYID *aki = NULL;
    BIGNUM *bn = NULL;
    char *hex = NULL;
    uint8_t *sder = NULL;
    size_t slen = 0;

    memset(out, 0, sizeof *out);
    if (!x || !to_unix(X509_get0_notBefore(x), &out->not_before) ||
        !to_unix(X509_get0_notAfter(x), &out->not_after))
        goto out;
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    if (!(bn = ASN1_INTEGER_to_BN(sn, NULL)) || !(hex = BN_bn2hex(bn)))
        goto out;
    rc = AD_ERR_NOMEM;
    if (!(out->serial = strdup(hex)))
        goto out;
    ad_lower(out->serial);
    if ((rc = serial_der(sn, &sder, &slen)) != AD_OK)
        goto out;
    aki = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
    if (aki && aki->keyid && ASN1_STRING_length(aki->keyid) > 0 &&
        !(out->ari_id = ad_ari_id(ASN1_STRING_get0_data(aki->keyid), (size_t)ASN1_STRING_length(aki->keyid),
                                  sder, slen))) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    rc = AD_OK;
out:
    if (rc != AD_OK)
        ad_cert_info_clear(out);
    free(sder);
    OPENSSL_free(hex);
    BN_free(bn);
    AUTHORITY_KEYID_free(aki);
    X509_free(x);
    BIO_free(b);
    return rc;
}

void ad_cert_info_clear(struct ad_cert_info *ci)
{
    free(ci->serial);
    free(ci->ari_id);
    memset(ci, 0, sizeof *ci);
}

ad_status ad_cert_der(const char *pem, size_t len, uint8_t **der, size_t *der_len)
{
    BIO *b = len <= INT32_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    uint8_t *d = NULL;
    int n = x ? i2d_X509(x, &d) : -1;
    ad_status rc = AD_ERR_CRYPTO;
    if (n > 0) {
        rc = AD_ERR_NOMEM;
        if ((*der = malloc((size_t)n))) {
            memcpy(*der, d, (size_t)n);
            *der_len = (size_t)n;
            rc = AD_OK;
        }
    }
    OPENSSL_free(d);
    X509_free(x);
    BIO_free(b);
    return rc;
}

#define CHAIN_MAX 16

ad_status ad_chain_top_issuer_cn(const char *pem, size_t len, char **cn)
{
    BIO *b = len <= INT32_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
    X509 *top = NULL, *x;
    unsigned char *utf = NULL;
    ad_status rc = AD_ERR_CRYPTO;
    *cn = NULL;
    for (int i = 0; b && i < CHAIN_MAX && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)); i++) {
        X509_free(top);
        top = x;
    }
    if (!top)
        goto out;
    rc = AD_OK;
    const X509_NAME *issuer = X509_get_issuer_name(top);
    int idx = issuer ? X509_NAME_get_index_by_NID(issuer, NID_commonName, -1) : -1;
    const X509_NAME_ENTRY *e = idx >= 0 ? X509_NAME_get_entry(issuer, idx) : NULL;
    int n = e ? ASN1_STRING_to_UTF8(&utf, X509_NAME_ENTRY_get_data(e)) : -1;
    if (n < 0)
        goto out;
    rc = AD_ERR_NOMEM;
    if (!(*cn = ad_strndup((const char *)utf, (size_t)n)))
        goto out;
    for (char *c = *cn; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    rc = AD_OK;
out:
    OPENSSL_free(utf);
    X509_free(top);
    BIO_free(b);
    return rc;
}
