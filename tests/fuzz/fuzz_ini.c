/* core/common/ini.c: certbot's credentials INI files (rfc2136's and
 * cloudflare's credentials= option) as a user or an attacker may write them. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ini.h"

static void ignore(void *ctx, const char *message)
{
    (void)ctx;
    if (strlen(message) >= 600)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const known[] = {"dns_rfc2136_server", "dns_cloudflare_api_token", NULL};
    struct ad_ini *ini = NULL;
    char err[512];
    err[0] = '\0';
    if (ad_ini_parse("fuzz.ini", (const char *)data, size, &ini, err, sizeof err) != AD_OK) {
        if (ini || !err[0])
            abort(); /* a refusal leaves nothing and says why */
        return 0;
    }
    if (ad_ini_count(ini) > AD_INI_MAX_KEYS)
        abort();
    for (size_t i = 0; i < ad_ini_count(ini); i++) {
        unsigned line = 0;
        const char *k = ad_ini_key(ini, i, &line);
        const char *v = ad_ini_get(ini, k);
        /* every key is found, non-empty, bounded, and lies on a line of the input */
        if (!k[0] || strlen(k) > AD_INI_KEY_MAX || !v || line == 0 || line > size + 1 || strlen(v) > size)
            abort();
    }
    ad_ini_unknown_keys(ini, "fuzz.ini", "the fuzz plugin", known, ignore, NULL);
    ad_ini_free(ini);
    return 0;
}
