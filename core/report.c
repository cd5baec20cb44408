#include "report.h"

#include <stdio.h>

#include "util.h"
#include "walltime.h"

json_object *ad_json_strs(char *const *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; a && i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

void ad_json_str(json_object *o, const char *key, const char *s)
{
    if (s)
        json_object_object_add(o, key, json_object_new_string(s));
}

void ad_json_time(json_object *o, const char *key, int64_t t)
{
    char buf[AD_RFC3339_LEN];
    ad_rfc3339_format(t, buf, sizeof buf);
    json_object_object_add(o, key, json_object_new_string(buf));
}

json_object *ad_json_timings(const struct ad_timings *tm, const struct ad_http_figures *hf)
{
    static const char *const keys[AD_PH_COUNT] = {"account", "order", "authorizations", "zone_lookup", "dns_update",
                                                  "propagation", "validation", "finalize", "download", "cleanup",
                                                  "renewal_info"};
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    for (int i = 0; i < AD_PH_COUNT; i++)
        json_object_object_add(o, keys[i], json_object_new_int64((int64_t)tm->t[i]));
    json_object_object_add(o, "total", json_object_new_int64((int64_t)(ad_now_ms() - tm->start_ms)));
    if (hf) {
        json_object_object_add(o, "ca_http_requests", json_object_new_int64((int64_t)hf->requests));
        json_object_object_add(o, "ca_connections", json_object_new_int64((int64_t)hf->connects));
    }
    return o;
}

json_object *ad_json_providers(const struct ad_settings *s)
{
    json_object *ps = json_object_new_array();
    for (size_t k = 0; ps && k <= s->nextra; k++) {
        json_object *p = json_object_new_object(), *ds = json_object_new_array();
        const struct ad_provider_conf *pc = k ? &s->extra[k - 1] : &s->provider;
        for (size_t d = 0; ds && d < s->ndomains; d++)
            if (ad_settings_provider_of(s, d) == pc)
                json_object_array_add(ds, json_object_new_string(s->domains[d]));
        if (!p) {
            json_object_put(ds);
            continue;
        }
        ad_json_str(p, "name", pc->name);
        json_object_object_add(p, "domains", ds);
        json_object_array_add(ps, p);
    }
    return ps;
}

void ad_json_print(json_object *o)
{
    const char *s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)
                      : NULL;
    if (s) {
        puts(s);
        fflush(stdout);
    }
    json_object_put(o);
}
