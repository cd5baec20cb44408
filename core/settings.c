#include "settings.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"
#include "cli.h"
#include "jws.h"
#include "log.h"
#include "parse.h"
#include "store.h"
#include "util.h"

#define STR_MAX 4096   /* any one string */
#define LIST_MAX 64    /* options, variables, plugin folders, resolvers, hook arguments */

/* A reason in WHY, and AD_ERR_CONFIG. */
#define bad(why, size, ...) ad_why(why, size, AD_ERR_CONFIG, __VA_ARGS__)

/* A string member: absent is fine unless REQUIRED; wrong type, an embedded
 * NUL, an empty string or more than STR_MAX bytes is not. */
static ad_status get_str(json_object *o, const char *key, bool required, char **out, char *why, size_t size)
{
    json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
        return required ? bad(why, size, "\"%s\" is missing", key) : AD_OK;
    if (!json_object_is_type(v, json_type_string))
        return bad(why, size, "\"%s\" is not a string", key);
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (n == 0 || n > STR_MAX || strlen(s) != n)
        return bad(why, size, "\"%s\" is empty, longer than %d bytes or holds a NUL", key, STR_MAX);
    return (*out = strdup(s)) ? AD_OK : AD_ERR_NOMEM;
}

/* An array of strings (each as get_str wants it), at most MAX. */
static ad_status get_strs(json_object *o, const char *key, size_t max, char ***out, size_t *n, char *why,
                          size_t size)
{
    json_object *v;
    *out = NULL;
    *n = 0;
    if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
        return AD_OK;
    if (!json_object_is_type(v, json_type_array))
        return bad(why, size, "\"%s\" is not a list", key);
    size_t len = json_object_array_length(v);
    if (len > max)
        return bad(why, size, "\"%s\" has more than %zu entries", key, max);
    if (!(*out = calloc(len ? len : 1, sizeof **out)))
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < len; i++) {
        json_object *w = json_object_new_object(); /* reuse get_str's checks */
        if (!w)
            return AD_ERR_NOMEM;
        json_object_object_add(w, key, json_object_get(json_object_array_get_idx(v, i)));
        ad_status rc = get_str(w, key, true, &(*out)[i], why, size);
        json_object_put(w);
        if (rc != AD_OK)
            return rc;
        (*n)++;
    }
    return AD_OK;
}

static ad_status get_uint(json_object *o, const char *key, unsigned max, unsigned *out, char *why, size_t size)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return AD_OK;
    if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
        json_object_get_int64(v) > (int64_t)max)
        return bad(why, size, "\"%s\" is not a whole number from 0 to %u", key, max);
    *out = (unsigned)json_object_get_int64(v);
    return AD_OK;
}

static ad_status get_bool(json_object *o, const char *key, bool *out, char *why, size_t size)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return AD_OK;
    if (!json_object_is_type(v, json_type_boolean))
        return bad(why, size, "\"%s\" is not true or false", key);
    *out = json_object_get_boolean(v);
    return AD_OK;
}

static ad_status get_obj(json_object *o, const char *key, bool required, json_object **out, char *why,
                         size_t size)
{
    *out = NULL;
    if (!json_object_object_get_ex(o, key, out) || json_object_is_type(*out, json_type_null)) {
        *out = NULL;
        return required ? bad(why, size, "\"%s\" is missing", key) : AD_OK;
    }
    if (!json_object_is_type(*out, json_type_object))
        return bad(why, size, "\"%s\" is not an object", key);
    return AD_OK;
}

static ad_status get_key_type(json_object *o, const char *key, int *out, char *why, size_t size)
{
    char *s = NULL;
    ad_status rc = get_str(o, key, false, &s, why, size);
    if (rc == AD_OK && s && (*out = ad_key_type_parse(s)) < 0)
        rc = bad(why, size, "\"%s\" is not a key type (ec256, ec384, rsa2048, rsa3072, rsa4096)", key);
    free(s);
    return rc;
}

