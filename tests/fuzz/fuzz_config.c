/* core/config.c: the config file (--config FILE, /etc/acme-dns/acme-dns.conf)
 * as a user may write it: the pure parser over a buffer. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ad_config *cfg = NULL;
    char err[1024];
    err[0] = '\0';
    if (ad_config_parse("fuzz.conf", (const char *)data, size, &cfg, err, sizeof err) != AD_OK) {
        if (cfg || strncmp(err, "fuzz.conf", 9) != 0)
            abort(); /* a refusal leaves nothing and names the file */
        return 0;
    }
    size_t total = 0;
    const char *v;
    unsigned line;
    for (size_t i = 0; i < ad_config_count(cfg); i++) {
        const char *k = ad_config_entry(cfg, i, &v, &line);
        /* every key is non-empty and bounded, found again, its value non-empty and on a line of the input */
        if (!k[0] || strlen(k) > 64 || !v[0] || strlen(v) > AD_CONFIG_LINE_MAX || line == 0 || line > size + 1 ||
            ad_config_get(cfg, k) != v)
            abort();
        total++;
    }
    for (size_t s = 0; s < ad_config_sections(cfg); s++) {
        size_t n;
        const char *name = ad_config_section(cfg, s, &n);
        if (!name[0] || strlen(name) > 64)
            abort();
        for (size_t i = 0; i < n; i++) {
            const char *k = ad_config_section_entry(cfg, s, i, &v, &line);
            if (!k[0] || strlen(k) > 64 || strlen(v) > AD_CONFIG_LINE_MAX || line == 0 || line > size + 1)
                abort();
            total++;
        }
    }
    if (total > AD_CONFIG_MAX_ENTRIES)
        abort();
    ad_config_free(cfg);
    return 0;
}
