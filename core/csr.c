#include "csr.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "der.h"
#include "log.h"

/* The CSR is written as DER here rather than through X509_REQ: setting a
 * public key on an X509_REQ makes OpenSSL 3 look up an encoder and a
 * decoder, which costs more CPU than the rest of the CSR together.
 * PKCS #10 (RFC 2986): CertificationRequest { CertificationRequestInfo {
 * version 0, subject (CN = the first name when it fits, as UTF8String),
 * SubjectPublicKeyInfo, [0] { extensionRequest { subjectAltName } } },
 * signatureAlgorithm, signature }; SHA-256 with every key type. */
static const uint8_t oid_cn[] = {0x55, 0x04, 0x03};
static const uint8_t oid_ext_req[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e};
static const uint8_t oid_san[] = {0x55, 0x1d, 0x11};
static const uint8_t alg_ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t alg_rsa_sha256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                         0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};

ad_status ad_csr_make(EVP_PKEY *key, const char *const *names, size_t n, char **out)
{
    ad_status rc = AD_ERR_CRYPTO;
    struct ad_der d = {0};
    uint8_t *spki = NULL, *sig = NULL;
    size_t spkilen = 0, siglen = 0, at;
    EVP_MD_CTX *md = NULL;
    int ec = EVP_PKEY_is_a(key, "EC");
    static const uint8_t zero = 0;

    if (n == 0 || (!ec && !EVP_PKEY_is_a(key, "RSA")))
        goto out;
    if ((rc = ad_der_spki(key, &spki, &spkilen)) != AD_OK)
        goto out;
    rc = AD_ERR_CRYPTO;
    ad_der_tlv(&d, 0x02, &zero, 1);
    at = d.len;
    if (strlen(names[0]) <= 64) {
        ad_der_tlv(&d, 0x06, oid_cn, sizeof oid_cn);
        ad_der_tlv(&d, 0x0c, names[0], strlen(names[0]));
        ad_der_wrap(&d, at, 0x30);
        ad_der_wrap(&d, at, 0x31);
    }
    ad_der_wrap(&d, at, 0x30);
    ad_der_bytes(&d, spki, spkilen);
    at = d.len;
    ad_der_tlv(&d, 0x06, oid_ext_req, sizeof oid_ext_req);
    size_t set = d.len;
    ad_der_tlv(&d, 0x06, oid_san, sizeof oid_san);
    size_t gens = d.len;
    for (size_t i = 0; i < n; i++)
        ad_der_tlv(&d, 0x82, names[i], strlen(names[i])); /* dNSName [2] IA5String */
    ad_der_wrap(&d, gens, 0x30);
    ad_der_wrap(&d, gens, 0x04);
    ad_der_wrap(&d, set, 0x30); /* Extension */
    ad_der_wrap(&d, set, 0x30); /* Extensions */
    ad_der_wrap(&d, set, 0x31);
    ad_der_wrap(&d, at, 0x30);  /* Attribute */
    ad_der_wrap(&d, at, 0xa0);
    ad_der_wrap(&d, 0, 0x30);   /* CertificationRequestInfo */
    if (d.err) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    if (!(md = EVP_MD_CTX_new()) || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, NULL, &siglen, d.p, d.len) != 1 || !(sig = malloc(siglen + 1)) ||
        EVP_DigestSign(md, sig + 1, &siglen, d.p, d.len) != 1)
        goto out;
    sig[0] = 0x00; /* BIT STRING: no unused bits */
    if (ec)
        ad_der_bytes(&d, alg_ecdsa_sha256, sizeof alg_ecdsa_sha256);
    else
        ad_der_bytes(&d, alg_rsa_sha256, sizeof alg_rsa_sha256);
    ad_der_tlv(&d, 0x03, sig, siglen + 1);
    ad_der_wrap(&d, 0, 0x30);
    if (d.err) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    if (!(*out = ad_b64url_encode(d.p, d.len))) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    rc = AD_OK;
out:
    if (rc == AD_ERR_CRYPTO)
        ad_err("cannot make the certificate signing request (OpenSSL)");
    EVP_MD_CTX_free(md);
    free(sig);
    free(spki);
    ad_der_free(&d);
    return rc;
}

static int san_has(GENERAL_NAMES *gens, const char *name)
{
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (g->type != GEN_DNS)
            continue;
        const ASN1_IA5STRING *s = g->d.dNSName;
        if ((size_t)ASN1_STRING_length(s) == strlen(name) &&
            strncasecmp((const char *)ASN1_STRING_get0_data(s), name, strlen(name)) == 0)
            return 1;
    }
    return 0;
}

ad_status ad_cert_check(const char *pem, size_t len, EVP_PKEY *key, const char *const *names, size_t n,
                        char **cert, char **chain)
{
    ad_status rc = AD_ERR_PROTOCOL;
    BIO *b = len <= INT32_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    GENERAL_NAMES *gens = NULL;
    const char *end;

    if (!x) {
        ad_err("the CA sent a certificate that is not PEM: cannot use it");
        goto out;
    }
    if (EVP_PKEY_eq(X509_get0_pubkey(x), key) != 1) {
        ad_err("the CA's certificate does not carry our public key: refusing it");
        goto out;
    }
    gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    for (size_t i = 0; i < n; i++) {
        if (!gens || !san_has(gens, names[i])) {
            ad_err("the CA's certificate does not cover %s: refusing it", names[i]);
            goto out;
        }
    }
    /* The leaf is the text up to the first END line. */
    const char *tag = "-----END CERTIFICATE-----";
    const char *e = strstr(pem, tag);
    if (!e)
        goto out;
    end = e + strlen(tag);
    while (*end == '\r' || *end == '\n')
        end++;
    rc = AD_ERR_NOMEM;
    size_t leaflen = (size_t)(end - pem);
    if (!(*cert = malloc(leaflen + 2)))
        goto out;
    memcpy(*cert, pem, leaflen);
    if (leaflen && (*cert)[leaflen - 1] != '\n')
        (*cert)[leaflen++] = '\n';
    (*cert)[leaflen] = '\0';
    if (!(*chain = strdup(end))) {
        free(*cert);
        *cert = NULL;
        goto out;
    }
    rc = AD_OK;
out:
    GENERAL_NAMES_free(gens);
    X509_free(x);
    BIO_free(b);
    return rc;
}