/* Option and variable names: what a schema or an environment can hold. */
static bool name_ok(const char *s, bool env)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                  (env ? (c >= 'A' && c <= 'Z') : c == '-');
        if (!ok || (env && i == 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

void ad_provider_conf_clear(struct ad_provider_conf *c)
{
    free(c->name);
    for (size_t i = 0; i < c->nopts; i++) {
        free((char *)c->opts[i].name);
        free((char *)c->opts[i].value);
    }
    free(c->opts);
    for (size_t i = 0; i < c->nenv; i++) {
        free(c->env[i].option);
        free(c->env[i].variable);
    }
    free(c->env);
    ad_strv_free(c->unsaved, c->nunsaved);
    ad_strv_free(c->plugin_dirs, c->nplugin_dirs);
    free(c->ca_bundle);
    memset(c, 0, sizeof *c);
}

static int opt_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ad_option_value *)a)->name, ((const struct ad_option_value *)b)->name);
}

static int env_cmp(const void *a, const void *b)
{
    int r = strcmp(((const struct ad_env_ref *)a)->option, ((const struct ad_env_ref *)b)->option);
    return r ? r : strcmp(((const struct ad_env_ref *)a)->variable, ((const struct ad_env_ref *)b)->variable);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void ad_provider_conf_sort(struct ad_provider_conf *c)
{
    if (c->nopts)
        qsort(c->opts, c->nopts, sizeof *c->opts, opt_cmp);
    if (c->nenv)
        qsort(c->env, c->nenv, sizeof *c->env, env_cmp);
    if (c->nunsaved)
        qsort(c->unsaved, c->nunsaved, sizeof *c->unsaved, str_cmp);
}

json_object *ad_provider_conf_json(const struct ad_provider_conf *c)
{
    json_object *o = json_object_new_object(), *opts = json_object_new_object(), *env = json_object_new_object(),
                *uns = json_object_new_array(), *dirs = json_object_new_array();
    if (!o || !opts || !env || !uns || !dirs) {
        json_object_put(o);
        json_object_put(opts);
        json_object_put(env);
        json_object_put(uns);
        json_object_put(dirs);
        return NULL;
    }
    json_object_object_add(o, "name", json_object_new_string(c->name));
    for (size_t i = 0; i < c->nopts; i++)
        json_object_object_add(opts, c->opts[i].name, json_object_new_string(c->opts[i].value));
    for (size_t i = 0; i < c->nenv; i++)
        json_object_object_add(env, c->env[i].option, json_object_new_string(c->env[i].variable));
    for (size_t i = 0; i < c->nunsaved; i++)
        json_object_array_add(uns, json_object_new_string(c->unsaved[i]));
    for (size_t i = 0; i < c->nplugin_dirs; i++)
        json_object_array_add(dirs, json_object_new_string(c->plugin_dirs[i]));
    json_object_object_add(o, "options", opts);
    json_object_object_add(o, "environment", env);
    json_object_object_add(o, "not_saved", uns);
    json_object_object_add(o, "plugin_dirs", dirs);
    if (c->ca_bundle)
        json_object_object_add(o, "ca_bundle", json_object_new_string(c->ca_bundle));
    return o;
}

ad_status ad_provider_conf_from_json(json_object *o, struct ad_provider_conf *c, char *why, size_t size)
{
    ad_status rc;
    json_object *opts, *env;
    memset(c, 0, sizeof *c);
    if (!json_object_is_type(o, json_type_object))
        return bad(why, size, "the provider is not an object");
    if ((rc = get_str(o, "name", true, &c->name, why, size)) != AD_OK)
        return rc;
    if (!name_ok(c->name, false))
        return bad(why, size, "the provider name \"%s\" is not valid", c->name);
    if ((rc = get_obj(o, "options", false, &opts, why, size)) != AD_OK ||
        (rc = get_obj(o, "environment", false, &env, why, size)) != AD_OK)
        return rc;
    if (opts) {
        size_t n = (size_t)json_object_object_length(opts);
        if (n > LIST_MAX)
            return bad(why, size, "the provider has more than %d options", LIST_MAX);
        if (!(c->opts = calloc(n ? n : 1, sizeof *c->opts)))
            return AD_ERR_NOMEM;
        json_object_object_foreach(opts, k, v)
        {
            char *val = NULL;
            json_object *w = json_object_new_object();
            if (!w)
                return AD_ERR_NOMEM;
            json_object_object_add(w, "value", json_object_get(v));
            rc = get_str(w, "value", true, &val, why, size);
            json_object_put(w);
            if (rc != AD_OK)
                return rc == AD_ERR_CONFIG ? bad(why, size, "provider option \"%s\" is not a non-empty string", k)
                                           : rc;
            if (!name_ok(k, false)) {
                free(val);
                return bad(why, size, "provider option name \"%s\" is not valid", k);
            }
            c->opts[c->nopts].value = val;
            if (!(c->opts[c->nopts++].name = strdup(k)))
                return AD_ERR_NOMEM;
        }
    }
    if (env) {
        size_t n = (size_t)json_object_object_length(env);
        if (n > LIST_MAX)
            return bad(why, size, "the provider has more than %d environment variables", LIST_MAX);
        if (!(c->env = calloc(n ? n : 1, sizeof *c->env)))
            return AD_ERR_NOMEM;
        json_object_object_foreach(env, k, v)
        {
            const char *var = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
            if (!name_ok(k, false) || !name_ok(var, true))
                return bad(why, size, "\"environment\" of option \"%s\" is not a valid variable name", k);
            c->env[c->nenv].option = strdup(k);
            c->env[c->nenv].variable = strdup(var);
            if (!c->env[c->nenv].variable || !c->env[c->nenv++].option)
                return AD_ERR_NOMEM;
        }
    }
    if ((rc = get_strs(o, "not_saved", LIST_MAX, &c->unsaved, &c->nunsaved, why, size)) != AD_OK ||
        (rc = get_strs(o, "plugin_dirs", LIST_MAX, &c->plugin_dirs, &c->nplugin_dirs, why, size)) != AD_OK ||
        (rc = get_str(o, "ca_bundle", false, &c->ca_bundle, why, size)) != AD_OK)
        return rc;
    for (size_t i = 0; i < c->nunsaved; i++)
        if (!name_ok(c->unsaved[i], false))
            return bad(why, size, "\"not_saved\" names an option that is not valid");
    ad_provider_conf_sort(c);
    return AD_OK;
}

static ad_status dup_strs(char **from, size_t n, char ***to, size_t *nto)
{
    *to = NULL;
    *nto = 0;
    if (!n)
        return AD_OK;
    if (!(*to = calloc(n, sizeof **to)))
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!((*to)[i] = strdup(from[i])))
            return AD_ERR_NOMEM;
        (*nto)++;
    }
    return AD_OK;
}

