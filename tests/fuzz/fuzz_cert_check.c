/* The CA's certificate chain as ad_cert_check (core/csr.c) reads it: PEM
 * through OpenSSL, our public key, the SAN, the chain's length. */
#include <stdlib.h>
#include <string.h>

#include "csr.h"
#include "fuzz.h"
#include "key.h"
#include "log.h"

/* The key of the seed corpus's leaf certificates (tests/fuzz/make_seeds.sh). */
static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsSaDDKU2LY+lGDd/\n"
                              "uVo/URMty39IvmH8cJg88iJpPw6hRANCAAQggkuoexhsot1fmG8ztLe7oZvlaMvW\n"
                              "T+UO2FT0hH4pddj6TJ+7HgHpm9+IaaV/lfsXIrcPq6EEzHv9WtjTFl2/\n"
                              "-----END PRIVATE KEY-----\n";
static EVP_PKEY *key;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"example.test", "*.example.test"};
    char *cert = NULL, *chain = NULL;
    ad_log_set_verbosity(0);
    if (!key && ad_key_from_pem(key_pem, strlen(key_pem), &key) != AD_OK)
        abort();
    ad_cert_check((const char *)data, size, key, names, 2, &cert, &chain);
    free(cert);
    free(chain);
    return 0;
}
