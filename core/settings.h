/* What a certificate was issued with, saved beside it as settings.json so
 * that `renew` can do it again; and the provider part of it, which journals
 * also carry so that a later run can remove records a killed run left.
 *
 * settings.json (JSON object, written by `issue`):
 *   "version": 1                     required (2 when "providers" is there);
 *                                    a file with a larger version than
 *                                    AD_SETTINGS_VERSION was written by a
 *                                    newer acme-dns and is refused with that
 *                                    advice
 *   "domains": ["a.example", ...]    required, 1..100 names
 *   "server": "https://..."          required, the ACME directory
 *   "ca_bundle": "/path"             optional
 *   "key_type": "ec256"              required
 *   "account": {"email": "...", "agree_tos": true, "key_type": "ec256"}
 *   "provider": {                    required
 *       "name": "rfc2136",
 *       "options": {"server": "192.0.2.53"},        non-secret options as given
 *       "environment": {"tsig-keyfile": "ACME_DNS_RFC2136_TSIG_KEYFILE"},
 *                                    options the plugin took from these
 *                                    variables (the names, never the values)
 *       "not_saved": ["tsig-secret"],   secret options given on the command
 *                                    line, which are never written anywhere
 *       "plugin_dirs": ["/path"],
 *       "ca_bundle": "/path"},      the plugin's default CA bundle (--ca-bundle)
 *   "dns": {"resolvers": ["ADDR"], "propagation_timeout": 120,
 *           "skip_propagation_check": false}
 *   "deploy_hook": ["/usr/local/bin/reload", "nginx"]   argv, no shell
 *   "profile": "tlsserver"           optional: the CA's certificate profile (newOrder)
 *   "preferred_chain": "ISRG Root X1"   optional: the topmost issuer's common
 *                                    name of the chain to prefer
 *   "reuse_key": false               true: renewals keep the private key
 *   "account" also holds, for a new account at a CA that wants an external
 *   account binding: "eab_kid": "KID" and where the HMAC key is, never the
 *   key: "eab_hmac_key_file": "/path" or "eab_hmac_key_env": "ACME_DNS_EAB_HMAC_KEY"
 *   "providers": [{"provider": {...}, "domains": ["a.example", ...]}, ...]
 *                                    names at several providers (written with
 *                                    "version": 2, and only then): each
 *                                    provider as above with the names it
 *                                    serves, every domain in exactly one;
 *                                    the first is "provider" again, for
 *                                    readers.  When present it is what counts.
 * Keys this version does not know are ignored, so that later versions can
 * add settings (with defaults meaning what this version does) without a
 * version bump; a change that an older acme-dns must not ignore bumps
 * "version".  Every string and count is bounded. */
#ifndef AD_SETTINGS_H
#define AD_SETTINGS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "acme-dns/plugin.h"

#define AD_SETTINGS_VERSION 2  /* the largest read; 1 is written unless names are at several providers */
#define AD_SETTINGS_FILE "settings.json"
#define AD_SETTINGS_MAX (1u << 20)

struct ad_env_ref {
    char *option, *variable;
};

/* A provider as a run starts it: the plugin and what it is given. */
struct ad_provider_conf {
    char *name;
    struct ad_option_value *opts;  /* non-secret options, sorted by name; strings owned */
    size_t nopts;
    struct ad_env_ref *env;        /* options taken from the environment */
    size_t nenv;
    char **unsaved;                /* names of secret options given on the command line */
    size_t nunsaved;
    char **plugin_dirs;
    size_t nplugin_dirs;
    char *ca_bundle;               /* the CA bundle the plugin gets as its default (--ca-bundle), or NULL */
};

struct ad_settings {
    char **domains;
    size_t ndomains;
    char *server, *ca_bundle;
    int key_type;                  /* enum ad_key_type */
    char *email;                   /* or NULL */
    bool agree_tos;
    int account_key_type;          /* enum ad_key_type */
    struct ad_provider_conf provider;
    char **resolvers;
    size_t nresolvers;
    unsigned propagation_timeout;  /* seconds */
    bool skip_propagation;
    char **deploy_hook;            /* argv of the deploy hook; none when ndeploy_hook is 0 */
    size_t ndeploy_hook;
    char *profile;                 /* or NULL */
    char *preferred_chain;         /* or NULL */
    bool reuse_key;
    char *eab_kid;                 /* or NULL */
    char *eab_key_file;            /* or NULL: the HMAC key is in eab_key_env */
    char *eab_key_env;             /* the variable's name, or NULL */
    /* Names at several providers: extra[k - 1] serves the domains whose
     * domain_provider is k, provider those with 0.  nextra 0 and
     * domain_provider NULL: provider serves every name. */
    struct ad_provider_conf *extra;
    size_t nextra;
    size_t *domain_provider;
};

/* The provider that serves S's domain I. */
const struct ad_provider_conf *ad_settings_provider_of(const struct ad_settings *s, size_t i);

/* Parse settings.json from BUF (LEN bytes, need not be NUL-terminated).
 * AD_ERR_CONFIG when it is not valid: WHY (WHYSIZE bytes) then says what
 * is wrong.  Clear *S with ad_settings_clear in every case. */
ad_status ad_settings_parse(const char *buf, size_t len, struct ad_settings *s, char *why, size_t whysize);
/* settings.json text for S.  Caller frees *JSON. */
ad_status ad_settings_format(const struct ad_settings *s, char **json);
void ad_settings_clear(struct ad_settings *s);
/* Read DIR/settings.json.  Errors are logged, naming the file; AD_ERR_IO
 * with errno ENOENT when there is none (not logged). */
ad_status ad_settings_load(const char *dir, struct ad_settings *s);
/* Write DIR/settings.json atomically (mode 0644: it holds no secret). */
ad_status ad_settings_save(const char *dir, const struct ad_settings *s);

/* The provider object of settings.json and of a journal. */
json_object *ad_provider_conf_json(const struct ad_provider_conf *c);
ad_status ad_provider_conf_from_json(json_object *o, struct ad_provider_conf *c, char *why, size_t whysize);
ad_status ad_provider_conf_copy(const struct ad_provider_conf *from, struct ad_provider_conf *to);
void ad_provider_conf_clear(struct ad_provider_conf *c);
/* "NAME-" and 16 hex digits of SHA-256 over the conf's JSON: the same for
 * the same provider started the same way.  Caller frees *KEY. */
ad_status ad_provider_conf_key(const struct ad_provider_conf *c, char **key);
/* Sort C's options by name (the saved order). */
void ad_provider_conf_sort(struct ad_provider_conf *c);

#endif