ad_status ad_provider_conf_copy(const struct ad_provider_conf *from, struct ad_provider_conf *to)
{
    memset(to, 0, sizeof *to);
    if (!(to->name = strdup(from->name)) || !(to->opts = calloc(from->nopts + 1, sizeof *to->opts)) ||
        !(to->env = calloc(from->nenv + 1, sizeof *to->env)))
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < from->nopts; i++) {
        to->opts[i].name = strdup(from->opts[i].name);
        to->opts[i].value = strdup(from->opts[i].value);
        to->nopts++;
        if (!to->opts[i].name || !to->opts[i].value)
            return AD_ERR_NOMEM;
    }
    for (size_t i = 0; i < from->nenv; i++) {
        to->env[i].option = strdup(from->env[i].option);
        to->env[i].variable = strdup(from->env[i].variable);
        to->nenv++;
        if (!to->env[i].option || !to->env[i].variable)
            return AD_ERR_NOMEM;
    }
    if (dup_strs(from->unsaved, from->nunsaved, &to->unsaved, &to->nunsaved) != AD_OK ||
        dup_strs(from->plugin_dirs, from->nplugin_dirs, &to->plugin_dirs, &to->nplugin_dirs) != AD_OK ||
        (from->ca_bundle && !(to->ca_bundle = strdup(from->ca_bundle))))
        return AD_ERR_NOMEM;
    return AD_OK;
}

