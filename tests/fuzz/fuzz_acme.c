/* What a CA sends, as core/acme_parse.c reads it: the same input is read as
 * a directory, an order (twice: a poll updates the order), an authorization
 * with its dns-01 challenge, a problem document and a badNonce check; and as
 * header values: Replay-Nonce, Location, Retry-After.  Aborts on a broken
 * promise of those functions. */
#include <stdlib.h>
#include <string.h>

#include "acme_parse.h"
#include "curl_util.h"
#include "fuzz.h"
#include "log.h"

static bool b64url(const char *s)
{
    for (; *s; s++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *s))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    ad_log_set_verbosity(0);

    struct ad_acme_dir d = {0};
    if (ad_acme_dir_parse(body, size, "https://ca.test/dir", &d) == AD_OK &&
        (!d.new_nonce || !d.new_account || !d.new_order || (d.renewal_info && strncmp(d.renewal_info, "https://", 8))))
        abort();
    ad_acme_dir_clear(&d);

    json_object *j = ad_acme_json(body, size);
    struct ad_order o = {0};
    for (int round = 0; round < 2; round++)
        if (ad_acme_order_parse(&o, j) == AD_OK && (!o.status || !o.finalize || o.nauthz > 1000))
            abort();
    for (size_t i = 0; i < o.nauthz; i++)
        if (!o.authz[i])
            abort();
    ad_order_clear(&o);
    struct ad_authz az = {0};
    az.url = strdup("https://ca.test/authz/1");
    if (ad_acme_authz_parse(&az, j) == AD_OK &&
        (!az.status || !az.domain || (az.chall_url && (!az.token || !b64url(az.token)))))
        abort();
    ad_authz_clear(&az);
    json_object_put(j);

    char *p = NULL;
    if (ad_problem_format(body, size, &p) == AD_OK && !p)
        abort();
    free(p);
    ad_acme_is_bad_nonce(body, size);

    char *value = malloc(size + 1);
    if (!value)
        return 0;
    memcpy(value, data, size);
    value[size] = '\0';
    if (ad_acme_nonce_ok(value) && (!*value || strlen(value) > AD_ACME_NONCE_MAX || !b64url(value)))
        abort();
    if (ad_acme_url_ok(value) && (strncmp(value, "https://", 8) || strlen(value) > AD_ACME_URL_MAX ||
                                  strpbrk(value, " \t\r\n")))
        abort();
    long ra = ad_retry_after_secs(value, (time_t)1767225600);
    if (ra < -1 || ra > 86400)
        abort();
    free(value);
    return 0;
}
