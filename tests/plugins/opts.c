/* Test plugin: an option schema with a required and a secret option; present
 * and cleanup only log, so the loader's option checks can be tested. */
#include "acme-dns/plugin.h"

static const struct ad_plugin_option opts[] = {
    {"endpoint", "where to send records", AD_OPT_REQUIRED},
    {"password", "a secret", AD_OPT_SECRET},
    {NULL, NULL, 0},
};

static const struct ad_host *host;

static ad_status t_init(const struct ad_host *h, const struct ad_option_value *o, size_t n, void **s)
{
    host = h;
    *s = NULL;
    /* Logs the secret on purpose: the core must redact it. */
    h->log(h->ctx, AD_LOG_INFO, "init with endpoint %s and password %s", ad_option_get(o, n, "endpoint"),
           ad_option_get(o, n, "password") ? ad_option_get(o, n, "password") : "(none)");
    return AD_ERR_PROVIDER; /* stop here: the tests only need init */
}

static ad_status t_batch(void *s, struct ad_record *const *r, size_t n)
{
    (void)s, (void)r, (void)n;
    return AD_OK;
}

AD_PLUGIN_DECLARE(opts, "test plugin with an option schema", opts, t_init, t_batch, t_batch, NULL);
