/* plugins/rfc2136: the BIND key-file parser (tsig-keygen / ddns-confgen
 * output), picking the only key and a key by name; the error message must
 * never carry the secret. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rfc2136_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const want[] = {NULL, "acme-key"};
    for (size_t i = 0; i < 2; i++) {
        struct ad_rfc2136_key *k = NULL;
        char err[512] = "";
        if (ad_rfc2136_keyfile_parse("fuzz.key", (const char *)data, size, want[i], &k, err, sizeof err) == AD_OK) {
            if (!k || !k->alg || k->secret_len == 0 || !k->secret_b64 || strstr(err, k->secret_b64))
                abort();
            ad_rfc2136_key_free(k);
        } else if (k) {
            abort();
        }
    }
    return 0;
}
