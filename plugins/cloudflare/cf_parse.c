#include "cf_parse.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CF_JSON_DEPTH 32
#define CF_LIST_MAX 5000 /* entries of one page we look at */

struct json_object *ad_cf_envelope_parse(const char *body, size_t len)
{
    struct json_object *j = NULL, *s = NULL;
    struct json_tokener *tok = body && len <= (size_t)INT32_MAX ? json_tokener_new_ex(CF_JSON_DEPTH) : NULL;
    if (!tok)
        return NULL;
    j = json_tokener_parse_ex(tok, body, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (!j || jerr != json_tokener_success || !json_object_is_type(j, json_type_object) ||
        !json_object_object_get_ex(j, "success", &s) || !json_object_is_type(s, json_type_boolean)) {
        json_object_put(j);
        return NULL;
    }
    return j;
}

static const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) &&
        json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return NULL;
}

static struct json_object *jarr(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) &&
        json_object_is_type(v, json_type_array))
        return v;
    return NULL;
}

int ad_cf_total_pages(struct json_object *env, int max)
{
    struct json_object *ri, *tp;
    if (json_object_object_get_ex(env, "result_info", &ri) && json_object_is_type(ri, json_type_object) &&
        json_object_object_get_ex(ri, "total_pages", &tp) && json_object_is_type(tp, json_type_int)) {
        int64_t v = json_object_get_int64(tp);
        if (v < 1)
            return 1;
        return v > max ? max : (int)v;
    }
    return 1;
}

bool ad_cf_zone_pick(struct json_object *env, const char *name, struct ad_cf_zone_pick *z)
{
    struct json_object *res = jarr(env, "result");
    size_t n = res ? json_object_array_length(res) : 0;
    for (size_t i = 0; i < n && i < CF_LIST_MAX; i++) {
        struct json_object *e = json_object_array_get_idx(res, i);
        const char *zn = jstr(e, "name"), *id = jstr(e, "id"), *status = jstr(e, "status");
        if (!zn || !id || strcasecmp(zn, name) != 0 || !ad_cf_id_ok(id))
            continue;
        if (!status || strcmp(status, "active") == 0) {
            snprintf(z->id, sizeof z->id, "%s", id);
            return true;
        }
        if (!z->other[0]) {
            snprintf(z->other, sizeof z->other, "%s", id);
            ad_cf_sanitize(z->other_status, sizeof z->other_status, status);
        }
    }
    return false;
}

void ad_cf_records_match(struct json_object *env, const char *name, const char *value,
                         char (*ids)[AD_CF_ID_MAX + 1], size_t max, size_t *n)
{
    struct json_object *res = jarr(env, "result");
    size_t m = res ? json_object_array_length(res) : 0;
    for (size_t i = 0; i < m && i < CF_LIST_MAX && *n < max; i++) {
        struct json_object *e = json_object_array_get_idx(res, i);
        const char *id = jstr(e, "id"), *type = jstr(e, "type");
        const char *rn = jstr(e, "name"), *content = jstr(e, "content");
        if (!id || !ad_cf_id_ok(id) || !type || strcmp(type, "TXT") != 0 || !rn || strcasecmp(rn, name) != 0 ||
            !content || !ad_cf_txt_matches(content, value))
            continue;
        snprintf(ids[(*n)++], AD_CF_ID_MAX + 1, "%s", id);
    }
}

const char *ad_cf_created_id(struct json_object *env)
{
    struct json_object *res;
    const char *id = json_object_object_get_ex(env, "result", &res) ? jstr(res, "id") : NULL;
    return id && ad_cf_id_ok(id) ? id : NULL;
}

bool ad_cf_env_success(struct json_object *env)
{
    struct json_object *s;
    return env && json_object_object_get_ex(env, "success", &s) &&
           json_object_is_type(s, json_type_boolean) && json_object_get_boolean(s);
}

static bool array_has_code(struct json_object *arr, int code, int depth)
{
    if (!arr || !json_object_is_type(arr, json_type_array) || depth > 3)
        return false;
    size_t n = json_object_array_length(arr);
    for (size_t i = 0; i < n && i < 32; i++) {
        struct json_object *e = json_object_array_get_idx(arr, i), *c, *chain;
        if (!e || !json_object_is_type(e, json_type_object))
            continue;
        if (json_object_object_get_ex(e, "code", &c) && json_object_is_type(c, json_type_int) &&
            json_object_get_int(c) == code)
            return true;
        if (json_object_object_get_ex(e, "error_chain", &chain) &&
            array_has_code(chain, code, depth + 1))
            return true;
    }
    return false;
}

bool ad_cf_env_has_code(struct json_object *env, int code)
{
    struct json_object *errs;
    return env && json_object_object_get_ex(env, "errors", &errs) && array_has_code(errs, code, 0);
}

static void append(char *buf, size_t len, size_t *used, const char *s)
{
    size_t n = strlen(s);
    if (*used + 1 >= len)
        return;
    if (n > len - 1 - *used)
        n = len - 1 - *used;
    memcpy(buf + *used, s, n);
    *used += n;
    buf[*used] = '\0';
}

static void errors_text(struct json_object *arr, char *buf, size_t len, size_t *used, int depth)
{
    if (!arr || !json_object_is_type(arr, json_type_array) || depth > 2)
        return;
    size_t n = json_object_array_length(arr);
    for (size_t i = 0; i < n && i < 8; i++) {
        struct json_object *e = json_object_array_get_idx(arr, i), *c, *m, *chain;
        if (!e || !json_object_is_type(e, json_type_object))
            continue;
        char item[200], msg[160];
        msg[0] = '\0';
        if (json_object_object_get_ex(e, "message", &m) && json_object_is_type(m, json_type_string))
            ad_cf_sanitize(msg, sizeof(msg), json_object_get_string(m));
        long code = 0;
        if (json_object_object_get_ex(e, "code", &c) && json_object_is_type(c, json_type_int))
            code = (long)json_object_get_int64(c);
        snprintf(item, sizeof(item), "%s[%ld] %s", i ? "; " : "", code, msg);
        append(buf, len, used, item);
        if (json_object_object_get_ex(e, "error_chain", &chain) &&
            json_object_is_type(chain, json_type_array) && json_object_array_length(chain) > 0) {
            append(buf, len, used, " (");
            errors_text(chain, buf, len, used, depth + 1);
            append(buf, len, used, ")");
        }
    }
}

void ad_cf_env_errors(struct json_object *env, char *buf, size_t len)
{
    size_t used = 0;
    struct json_object *errs;
    if (!len)
        return;
    buf[0] = '\0';
    if (env && json_object_object_get_ex(env, "errors", &errs))
        errors_text(errs, buf, len, &used, 0);
    if (!buf[0])
        snprintf(buf, len, "no error details given");
}