ad_status ad_provider_conf_key(const struct ad_provider_conf *c, char **key)
{
    json_object *o = ad_provider_conf_json(c);
    unsigned char md[32];
    unsigned mdlen = 0;
    ad_status rc = AD_ERR_NOMEM;
    if (!o)
        return rc;
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (s && EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen >= 8)
        rc = (*key = ad_asprintf("%s-%02x%02x%02x%02x%02x%02x%02x%02x", c->name, md[0], md[1], md[2], md[3], md[4],
                                 md[5], md[6], md[7]))
                 ? AD_OK
                 : AD_ERR_NOMEM;
    else if (s)
        rc = AD_ERR_CRYPTO;
    json_object_put(o);
    return rc;
}

void ad_settings_clear(struct ad_settings *s)
{
    ad_strv_free(s->domains, s->ndomains);
    free(s->server);
    free(s->ca_bundle);
    free(s->email);
    ad_provider_conf_clear(&s->provider);
    ad_strv_free(s->resolvers, s->nresolvers);
    ad_strv_free(s->deploy_hook, s->ndeploy_hook);
    free(s->profile);
    free(s->preferred_chain);
    free(s->eab_kid);
    free(s->eab_key_file);
    free(s->eab_key_env);
    for (size_t k = 0; k < s->nextra; k++)
        ad_provider_conf_clear(&s->extra[k]);
    free(s->extra);
    free(s->domain_provider);
    memset(s, 0, sizeof *s);
}

const struct ad_provider_conf *ad_settings_provider_of(const struct ad_settings *s, size_t i)
{
    size_t k = s->domain_provider && i < s->ndomains ? s->domain_provider[i] : 0;
    return k == 0 || k > s->nextra ? &s->provider : &s->extra[k - 1];
}

/* "providers": each provider and the names it serves (version 2). */
static ad_status parse_providers(json_object *list, struct ad_settings *s, char *why, size_t size)
{
    ad_status rc;
    if (!json_object_is_type(list, json_type_array))
        return bad(why, size, "\"providers\" is not a list");
    size_t n = json_object_array_length(list);
    if (n == 0 || n > AD_MAX_DOMAINS)
        return bad(why, size, "\"providers\" has no entry or more than %d", AD_MAX_DOMAINS);
    if (!(s->domain_provider = calloc(s->ndomains, sizeof *s->domain_provider)) ||
        !(s->extra = calloc(n, sizeof *s->extra)))
        return AD_ERR_NOMEM;
    bool *seen = calloc(s->ndomains, sizeof *seen);
    if (!seen)
        return AD_ERR_NOMEM;
    for (size_t k = 0; k < n; k++) {
        json_object *e = json_object_array_get_idx(list, k), *prov;
        char **doms = NULL;
        size_t nd = 0;
        if (!json_object_is_type(e, json_type_object)) {
            rc = bad(why, size, "\"providers\" entry %zu is not an object", k + 1);
            goto out;
        }
        if ((rc = get_obj(e, "provider", true, &prov, why, size)) != AD_OK)
            goto out;
        struct ad_provider_conf c;
        rc = ad_provider_conf_from_json(prov, &c, why, size);
        if (rc == AD_OK && k == 0) {
            ad_provider_conf_clear(&s->provider);
            s->provider = c;
        } else if (rc == AD_OK) {
            s->extra[s->nextra++] = c;
        } else {
            ad_provider_conf_clear(&c);
            goto out;
        }
        if ((rc = get_strs(e, "domains", AD_MAX_DOMAINS, &doms, &nd, why, size)) == AD_OK && nd == 0)
            rc = bad(why, size, "\"providers\" entry %zu serves no domain", k + 1);
        for (size_t j = 0; j < nd && rc == AD_OK; j++) {
            size_t i = 0;
            char *d = NULL;
            const char *reason;
            if ((rc = ad_domain_check(doms[j], &d, &reason)) != AD_OK) {
                rc = rc == AD_ERR_USAGE ? bad(why, size, "domain \"%s\" is not valid: %s", doms[j], reason) : rc;
                break;
            }
            while (i < s->ndomains && strcmp(s->domains[i], d) != 0)
                i++;
            free(d);
            if (i == s->ndomains)
                rc = bad(why, size, "\"providers\" names %s, which is not in \"domains\"", doms[j]);
            else if (seen[i])
                rc = bad(why, size, "\"providers\" names %s twice", doms[j]);
            else {
                seen[i] = true;
                s->domain_provider[i] = k;
            }
        }
        ad_strv_free(doms, nd);
        if (rc != AD_OK)
            goto out;
    }
    rc = AD_OK;
    for (size_t i = 0; i < s->ndomains && rc == AD_OK; i++)
        if (!seen[i])
            rc = bad(why, size, "\"providers\" does not say which provider serves %s", s->domains[i]);
out:
    free(seen);
    return rc;
}

