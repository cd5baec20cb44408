/* plugins/cloudflare: an API answer as the plugin reads it: the JSON
 * envelope, its errors and codes, pagination, a zone list, a TXT record
 * list and the id of a created record (cf_parse.c). */
#include <stdlib.h>
#include <string.h>

#include "cf_parse.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_object *env = ad_cf_envelope_parse((const char *)data, size);
    char buf[600], ids[16][AD_CF_ID_MAX + 1];
    size_t n = 0;
    struct ad_cf_zone_pick z;
    if (!env)
        return 0;
    memset(&z, 0, sizeof z);
    ad_cf_env_success(env);
    ad_cf_env_has_code(env, 9109);
    ad_cf_env_has_code(env, 81058);
    ad_cf_env_errors(env, buf, sizeof buf);
    ad_cf_total_pages(env, 20);
    ad_cf_zone_pick(env, "example.test", &z);
    ad_cf_records_match(env, "_acme-challenge.example.test", "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0", ids, 16,
                        &n);
    ad_cf_created_id(env);
    json_object_put(env);
    return 0;
}
