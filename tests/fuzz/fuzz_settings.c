/* The files kept beside each certificate: settings.json (core/settings.c,
 * ad_settings_parse) and state.json (core/ari.c, ad_state_parse).  What is
 * accepted is written back (ad_settings_format, ad_state_format), and that
 * must read again to the same text: renew rewrites them. */
#include <stdlib.h>
#include <string.h>

#include "ari.h"
#include "fuzz.h"
#include "log.h"
#include "settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256], *a = NULL, *b = NULL;
    ad_log_set_verbosity(0);

    struct ad_settings s = {0}, t = {0};
    if (ad_settings_parse((const char *)data, size, &s, why, sizeof why) == AD_OK) {
        if (!s.ndomains || !s.server || !s.provider.name)
            abort();
        if (ad_settings_format(&s, &a) == AD_OK) {
            if (ad_settings_parse(a, strlen(a), &t, why, sizeof why) != AD_OK || ad_settings_format(&t, &b) != AD_OK ||
                strcmp(a, b) != 0)
                abort();
        }
    }
    ad_settings_clear(&s);
    ad_settings_clear(&t);
    free(a);
    free(b);
    a = b = NULL;

    struct ad_renewal_state st = {0}, st2 = {0};
    if (ad_state_parse((const char *)data, size, &st, why, sizeof why) == AD_OK &&
        ad_state_format(&st, &a) == AD_OK) {
        if (ad_state_parse(a, strlen(a), &st2, why, sizeof why) != AD_OK || ad_state_format(&st2, &b) != AD_OK ||
            strcmp(a, b) != 0)
            abort();
    }
    ad_state_clear(&st);
    ad_state_clear(&st2);
    free(a);
    free(b);
    return 0;
}