/* Profile, preferred chain, key reuse and the external account binding. */
static ad_status parse_ca_features(json_object *root, json_object *acct, struct ad_settings *s, char *why,
                                   size_t size)
{
    ad_status rc;
    if ((rc = get_str(root, "profile", false, &s->profile, why, size)) != AD_OK ||
        (rc = get_str(root, "preferred_chain", false, &s->preferred_chain, why, size)) != AD_OK ||
        (rc = get_bool(root, "reuse_key", &s->reuse_key, why, size)) != AD_OK)
        return rc;
    if (s->profile && !ad_profile_name_ok(s->profile))
        return bad(why, size, "\"profile\" is not a profile name (letters, digits, '.', '_', '-')");
    if (acct && ((rc = get_str(acct, "eab_kid", false, &s->eab_kid, why, size)) != AD_OK ||
                 (rc = get_str(acct, "eab_hmac_key_file", false, &s->eab_key_file, why, size)) != AD_OK ||
                 (rc = get_str(acct, "eab_hmac_key_env", false, &s->eab_key_env, why, size)) != AD_OK))
        return rc;
    if (s->eab_key_env && !name_ok(s->eab_key_env, true))
        return bad(why, size, "\"eab_hmac_key_env\" is not a variable name");
    return AD_OK;
}

