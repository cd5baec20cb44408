/* Facts about a certificate that renewal reads (core/cert.c,
 * ad_cert_info_parse): validity, serial, ARI identifier.  The input is
 * read as PEM text, and as DER wrapped in PEM here, so that the fuzzer
 * reaches OpenSSL's ASN.1 and our use of what it decodes. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "fuzz.h"
#include "log.h"

static void check(const char *pem, size_t len)
{
    struct ad_cert_info ci;
    if (ad_cert_info_parse(pem, len, &ci) == AD_OK) {
        if (!ci.serial || !*ci.serial || strspn(ci.serial, "0123456789abcdef-") != strlen(ci.serial))
            abort();
        if (ci.ari_id && !strchr(ci.ari_id, '.'))
            abort();
    }
    ad_cert_info_clear(&ci);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char head[] = "-----BEGIN CERTIFICATE-----\n", tail[] = "-----END CERTIFICATE-----\n";
    ad_log_set_verbosity(0);
    check((const char *)data, size);
    if (size > (1u << 16))
        return 0;
    size_t b64 = 4 * ((size + 2) / 3), lines = b64 / 64 + 1;
    char *pem = malloc(sizeof head + b64 + lines + sizeof tail + 1), *p = pem;
    unsigned char *enc = malloc(b64 + 1);
    if (!pem || !enc)
        goto out;
    EVP_EncodeBlock(enc, data, (int)size);
    p += sprintf(p, "%s", head);
    for (size_t off = 0; off < b64; off += 64) {
        size_t n = b64 - off < 64 ? b64 - off : 64;
        memcpy(p, enc + off, n);
        p += n;
        *p++ = '\n';
    }
    p += sprintf(p, "%s", tail);
    check(pem, (size_t)(p - pem));
out:
    free(pem);
    free(enc);
    return 0;
}
