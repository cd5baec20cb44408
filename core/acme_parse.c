/* What an ACME CA sends, read without I/O (see acme_parse.h). */
#include "acme_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "util.h"

#define AD_MAX_AUTHZ 1000

const char *ad_acme_jstr(json_object *o, const char *k)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

ad_status ad_acme_dupstr(char **dst, const char *s)
{
    free(*dst);
    *dst = NULL;
    if (!s)
        return AD_OK;
    return (*dst = strdup(s)) ? AD_OK : AD_ERR_NOMEM;
}

json_object *ad_acme_json(const char *body, size_t len)
{
    if (!body || len == 0 || len > AD_HTTP_BODY_MAX)
        return NULL;
    json_tokener *t = json_tokener_new();
    if (!t)
        return NULL;
    json_object *o = json_tokener_parse_ex(t, body, (int)len);
    if (json_tokener_get_error(t) != json_tokener_success) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(t);
    return o;
}

ad_status ad_problem_format(const char *body, size_t len, char **out)
{
    ad_status rc = AD_ERR_PROTOCOL;
    json_object *o = ad_acme_json(body, len), *subs;
    char *s = NULL;
    const char *type = ad_acme_jstr(o, "type"), *detail = ad_acme_jstr(o, "detail");
    if (!o || (!type && !detail))
        goto out;
    rc = AD_ERR_NOMEM;
    if (!(s = ad_asprintf("%s%s%s", detail ? detail : "(no detail)", type ? " [" : "", type ? type : "")))
        goto out;
    if (type) {
        char *t = ad_asprintf("%s]", s);
        free(s);
        if (!(s = t))
            goto out;
    }
    if (json_object_object_get_ex(o, "subproblems", &subs) && json_object_is_type(subs, json_type_array)) {
        size_t n = json_object_array_length(subs);
        for (size_t i = 0; i < n && i < 100; i++) {
            json_object *sp = json_object_array_get_idx(subs, i), *id;
            const char *idv = NULL;
            if (json_object_object_get_ex(sp, "identifier", &id))
                idv = ad_acme_jstr(id, "value");
            const char *st = ad_acme_jstr(sp, "type"), *sd = ad_acme_jstr(sp, "detail");
            char *t = ad_asprintf("%s\n  %s: %s [%s]", s, idv ? idv : "(no identifier)", sd ? sd : "(no detail)",
                                  st ? st : "no type");
            free(s);
            if (!(s = t))
                goto out;
        }
    }
    *out = s;
    s = NULL;
    rc = AD_OK;
out:
    free(s);
    json_object_put(o);
    return rc;
}

bool ad_acme_is_bad_nonce(const char *body, size_t len)
{
    json_object *o = ad_acme_json(body, len);
    const char *t = ad_acme_jstr(o, "type");
    bool r = t && strcmp(t, "urn:ietf:params:acme:error:badNonce") == 0;
    json_object_put(o);
    return r;
}

ad_status ad_acme_order_parse(struct ad_order *o, json_object *j)
{
    json_object *arr;
    const char *st = ad_acme_jstr(j, "status"), *fin = ad_acme_jstr(j, "finalize");
    if (!st || !fin) {
        ad_err("the CA's order has no status or finalize URL");
        return AD_ERR_PROTOCOL;
    }
    if (ad_acme_dupstr(&o->status, st) || ad_acme_dupstr(&o->finalize, fin) ||
        ad_acme_dupstr(&o->certificate, ad_acme_jstr(j, "certificate")))
        return AD_ERR_NOMEM;
    if (json_object_object_get_ex(j, "authorizations", &arr) && json_object_is_type(arr, json_type_array)) {
        size_t n = json_object_array_length(arr);
        if (n > AD_MAX_AUTHZ) {
            ad_err("the CA's order has %zu authorizations: too many", n);
            return AD_ERR_PROTOCOL;
        }
        for (size_t i = 0; i < o->nauthz; i++)
            free(o->authz[i]);
        free(o->authz);
        o->nauthz = 0;
        if (!(o->authz = calloc(n ? n : 1, sizeof *o->authz)))
            return AD_ERR_NOMEM;
        for (size_t i = 0; i < n; i++) {
            json_object *u = json_object_array_get_idx(arr, i);
            if (!json_object_is_type(u, json_type_string)) {
                ad_err("the CA's order lists an authorization that is not a URL");
                return AD_ERR_PROTOCOL;
            }
            if (!(o->authz[i] = strdup(json_object_get_string(u))))
                return AD_ERR_NOMEM;
            o->nauthz++;
        }
    }
    return AD_OK;
}