static ad_status parse_obj(json_object *root, struct ad_settings *s, char *why, size_t size)
{
    ad_status rc;
    json_object *v, *acct, *prov, *dns;
    if (!json_object_is_type(root, json_type_object))
        return bad(why, size, "it is not a JSON object");
    if (!json_object_object_get_ex(root, "version", &v) || !json_object_is_type(v, json_type_int) ||
        json_object_get_int64(v) < 1)
        return bad(why, size, "\"version\" is missing or not a positive whole number");
    if (json_object_get_int64(v) > AD_SETTINGS_VERSION)
        return bad(why, size, "it has version %lld, written by a newer acme-dns (this one reads version %d): "
                   "upgrade acme-dns", (long long)json_object_get_int64(v), AD_SETTINGS_VERSION);
    if ((rc = get_strs(root, "domains", AD_MAX_DOMAINS, &s->domains, &s->ndomains, why, size)) != AD_OK)
        return rc;
    if (s->ndomains == 0)
        return bad(why, size, "\"domains\" is missing or empty");
    for (size_t i = 0; i < s->ndomains; i++) {
        const char *reason;
        char *d = NULL;
        if ((rc = ad_domain_check(s->domains[i], &d, &reason)) != AD_OK)
            return rc == AD_ERR_USAGE ? bad(why, size, "domain \"%s\" is not valid: %s", s->domains[i], reason) : rc;
        free(s->domains[i]);
        s->domains[i] = d;
    }
    s->key_type = AD_KEY_EC256;
    s->account_key_type = AD_KEY_EC256;
    s->propagation_timeout = 120;
    if ((rc = get_str(root, "server", true, &s->server, why, size)) != AD_OK ||
        (rc = get_str(root, "ca_bundle", false, &s->ca_bundle, why, size)) != AD_OK ||
        (rc = get_key_type(root, "key_type", &s->key_type, why, size)) != AD_OK)
        return rc;
    if (strncmp(s->server, "https://", 8) != 0)
        return bad(why, size, "\"server\" is not an https:// URL");
    if ((rc = get_obj(root, "account", false, &acct, why, size)) != AD_OK)
        return rc;
    if (acct && ((rc = get_str(acct, "email", false, &s->email, why, size)) != AD_OK ||
                 (rc = get_bool(acct, "agree_tos", &s->agree_tos, why, size)) != AD_OK ||
                 (rc = get_key_type(acct, "key_type", &s->account_key_type, why, size)) != AD_OK))
        return rc;
    json_object *provs = NULL;
    if (json_object_object_get_ex(root, "providers", &provs) && !json_object_is_type(provs, json_type_null)) {
        if ((rc = parse_providers(provs, s, why, size)) != AD_OK)
            return rc;
    } else if ((rc = get_obj(root, "provider", true, &prov, why, size)) != AD_OK ||
               (rc = ad_provider_conf_from_json(prov, &s->provider, why, size)) != AD_OK) {
        return rc;
    }
    if ((rc = get_obj(root, "dns", false, &dns, why, size)) != AD_OK)
        return rc;
    if (dns && ((rc = get_strs(dns, "resolvers", LIST_MAX, &s->resolvers, &s->nresolvers, why, size)) != AD_OK ||
                (rc = get_uint(dns, "propagation_timeout", 86400, &s->propagation_timeout, why, size)) != AD_OK ||
                (rc = get_bool(dns, "skip_propagation_check", &s->skip_propagation, why, size)) != AD_OK))
        return rc;
    if ((rc = get_strs(root, "deploy_hook", LIST_MAX, &s->deploy_hook, &s->ndeploy_hook, why, size)) != AD_OK)
        return rc;
    return parse_ca_features(root, acct, s, why, size);
}

ad_status ad_settings_parse(const char *buf, size_t len, struct ad_settings *s, char *why, size_t size)
{
    memset(s, 0, sizeof *s);
    if (why && size)
        why[0] = '\0';
    if (len > AD_SETTINGS_MAX || len > INT32_MAX)
        return bad(why, size, "it is larger than %u bytes", AD_SETTINGS_MAX);
    json_tokener *t = json_tokener_new_ex(32);
    if (!t)
        return AD_ERR_NOMEM;
    json_object *root = json_tokener_parse_ex(t, buf, (int)len);
    enum json_tokener_error e = json_tokener_get_error(t);
    ad_status rc;
    if (e != json_tokener_success || !root)
        rc = bad(why, size, "it is not JSON (%s)",
                 e == json_tokener_success ? "empty" : json_tokener_error_desc(e));
    else if (!ad_only_blanks(buf + json_tokener_get_parse_end(t), len - json_tokener_get_parse_end(t)))
        rc = bad(why, size, "it has more after the JSON object");
    else
        rc = parse_obj(root, s, why, size);
    json_object_put(root);
    json_tokener_free(t);
    return rc;
}

