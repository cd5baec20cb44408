#include "csr.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "log.h"

ad_status ad_csr_make(EVP_PKEY *key, const char *const *names, size_t n, char **out)
{
    ad_status rc = AD_ERR_CRYPTO;
    X509_REQ *req = X509_REQ_new();
    X509_NAME *subj = X509_NAME_new();
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *ext = NULL;
    uint8_t *der = NULL;

    if (!req || !subj || !gens || !exts || n == 0)
        goto out;
    if (!X509_REQ_set_version(req, 0))
        goto out;
    if (strlen(names[0]) <= 64 &&
        !X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC, (const unsigned char *)names[0], -1, -1, 0))
        goto out;
    if (!X509_REQ_set_subject_name(req, subj))
        goto out;
    for (size_t i = 0; i < n; i++) {
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        if (!g || !s || !ASN1_STRING_set(s, names[i], -1)) {
            GENERAL_NAME_free(g);
            ASN1_IA5STRING_free(s);
            goto out;
        }
        GENERAL_NAME_set0_value(g, GEN_DNS, s);
        if (!sk_GENERAL_NAME_push(gens, g)) {
            GENERAL_NAME_free(g);
            goto out;
        }
    }
    if (!(ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens)) || !sk_X509_EXTENSION_push(exts, ext))
        goto out;
    ext = NULL;
    if (!X509_REQ_add_extensions(req, exts) || !X509_REQ_set_pubkey(req, key) ||
        !X509_REQ_sign(req, key, EVP_sha256()))
        goto out;
    int len = i2d_X509_REQ(req, &der);
    if (len <= 0)
        goto out;
    if (!(*out = ad_b64url_encode(der, (size_t)len))) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    rc = AD_OK;
out:
    if (rc == AD_ERR_CRYPTO)
        ad_err("cannot make the certificate signing request (OpenSSL)");
    OPENSSL_free(der);
    X509_EXTENSION_free(ext);
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
