/* A small DER writer for the few fixed structures we emit ourselves (the
 * PKCS#8 form of an EC private key, SubjectPublicKeyInfo, the CSR), so that
 * they do not go through OpenSSL 3's encoder and decoder look-ups, which cost
 * more CPU than the rest of the work together. */
#ifndef AD_DER_H
#define AD_DER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "acme-dns/status.h"

/* A growing byte buffer; err is set once anything failed (out of memory),
 * after which every call does nothing. */
struct ad_der {
    uint8_t *p;
    size_t len, cap;
    int err;
};

void ad_der_bytes(struct ad_der *d, const void *data, size_t len);
/* TAG, the length of CONTENT, CONTENT. */
void ad_der_tlv(struct ad_der *d, uint8_t tag, const void *content, size_t len);
/* Wrap everything written to D since offset START in TAG and its length. */
void ad_der_wrap(struct ad_der *d, size_t start, uint8_t tag);
/* Frees the buffer, wiping it first (it may hold a private key). */
void ad_der_free(struct ad_der *d);

/* DER SubjectPublicKeyInfo of KEY (P-256 and P-384 built here, other keys
 * by OpenSSL).  Caller frees *OUT with free(). */
ad_status ad_der_spki(EVP_PKEY *key, uint8_t **out, size_t *len);
/* PKCS#8 DER of an EC P-256 or P-384 private key, byte for byte as OpenSSL
 * writes it.  Returns 1 when written (caller wipes and frees *OUT), 0 for
 * other keys (use OpenSSL), -1 on failure. */
int ad_der_ec_pkcs8(EVP_PKEY *key, uint8_t **out, size_t *len);

#endif
