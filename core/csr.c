#include "csr.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "log.h"

/* Most certificates we accept in a chain, the leaf included. */
#define AD_CHAIN_MAX 16u

/* PKCS #10 (RFC 2986) through OpenSSL's X509_REQ: subject CN = the first
 * name when it fits (64 characters), every name in a subjectAltName
 * extension request, signed with SHA-256 whatever the key type. */
ad_status ad_csr_make(EVP_PKEY *key, const char *const *names, size_t n, char **out)
{
    ad_status rc = AD_ERR_CRYPTO;
    X509_REQ *req = X509_REQ_new();
    X509_NAME *subj = X509_NAME_new();
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    STACK_OF(X509_EXTENSION) *exts = NULL;
    unsigned char *der = NULL;
    int derlen;

    if (!req || !subj || !gens) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    if (n == 0 || (!EVP_PKEY_is_a(key, "EC") && !EVP_PKEY_is_a(key, "RSA")))
        goto out;
    if (strlen(names[0]) <= 64 &&
        !X509_NAME_add_entry_by_NID(subj, NID_commonName, MBSTRING_UTF8, (const unsigned char *)names[0], -1, -1, 0))
        goto out;
    for (size_t i = 0; i < n; i++) {
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
        if (!g || !ia5 || !ASN1_STRING_set(ia5, names[i], -1)) {
            GENERAL_NAME_free(g);
            ASN1_IA5STRING_free(ia5);
            goto out;
        }
        GENERAL_NAME_set0_value(g, GEN_DNS, ia5);
        if (!sk_GENERAL_NAME_push(gens, g)) {
            GENERAL_NAME_free(g);
            goto out;
        }
    }
    if (!X509_REQ_set_version(req, X509_REQ_VERSION_1) || !X509_REQ_set_subject_name(req, subj) ||
        !X509_REQ_set_pubkey(req, key) ||
        X509V3_add1_i2d(&exts, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1 ||
        !X509_REQ_add_extensions(req, exts) || X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
        (derlen = i2d_X509_REQ(req, &der)) <= 0)
        goto out;
    rc = AD_ERR_NOMEM;
    if (!(*out = ad_b64url_encode(der, (size_t)derlen)))
        goto out;
    rc = AD_OK;
out:
    if (rc == AD_ERR_CRYPTO)
        ad_err("cannot make the certificate signing request (OpenSSL)");
    OPENSSL_free(der);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    GENERAL_NAMES_free(gens);
    X509_NAME_free(subj);
    X509_REQ_free(req);
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

/* PEM text of X, appended to B. */
static bool pem_add(BIO *b, X509 *x)
{
    return PEM_write_bio_X509(b, x) == 1;
}

/* The contents of B as a new NUL-terminated string; NULL on out-of-memory. */
static char *bio_string(BIO *b)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = malloc(n > 0 ? (size_t)n + 1 : 1);
    if (s) {
        if (n > 0)
            memcpy(s, data, (size_t)n);
        s[n > 0 ? n : 0] = '\0';
    }
    return s;
}

ad_status ad_cert_check(const char *pem, size_t len, EVP_PKEY *key, const char *const *names, size_t n,
                        char **cert, char **chain)
{
    ad_status rc = AD_ERR_PROTOCOL;
    BIO *in = len <= INT32_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
    BIO *leaf = BIO_new(BIO_s_mem()), *rest = BIO_new(BIO_s_mem());
    X509 *x = in ? PEM_read_bio_X509(in, NULL, NULL, NULL) : NULL, *ca = NULL;
    GENERAL_NAMES *gens = NULL;
    unsigned count = 1;

    *cert = *chain = NULL;
    if (!leaf || !rest) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
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
    /* The leaf, then every further certificate of the chain, as OpenSSL's
     * PEM reader finds them (text between them is dropped). */
    if (!pem_add(leaf, x))
        goto nomem;
    ERR_set_mark();
    while ((ca = PEM_read_bio_X509(in, NULL, NULL, NULL))) {
        if (++count > AD_CHAIN_MAX) {
            ERR_clear_last_mark();
            ad_err("the CA sent a chain of more than %u certificates: refusing it", AD_CHAIN_MAX);
            goto out;
        }
        if (!pem_add(rest, ca)) {
            ERR_clear_last_mark();
            goto nomem;
        }
        X509_free(ca);
        ca = NULL;
    }
    unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
        ERR_clear_last_mark();
        ad_err("the CA's chain holds a certificate that cannot be read: refusing it");
        goto out;
    }
    ERR_pop_to_mark(); /* only the end of the text */
    if (!(*cert = bio_string(leaf)) || !(*chain = bio_string(rest)))
        goto nomem;
    rc = AD_OK;
    goto out;
nomem:
    rc = AD_ERR_NOMEM;
out:
    if (rc != AD_OK) {
        free(*cert);
        free(*chain);
        *cert = *chain = NULL;
    }
    GENERAL_NAMES_free(gens);
    X509_free(ca);
    X509_free(x);
    BIO_free(in);
    BIO_free(leaf);
    BIO_free(rest);
    return rc;
}
