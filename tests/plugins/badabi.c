/* Test plugin: built for a future major ABI version; the loader must refuse it. */
#include "acme-dns/plugin.h"

static const struct ad_plugin_option opts[] = {{NULL, NULL, 0}};

static ad_status t_init(const struct ad_host *h, const struct ad_option_value *o, size_t n, void **s)
{
    (void)h, (void)o, (void)n, (void)s;
    return AD_OK;
}

static ad_status t_batch(void *s, struct ad_record *const *r, size_t n)
{
    (void)s, (void)r, (void)n;
    return AD_OK;
}

AD_EXPORT const struct ad_plugin acme_dns_provider = {
    (AD_PLUGIN_ABI_MAJOR + 1) << 16, sizeof(struct ad_plugin), "badabi", "future ABI", opts,
    t_init, t_batch, t_batch, NULL, NULL, NULL};
