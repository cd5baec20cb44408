/* PKCS#10 CSRs and checks of issued certificates (OpenSSL 3). */
#ifndef AD_CSR_H
#define AD_CSR_H

#include <openssl/evp.h>
#include <stddef.h>

#include "acme-dns/status.h"

/* DER CSR for NAMES (every one in the SAN, the first as CN when it fits),
 * signed with KEY, as base64url.  Caller frees *OUT. */
ad_status ad_csr_make(EVP_PKEY *key, const char *const *names, size_t n, char **out);

/* Check that the first certificate of the PEM chain has KEY's public key
 * and that its SAN covers every one of NAMES; then split it into the leaf
 * (*CERT) and the rest (*CHAIN).  Caller frees both. */
ad_status ad_cert_check(const char *pem, size_t len, EVP_PKEY *key, const char *const *names, size_t n,
                        char **cert, char **chain);

#endif