static json_object *strs_json(char *const *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; a && i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

ad_status ad_settings_format(const struct ad_settings *s, char **json)
{
    ad_status rc = AD_ERR_NOMEM;
    json_object *root = json_object_new_object(), *acct = json_object_new_object(), *dns = json_object_new_object();
    if (!root || !acct || !dns) {
        json_object_put(acct);
        json_object_put(dns);
        goto out;
    }
    /* Version 1 unless names are at several providers: an older acme-dns
     * would present every name through the first one. */
    json_object_object_add(root, "version", json_object_new_int(s->nextra ? 2 : 1));
    json_object_object_add(root, "domains", strs_json(s->domains, s->ndomains));
    json_object_object_add(root, "server", json_object_new_string(s->server));
    if (s->ca_bundle)
        json_object_object_add(root, "ca_bundle", json_object_new_string(s->ca_bundle));
    json_object_object_add(root, "key_type", json_object_new_string(ad_key_type_name(s->key_type)));
    if (s->email)
        json_object_object_add(acct, "email", json_object_new_string(s->email));
    json_object_object_add(acct, "agree_tos", json_object_new_boolean(s->agree_tos));
    json_object_object_add(acct, "key_type", json_object_new_string(ad_key_type_name(s->account_key_type)));
    if (s->eab_kid)
        json_object_object_add(acct, "eab_kid", json_object_new_string(s->eab_kid));
    if (s->eab_key_file)
        json_object_object_add(acct, "eab_hmac_key_file", json_object_new_string(s->eab_key_file));
    if (s->eab_key_env)
        json_object_object_add(acct, "eab_hmac_key_env", json_object_new_string(s->eab_key_env));
    json_object_object_add(root, "account", acct);
    json_object_object_add(root, "provider", ad_provider_conf_json(&s->provider));
    json_object_object_add(dns, "resolvers", strs_json(s->resolvers, s->nresolvers));
    json_object_object_add(dns, "propagation_timeout", json_object_new_int((int)s->propagation_timeout));
    json_object_object_add(dns, "skip_propagation_check", json_object_new_boolean(s->skip_propagation));
    json_object_object_add(root, "dns", dns);
    json_object_object_add(root, "deploy_hook", strs_json(s->deploy_hook, s->ndeploy_hook));
    if (s->profile)
        json_object_object_add(root, "profile", json_object_new_string(s->profile));
    if (s->preferred_chain)
        json_object_object_add(root, "preferred_chain", json_object_new_string(s->preferred_chain));
    json_object_object_add(root, "reuse_key", json_object_new_boolean(s->reuse_key));
    if (s->nextra) {
        json_object *list = json_object_new_array();
        for (size_t k = 0; list && k <= s->nextra; k++) {
            json_object *e = json_object_new_object(), *doms = json_object_new_array();
            if (!e || !doms) {
                json_object_put(e);
                json_object_put(doms);
                json_object_put(list);
                goto out;
            }
            for (size_t i = 0; i < s->ndomains; i++)
                if ((s->domain_provider ? s->domain_provider[i] : 0) == k)
                    json_object_array_add(doms, json_object_new_string(s->domains[i]));
            json_object_object_add(e, "provider", ad_provider_conf_json(k ? &s->extra[k - 1] : &s->provider));
            json_object_object_add(e, "domains", doms);
            json_object_array_add(list, e);
        }
        if (!list)
            goto out;
        json_object_object_add(root, "providers", list);
    }
    const char *txt = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (txt && (*json = ad_asprintf("%s\n", txt)))
        rc = AD_OK;
out:
    json_object_put(root);
    return rc;
}

ad_status ad_settings_load(const char *dir, struct ad_settings *s)
{
    char *path = ad_asprintf("%s/%s", dir, AD_SETTINGS_FILE), *data = NULL, why[256];
    size_t len = 0;
    ad_status rc;
    memset(s, 0, sizeof *s);
    if (!path)
        return AD_ERR_NOMEM;
    if ((rc = ad_store_read(path, AD_SETTINGS_MAX, &data, &len)) != AD_OK) {
        int e = errno;
        if (e != ENOENT)
            ad_err("cannot read %s: %s", path, strerror(e));
        free(path);
        errno = e;
        return rc;
    }
    rc = ad_settings_parse(data, len, s, why, sizeof why);
    if (rc == AD_ERR_CONFIG)
        ad_err("the settings %s are damaged: %s; run acme-dns issue again for this certificate to write them anew",
               path, why);
    free(data);
    free(path);
    return rc;
}

ad_status ad_settings_save(const char *dir, const struct ad_settings *s)
{
    char *path = ad_asprintf("%s/%s", dir, AD_SETTINGS_FILE), *json = NULL;
    ad_status rc = AD_ERR_NOMEM;
    if (path && (rc = ad_settings_format(s, &json)) == AD_OK)
        rc = ad_store_write(path, json, strlen(json), 0644);
    free(json);
    free(path);
    return rc;
}
