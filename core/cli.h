/* Command-line parsing and domain-name validation. */
#ifndef AD_CLI_H
#define AD_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "acme-dns/plugin.h"

#define AD_MAX_DOMAINS 100
#define AD_LE_PRODUCTION "https://acme-v02.api.letsencrypt.org/directory"
#define AD_LE_STAGING "https://acme-staging-v02.api.letsencrypt.org/directory"

struct ad_cli_provider {
    char *name;
    struct ad_option_value *popts; /* strings owned */
    size_t npopts;
};

struct ad_cli {
    char *command;                 /* "issue", "renew", "certificates", "directory", "check" or "plugins" */
    char *provider;                /* the first --provider (its options: popts) */
    char **domains;                /* normalised, lower case */
    size_t ndomains;
    char *server, *ca_bundle, *email, *state_dir;
    char *cert_name;               /* issue: the folder name (default from the first domain) */
    char **cert_names;             /* renew, certificates: --cert-name as given (repeatable) */
    size_t ncert_names;
    char **deploy_hook;            /* --deploy-hook split at blanks: argv, no shell */
    size_t ndeploy_hook;
    bool force, json;              /* renew --force; --json: issue, renew, certificates, check, directory */
    bool server_given;             /* --server or --staging was given */
    bool propagation_given;        /* --propagation-timeout was given */
    bool account_key_type_given;
    bool agree_tos, staging;
    int key_type;                  /* enum ad_key_type */
    int account_key_type;          /* enum ad_key_type, for a new account key */
    struct ad_option_value *popts; /* strings owned */
    size_t npopts;
    char **plugin_dirs;
    size_t nplugin_dirs;
    char **resolvers;
    size_t nresolvers;
    unsigned propagation_timeout;  /* seconds */
    bool skip_propagation;
    bool timings;
    int verbosity;                 /* 0 quiet .. 3 */
    bool help, version;
    unsigned http_timeout;         /* seconds: one HTTPS request to the CA */
    /* revoke, account, EAB, profiles, chains, key reuse */
    char *subcommand;              /* account: "show", "update", "deactivate" or "key-rollover" */
    bool yes;                      /* account deactivate --yes */
    int reason;                    /* revoke --reason: RFC 5280 reason code, -1 when not given */
    char *profile;                 /* issue --profile, or NULL */
    char *preferred_chain;         /* issue --preferred-chain ISSUER_CN, or NULL */
    bool reuse_key;                /* issue --reuse-key */
    char *eab_kid, *eab_key_file;  /* --eab-kid, --eab-hmac-key-file (the key itself is never here) */
    /* Names at several providers: each --provider with the --provider-opt
     * after it (options before the first --provider go to the first), and
     * which one serves each -d (names before the first --provider go to the
     * first).  providers[0] is provider and popts again (its name is NULL
     * when options or names came without any --provider). */
    struct ad_cli_provider *providers;
    size_t nproviders;
    size_t *domain_provider;       /* per domain: index into providers */
    unsigned lock_timeout;         /* seconds: the longest wait for another run's lock */
};


/* Parse ARGV.  Errors are logged; AD_ERR_USAGE for a bad command line.
 * Free CLI with ad_cli_clear also on error. */
ad_status ad_cli_parse(int argc, char **argv, struct ad_cli *cli);
void ad_cli_clear(struct ad_cli *cli);
void ad_cli_usage(FILE *f);

/* Check a DNS identifier (wildcard allowed as the leftmost label) and
 * normalise it (lower case, no trailing dot).  *OUT: caller frees.  On
 * error returns AD_ERR_USAGE and sets *WHY to a static reason. */
ad_status ad_domain_check(const char *in, char **out, const char **why);
/* A --cert-name: a plain file name (no '/', not "." or "..", 1..255 bytes). */
bool ad_cert_name_ok(const char *s);
/* File-system-safe certificate name for a domain ("*.a.b" → "_.a.b").  Caller frees. */
char *ad_cert_name_for(const char *domain);

#endif
