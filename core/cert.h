/* Facts about an issued certificate that renewal needs (OpenSSL 3): its
 * validity, serial, and the ARI certificate identifier (RFC 9773, 4.1). */
#ifndef AD_CERT_H
#define AD_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "acme-dns/status.h"

struct ad_cert_info {
    int64_t not_before, not_after; /* Unix seconds */
    char *serial;                  /* lower-case hex of the serial number; owned */
    char *ari_id;                  /* base64url(AKI keyIdentifier) "." base64url(serial DER), or
                                      NULL when the certificate has no AKI keyIdentifier; owned */
};

/* The first certificate of PEM (LEN bytes; a whole chain is fine).
 * AD_ERR_CRYPTO when it is not a PEM certificate.  Clear *OUT with
 * ad_cert_info_clear (also after a failure). */
ad_status ad_cert_info_parse(const char *pem, size_t len, struct ad_cert_info *out);
void ad_cert_info_clear(struct ad_cert_info *ci);
/* The ARI identifier from the keyIdentifier bytes KID and the serial
 * number's DER content octets (the INTEGER without tag and length).
 * Caller frees; NULL on out-of-memory. */
char *ad_ari_id(const uint8_t *kid, size_t kidlen, const uint8_t *serial, size_t seriallen);

/* The DER of the first certificate of PEM (LEN bytes).  AD_ERR_CRYPTO when
 * there is none.  Caller frees *DER. */
ad_status ad_cert_der(const char *pem, size_t len, uint8_t **der, size_t *der_len);
/* The issuer common name of the topmost (last) certificate of the PEM
 * chain (LEN bytes, at most 16 certificates read), as UTF-8 with control
 * characters replaced by '?'.  AD_ERR_CRYPTO when PEM holds no
 * certificate, AD_OK with *CN NULL when that issuer has no common name.
 * Caller frees *CN. */
ad_status ad_chain_top_issuer_cn(const char *pem, size_t len, char **cn);

#endif
