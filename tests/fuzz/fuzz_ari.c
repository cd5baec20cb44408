/* ACME Renewal Information replies (RFC 9773, core/ari.c ad_ari_parse) and
 * how one is folded into a certificate's renewal state (ad_ari_update):
 * the window ends after it starts, our moment lies in it, the next check
 * is within the RFC's bounds. */
#include <stdlib.h>
#include <string.h>

#include "ari.h"
#include "fuzz.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ad_ari_window w;
    char why[256];
    const int64_t now = 1767225600; /* 2026-01-01 */
    ad_log_set_verbosity(0);
    if (ad_ari_parse((const char *)data, size, &w, why, sizeof why) == AD_OK) {
        struct ad_renewal_state st = {0};
        if (w.end <= w.start)
            abort();
        long ra = size ? (long)data[0] * 400 - 1 : -1; /* absent, below, inside and above the bounds */
        for (int round = 0; round < 2; round++) {
            if (ad_ari_update(&st, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", &w, ra, now) != AD_OK)
                break;
            if (st.selected < w.start || st.selected >= w.end || st.next_check < now + AD_ARI_RETRY_MIN ||
                st.next_check > now + AD_ARI_RETRY_MAX)
                abort();
        }
        ad_state_clear(&st);
    } else if (!why[0]) {
        abort();
    }
    ad_ari_window_clear(&w);
    return 0;
}