static bool token_ok(const char *t)
{
    size_t n = strlen(t);
    if (n < 16 || n > 256)
        return false;
    for (; *t; t++)
        if (!((*t >= 'A' && *t <= 'Z') || (*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9') || *t == '-' ||
              *t == '_'))
            return false;
    return true;
}

ad_status ad_acme_authz_parse(struct ad_authz *az, json_object *j)
{
    json_object *id, *ch, *wc;
    const char *st = ad_acme_jstr(j, "status");
    if (!st || !json_object_object_get_ex(j, "identifier", &id) || !ad_acme_jstr(id, "value")) {
        ad_err("the CA's authorization %s has no status or identifier", az->url);
        return AD_ERR_PROTOCOL;
    }
    if (ad_acme_dupstr(&az->status, st) || ad_acme_dupstr(&az->domain, ad_acme_jstr(id, "value")))
        return AD_ERR_NOMEM;
    az->wildcard = json_object_object_get_ex(j, "wildcard", &wc) && json_object_get_boolean(wc);
    if (json_object_object_get_ex(j, "challenges", &ch) && json_object_is_type(ch, json_type_array)) {
        size_t n = json_object_array_length(ch);
        for (size_t i = 0; i < n && i < 64; i++) {
            json_object *c = json_object_array_get_idx(ch, i);
            const char *type = ad_acme_jstr(c, "type");
            if (!type || strcmp(type, "dns-01") != 0)
                continue;
            const char *url = ad_acme_jstr(c, "url"), *tok = ad_acme_jstr(c, "token");
            if (!url || !tok || !token_ok(tok)) {
                ad_err("the CA's dns-01 challenge for %s has no URL or a malformed token", az->domain);
                return AD_ERR_PROTOCOL;
            }
            if (ad_acme_dupstr(&az->chall_url, url) || ad_acme_dupstr(&az->token, tok) ||
                ad_acme_dupstr(&az->chall_status, ad_acme_jstr(c, "status")))
                return AD_ERR_NOMEM;
            break;
        }
    }
    return AD_OK;
}

void ad_acme_dir_clear(struct ad_acme_dir *d)
{
    free(d->new_nonce);
    free(d->new_account);
    free(d->new_order);
    free(d->tos);
    free(d->website);
    free(d->caa);
    free(d->renewal_info);
    memset(d, 0, sizeof *d);
}

ad_status ad_acme_dir_parse(const char *body, size_t len, const char *url, struct ad_acme_dir *d)
{
    ad_status rc = AD_ERR_PROTOCOL;
    json_object *o = ad_acme_json(body, len), *meta;
    const char *nn = ad_acme_jstr(o, "newNonce"), *na = ad_acme_jstr(o, "newAccount");
    const char *no = ad_acme_jstr(o, "newOrder");
    if (!nn || !na || !no) {
        ad_err("%s is not an ACME directory (no newNonce/newAccount/newOrder): check --server", url);
        goto out;
    }
    rc = AD_ERR_NOMEM;
    if (ad_acme_dupstr(&d->new_nonce, nn) || ad_acme_dupstr(&d->new_account, na) || ad_acme_dupstr(&d->new_order, no))
        goto out;
    const char *ri = ad_acme_jstr(o, "renewalInfo");
    if (ad_acme_dupstr(&d->renewal_info, ri && strncmp(ri, "https://", 8) == 0 ? ri : NULL))
        goto out;
    if (json_object_object_get_ex(o, "meta", &meta)) {
        json_object *caa, *eab;
        if (ad_acme_dupstr(&d->tos, ad_acme_jstr(meta, "termsOfService")) ||
            ad_acme_dupstr(&d->website, ad_acme_jstr(meta, "website")))
            goto out;
        if (json_object_object_get_ex(meta, "caaIdentities", &caa) && json_object_is_type(caa, json_type_array)) {
            size_t n = json_object_array_length(caa), used = 0;
            free(d->caa);
            if (!(d->caa = calloc(1, 1)))
                goto out;
            for (size_t i = 0; i < n && i < 64; i++) {
                json_object *e = json_object_array_get_idx(caa, i);
                if (!json_object_is_type(e, json_type_string))
                    continue;
                const char *v = json_object_get_string(e);
                size_t l = strlen(v);
                char *c = realloc(d->caa, used + l + 3);
                if (!c)
                    goto out;
                d->caa = c;
                used += (size_t)sprintf(d->caa + used, "%s%s", used ? ", " : "", v);
            }
        }
        d->eab_required = json_object_object_get_ex(meta, "externalAccountRequired", &eab) &&
                          json_object_is_type(eab, json_type_boolean) && json_object_get_boolean(eab);
    }
    rc = AD_OK;
out:
    json_object_put(o);
    return rc;
}

bool ad_acme_nonce_ok(const char *nonce)
{
    size_t n = strlen(nonce);
    if (n == 0 || n > AD_ACME_NONCE_MAX)
        return false;
    for (const char *c = nonce; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
              *c == '_'))
            return false;
    return true;
}

bool ad_acme_url_ok(const char *url)
{
    size_t n = strlen(url);
    if (n <= 8 || n > AD_ACME_URL_MAX || strncmp(url, "https://", 8) != 0)
        return false;
    for (const unsigned char *c = (const unsigned char *)url; *c; c++)
        if (*c <= ' ' || *c == 0x7f)
            return false;
    return true;
}
