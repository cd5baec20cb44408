#include "cli.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"
#include "config.h"
#include "deploy.h"
#include "jws.h"
#include "log.h"
#include "parse.h"
#include "revoke.h"
#include "util.h"

enum {
    O_SERVER = 256, O_STAGING, O_CA_BUNDLE, O_EMAIL, O_AGREE_TOS, O_STATE_DIR, O_CERT_NAME, O_KEY_TYPE,
    O_ACCOUNT_KEY_TYPE, O_PROVIDER_OPT, O_PLUGIN_DIR, O_DNS_RESOLVER, O_PROP_TIMEOUT, O_SKIP_PROP, O_VERSION, O_TIMINGS,
    O_HTTP_TIMEOUT, O_DEPLOY_HOOK, O_FORCE, O_JSON,
    O_REASON, O_YES, O_PROFILE, O_PREFERRED_CHAIN, O_REUSE_KEY, O_EAB_KID, O_EAB_KEY_FILE,
    O_LOCK_TIMEOUT, O_CONFIG
};

static const struct option longopts[] = {
    {"provider", required_argument, NULL, 'p'},
    {"domain", required_argument, NULL, 'd'},
    {"server", required_argument, NULL, O_SERVER},
    {"staging", no_argument, NULL, O_STAGING},
    {"ca-bundle", required_argument, NULL, O_CA_BUNDLE},
    {"email", required_argument, NULL, O_EMAIL},
    {"agree-tos", no_argument, NULL, O_AGREE_TOS},
    {"state-dir", required_argument, NULL, O_STATE_DIR},
    {"cert-name", required_argument, NULL, O_CERT_NAME},
    {"key-type", required_argument, NULL, O_KEY_TYPE},
    {"account-key-type", required_argument, NULL, O_ACCOUNT_KEY_TYPE},
    {"provider-opt", required_argument, NULL, O_PROVIDER_OPT},
    {"plugin-dir", required_argument, NULL, O_PLUGIN_DIR},
    {"dns-resolver", required_argument, NULL, O_DNS_RESOLVER},
    {"propagation-timeout", required_argument, NULL, O_PROP_TIMEOUT},
    {"skip-propagation-check", no_argument, NULL, O_SKIP_PROP},
    {"http-timeout", required_argument, NULL, O_HTTP_TIMEOUT},
    {"timings", no_argument, NULL, O_TIMINGS},
    {"deploy-hook", required_argument, NULL, O_DEPLOY_HOOK},
    {"force", no_argument, NULL, O_FORCE},
    {"json", no_argument, NULL, O_JSON},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"version", no_argument, NULL, O_VERSION},
    {"help", no_argument, NULL, 'h'},
    {"reason", required_argument, NULL, O_REASON},
    {"yes", no_argument, NULL, O_YES},
    {"profile", required_argument, NULL, O_PROFILE},
    {"preferred-chain", required_argument, NULL, O_PREFERRED_CHAIN},
    {"reuse-key", no_argument, NULL, O_REUSE_KEY},
    {"eab-kid", required_argument, NULL, O_EAB_KID},
    {"eab-hmac-key-file", required_argument, NULL, O_EAB_KEY_FILE},
    {"lock-timeout", required_argument, NULL, O_LOCK_TIMEOUT},
    {"config", required_argument, NULL, O_CONFIG},
    {NULL, 0, NULL, 0},
};

void ad_cli_usage(FILE *f)
{
    fputs("usage: acme-dns [issue] --provider NAME -d DOMAIN [-d DOMAIN ...] [options]\n"
          "       acme-dns renew [--cert-name NAME]... [--force] [--json] [options]\n"
          "       acme-dns certificates [--cert-name NAME]... [--json] [--state-dir DIR]\n"
          "       acme-dns revoke --cert-name NAME [--reason REASON] [options]\n"
          "       acme-dns account show | update --email ADDRESS | deactivate --yes | key-rollover [options]\n"
          "       acme-dns directory [--server URL | --staging] [--ca-bundle FILE] [--http-timeout SECS] [--json]\n"
          "       acme-dns check --provider NAME -d DOMAIN [-d DOMAIN ...] [--json] [options]\n"
          "       acme-dns plugins [--plugin-dir DIR]...\n"
          "\n"
          "Obtains a certificate from an ACME CA with the dns-01 challenge: the provider plugin\n"
          "puts the TXT records in DNS, acme-dns waits until every authoritative server serves\n"
          "them, asks the CA to validate, and removes them again.  'issue' saves the certificate's\n"
          "settings beside it (never a secret); 'renew' renews every saved certificate that is due\n"
          "(the CA's renewal window, RFC 9773; without one, when a third of its lifetime is left),\n"
          "many at once; 'certificates' lists them.  'directory' shows what the CA's ACME directory\n"
          "offers (terms of service, external account, renewal information).  'check' proves the\n"
          "DNS side without the CA: a random test TXT record per name through the provider, until\n"
          "every authoritative server serves it, then removed until none does.  'plugins' lists\n"
          "the providers found, or why one cannot be loaded.\n"
          "\n",
          f);
    fputs("options:\n"
          "  -p, --provider NAME          DNS provider plugin (hook, rfc2136, cloudflare, ...); repeatable:\n"
          "                               each serves the -d names after it (names before the first go to it)\n"
          "  -d, --domain DOMAIN          name for the certificate, repeatable; '*.example.com' for a wildcard\n"
          "  --provider-opt KEY=VALUE     option of the --provider before it, repeatable (see --provider NAME\n"
          "                               --help)\n"
          "  --plugin-dir DIR             look for provider plugins in DIR first (repeatable)\n"
          "  --server URL                 ACME directory URL (default: Let's Encrypt production)\n"
          "  --staging                    use Let's Encrypt's staging directory\n"
          "  --ca-bundle FILE             trust the CA's HTTPS certificate through FILE (PEM)\n"
          "  --email ADDRESS              the account's contact (issue: a new account's; an account kept\n"
          "                               already with another contact is updated)\n"
          "  --agree-tos                  agree to the CA's terms of service (needed for a new account)\n"
          "  --state-dir DIR              accounts, certificates and journals (default /var/lib/acme-dns as\n"
          "                               root, else $XDG_STATE_HOME/acme-dns)\n"
          "  --cert-name NAME             folder name under DIR/certs (default: the first domain); with\n"
          "                               renew and certificates, repeatable: only these\n"
          "  --key-type TYPE              certificate key: ec256 (default), ec384, rsa2048, rsa3072, rsa4096\n"
          "  --account-key-type TYPE      key of a new account (ES256 with ec256, the default; RS256 with rsa*)\n"
          "  --deploy-hook CMD            run CMD after a new certificate is written (no shell: CMD is split\n"
          "                               at blanks); it gets RENEWED_LINEAGE, RENEWED_DOMAINS,\n"
          "                               ACME_DNS_CERT_NAME, ACME_DNS_CERT_DIR, ACME_DNS_DOMAINS\n"
          "  --force                      renew: renew every selected certificate, due or not\n"
          "  --json                       issue, renew, certificates, check, directory: one JSON object on\n"
          "                               stdout (messages stay on stderr)\n"
          "  --dns-resolver ADDR[:PORT]   server for the SOA/NS/CNAME look-ups, repeatable\n"
          "                               (default: /etc/resolv.conf)\n"
          "  --propagation-timeout SECS   how long to wait for every authoritative server (default 120)\n"
          "  --skip-propagation-check     do not wait for the authoritative servers\n"
          "  --http-timeout SECS          longest wait for one HTTPS request to the CA (default 60)\n"
          "  --timings                    print how long each phase took\n"
          "  -v, --verbose                more output (twice: debug)\n"
          "  -q, --quiet                  nothing at all on success (but --json's object); errors on stderr\n"
          "  --version                    print the version\n"
          "  -h, --help                   this help; with --provider NAME, that provider's options\n"
          "  --lock-timeout SECS          how long to wait while another run uses the state folder (default 300)\n",
          f);
    fputs("  --profile NAME               issue: the CA's certificate profile (acme-dns directory lists them)\n"
          "  --preferred-chain ISSUER_CN  issue: of the chains the CA offers, the one whose topmost issuer has\n"
          "                               this common name (else the default chain)\n"
          "  --reuse-key                  issue: renewals keep the certificate's private key (DANE TLSA 3 1 1)\n"
          "  --eab-kid KID                external account binding of a new account (CAs that want one): the\n"
          "                               key ID; the HMAC key from $" AD_EAB_KEY_ENV " or --eab-hmac-key-file\n"
          "  --eab-hmac-key-file FILE     the file holding the HMAC key (base64url, as the CA gave it)\n"
          "  --reason REASON              revoke: an RFC 5280 reason (keyCompromise, superseded,\n"
          "                               cessationOfOperation, affiliationChanged, unspecified, ...)\n"
          "  --yes                        account deactivate: yes, deactivate the account for good\n"
          "  --config FILE                defaults from FILE (default " AD_CONFIG_DEFAULT " when present):\n"
          "                               key = value lines, [provider NAME] sections; the command line wins\n"
          "\n"
          "issue saves --profile, --preferred-chain, --reuse-key and --eab-kid with the certificate (the HMAC\n"
          "key as the variable's name or the file's path, never the key).  revoke revokes a saved certificate\n"
          "with the account key at the CA that issued it; the next renew replaces it.  account show, update\n"
          "--email, deactivate --yes and key-rollover act on the account at --server (RFC 8555 7.3).\n",
          f);
    fputs("\n"
          "renew takes each certificate's domains, provider and key type from its saved settings;\n"
          "--server, --ca-bundle, --dns-resolver, --propagation-timeout, --skip-propagation-check,\n"
          "--plugin-dir and --deploy-hook given to renew apply to this run only.\n"
          "\n"
          "Files: DIR/certs/NAME/privkey.pem (mode 0600), cert.pem, chain.pem, fullchain.pem,\n"
          "settings.json (what renew needs), state.json (the CA's renewal window).\n"
          "\n"
          "exit status:\n"
          "  0    the certificate was issued and written; renew: nothing failed (renewed or not due)\n"
          "  1    internal error or out of memory\n"
          "  2    bad command line\n"
          "  3    bad configuration: the config file, a provider option, a plugin that cannot be loaded\n"
          "  4    the DNS provider failed to add or remove a record, or rejected the credentials\n"
          "  5    a DNS look-up failed, or not every authoritative server served the record in time\n"
          "  6    the CA refused: a problem document, or a challenge it could not validate\n"
          "  7    network or protocol error talking to the CA\n"
          "  8    file-system or key error\n"
          "  9    the deploy hook failed (the new certificate is in place)\n"
          "  10   renew: at least one certificate could not be renewed (see its summary line)\n"
          "  11   another acme-dns run held the state folder for longer than --lock-timeout\n"
          "  130  interrupted (SIGINT or SIGTERM); records were cleaned up\n",
          f);
}

/* True when S is an IPv4 or IPv6 address ("[...]" and a trailing dot allowed). */
static bool is_ip_address(const char *s)
{
    char buf[64], bin[16];
    size_t n = strlen(s);
    if (n && s[n - 1] == '.')
        n--;
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(AF_INET, buf, bin) == 1 || inet_pton(AF_INET6, buf, bin) == 1;
}

static ad_status push(char ***arr, size_t *n, const char *s)
{
    char **a = realloc(*arr, (*n + 1) * sizeof **arr);
    if (!a)
        return AD_ERR_NOMEM;
    *arr = a;
    if (!(a[*n] = strdup(s)))
        return AD_ERR_NOMEM;
    (*n)++;
    return AD_OK;
}

static ad_status set(char **dst, const char *s)
{
    free(*dst);
    return (*dst = strdup(s)) ? AD_OK : AD_ERR_NOMEM;
}

ad_status ad_domain_check(const char *in, char **out, const char **why)
{
    size_t len = strlen(in);
    char *d;
    *why = NULL;
    if (len && in[len - 1] == '.')
        len--;
    if (len == 0) {
        *why = "it is empty";
        return AD_ERR_USAGE;
    }
    if (len > 253) {
        *why = "it is longer than 253 characters";
        return AD_ERR_USAGE;
    }
    if (!(d = ad_strndup(in, len)))
        return AD_ERR_NOMEM;
    ad_lower(d);
    const char *p = d;
    int labels = 0;
    if (strncmp(p, "*.", 2) == 0)
        p += 2;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        if (l == 0) {
            *why = "it has an empty label";
            goto bad;
        }
        if (l > 63) {
            *why = "a label is longer than 63 characters";
            goto bad;
        }
        for (size_t i = 0; i < l; i++) {
            char c = p[i];
            if (c == '*') {
                *why = "'*' may only stand alone as the leftmost label";
                goto bad;
            }
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
                *why = "it has a character other than letters, digits, '-' and '.'";
                goto bad;
            }
        }
        if (p[0] == '-' || p[l - 1] == '-') {
            *why = "a label starts or ends with '-'";
            goto bad;
        }
        labels++;
        p += l;
        if (*p == '.') {
            p++;
            if (!*p) {
                *why = "it has an empty label";
                goto bad;
            }
        }
    }
    if (labels < 2) {
        *why = "it needs at least two labels (example.com)";
        goto bad;
    }
    *out = d;
    return AD_OK;
bad:
    free(d);
    return AD_ERR_USAGE;
}

char *ad_cert_name_for(const char *domain)
{
    if (strncmp(domain, "*.", 2) == 0)
        return ad_asprintf("_.%s", domain + 2);
    return strdup(domain);
}

static ad_status parse_uint(const char *opt, const char *s, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || s[0] == '-' || v > max) {
        ad_err("%s: '%s' is not a number from 0 to %u", opt, s, max);
        return AD_ERR_USAGE;
    }
    *out = (unsigned)v;
    return AD_OK;
}

/* --server or --staging into cli->server (default: Let's Encrypt production). */
static ad_status server_url(struct ad_cli *cli)
{
    ad_status rc;
    if (cli->server && cli->staging) {
        ad_err("--server and --staging exclude each other");
        return AD_ERR_USAGE;
    }
    if (!cli->server && (rc = set(&cli->server, cli->staging ? AD_LE_STAGING : AD_LE_PRODUCTION)) != AD_OK)
        return rc;
    if (strncmp(cli->server, "https://", 8) != 0) {
        ad_err("--server %s: the ACME directory must be an https:// URL", cli->server);
        return AD_ERR_USAGE;
    }
    return AD_OK;
}

/* ------------------------------------------------ revoke, account, EAB, profiles, chains, key reuse */

/* A value we print back and send: printable ASCII, 1 to MAX bytes. */
static bool printable(const char *s, size_t max)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return n > 0 && n <= max;
}

/* One of the options above, C, with its value ARG. */
static ad_status ca_option(struct ad_cli *cli, int c, const char *arg)
{
    switch (c) {
    case O_REASON:
        if ((cli->reason = ad_revoke_reason_parse(arg)) < 0) {
            ad_err("--reason %s: not an RFC 5280 reason: use one of %s", arg, ad_revoke_reason_names());
            return AD_ERR_USAGE;
        }
        return AD_OK;
    case O_YES: cli->yes = true; return AD_OK;
    case O_REUSE_KEY: cli->reuse_key = true; return AD_OK;
    case O_PROFILE:
        if (!ad_profile_name_ok(arg)) {
            ad_err("--profile %s: not a profile name (letters, digits, '.', '_' and '-'; acme-dns directory lists "
                   "the CA's)",
                   arg);
            return AD_ERR_USAGE;
        }
        return set(&cli->profile, arg);
    case O_PREFERRED_CHAIN:
        if (!printable(arg, 256)) {
            ad_err("--preferred-chain: give the issuer's common name (1 to 256 printable characters)");
            return AD_ERR_USAGE;
        }
        return set(&cli->preferred_chain, arg);
    case O_EAB_KID:
        if (!printable(arg, 256)) {
            ad_err("--eab-kid: give the key ID the CA gave you (1 to 256 printable characters)");
            return AD_ERR_USAGE;
        }
        return set(&cli->eab_kid, arg);
    default: return set(&cli->eab_key_file, arg);
    }
}

/* Each of the options above goes with its commands. */
static ad_status ca_options_check(const struct ad_cli *cli)
{
    const char *cmd = cli->command;
    bool issue = strcmp(cmd, "issue") == 0, renew = strcmp(cmd, "renew") == 0;
    const char *bad = NULL, *with = NULL;
    if (cli->reason >= 0 && strcmp(cmd, "revoke") != 0)
        bad = "--reason", with = "revoke";
    else if (cli->yes && (strcmp(cmd, "account") != 0 || !cli->subcommand || strcmp(cli->subcommand, "deactivate")))
        bad = "--yes", with = "account deactivate";
    else if (!issue && (cli->profile || cli->preferred_chain || cli->reuse_key))
        bad = cli->profile ? "--profile" : cli->preferred_chain ? "--preferred-chain" : "--reuse-key",
        with = "issue (renew takes it from the certificate's saved settings; to change it, run issue again)";
    else if (!issue && !renew && (cli->eab_kid || cli->eab_key_file))
        bad = cli->eab_kid ? "--eab-kid" : "--eab-hmac-key-file", with = "issue and renew (for a new account)";
    if (bad) {
        ad_err("%s goes with %s", bad, with);
        return AD_ERR_USAGE;
    }
    if (cli->eab_key_file && !cli->eab_kid) {
        ad_err("--eab-hmac-key-file: give the key ID too (--eab-kid KID)");
        return AD_ERR_USAGE;
    }
    const char *env = getenv(AD_EAB_KEY_ENV);
    if (cli->eab_kid && !cli->eab_key_file && (!env || !*env)) {
        ad_err("--eab-kid %s: no HMAC key: set the environment variable " AD_EAB_KEY_ENV
               " to it, or give --eab-hmac-key-file FILE",
               cli->eab_kid);
        return AD_ERR_USAGE;
    }
    return AD_OK;
}

/* The group that the next --provider-opt or -d joins: the last one, or a
 * first one without a name yet. */
static ad_status current_group(struct ad_cli *cli, size_t *k)
{
    if (cli->nproviders == 0) {
        if (!(cli->providers = calloc(1, sizeof *cli->providers)))
            return AD_ERR_NOMEM;
        cli->nproviders = 1;
    }
    *k = cli->nproviders - 1;
    return AD_OK;
}

/* --provider NAME: names the first group if it has no name yet, else starts a new one. */
static ad_status provider_group(struct ad_cli *cli, const char *name)
{
    if (cli->nproviders >= AD_MAX_DOMAINS) {
        ad_err("--provider %s: more than %d providers", name, AD_MAX_DOMAINS);
        return AD_ERR_USAGE;
    }
    if (cli->nproviders != 1 || cli->providers[0].name) {
        struct ad_cli_provider *g = realloc(cli->providers, (cli->nproviders + 1) * sizeof *g);
        if (!g)
            return AD_ERR_NOMEM;
        cli->providers = g;
        memset(&g[cli->nproviders++], 0, sizeof *g);
    }
    return set(&cli->providers[cli->nproviders - 1].name, name);
}

static ad_status add_popt(struct ad_option_value **v, size_t *n, const char *name, size_t nlen, const char *value)
{
    struct ad_option_value *o = realloc(*v, (*n + 1) * sizeof *o);
    if (!o)
        return AD_ERR_NOMEM;
    *v = o;
    o[*n].name = ad_strndup(name, nlen);
    o[*n].value = strdup(value);
    (*n)++;
    return o[*n - 1].name && o[*n - 1].value ? AD_OK : AD_ERR_NOMEM;
}

/* provider and popts: the first group again; and every group serves a name. */
static ad_status groups_done(struct ad_cli *cli, bool need_names)
{
    ad_status rc;
    if (cli->nproviders == 0)
        return AD_OK;
    const struct ad_cli_provider *g = &cli->providers[0];
    if (g->name && (rc = set(&cli->provider, g->name)) != AD_OK)
        return rc;
    for (size_t i = 0; i < g->npopts; i++) {
        const char *nm = g->popts[i].name;
        if ((rc = add_popt(&cli->popts, &cli->npopts, nm, strlen(nm), g->popts[i].value)) != AD_OK)
            return rc;
    }
    for (size_t k = 0; need_names && k < cli->nproviders; k++) {
        bool used = false;
        for (size_t i = 0; i < cli->ndomains && !used; i++)
            used = cli->domain_provider[i] == k;
        if (!used && cli->ndomains) {
            ad_err("--provider %s serves no name: each --provider serves the -d names after it (names before the "
                   "first --provider go to the first), so put its -d DOMAIN after it",
                   cli->providers[k].name ? cli->providers[k].name : "?");
            return AD_ERR_USAGE;
        }
    }
    return AD_OK;
}

/* revoke and account: what each needs, and what they do not take. */
static ad_status ca_command_check(struct ad_cli *cli)
{
    bool revoke = strcmp(cli->command, "revoke") == 0;
    const char *what = cli->ndomains ? "-d" : cli->provider ? "--provider" : cli->npopts ? "--provider-opt"
                       : cli->force ? "--force" : cli->json ? "--json" : cli->ndeploy_hook ? "--deploy-hook" : NULL;
    if (what) {
        ad_err("%s does not go with %s", what, cli->command);
        return AD_ERR_USAGE;
    }
    if (revoke) {
        if (cli->ncert_names != 1) {
            ad_err("revoke: name the certificate with --cert-name NAME (one; acme-dns certificates lists them)");
            return AD_ERR_USAGE;
        }
        return server_url(cli);
    }
    static const char *const subs[] = {"show", "update", "deactivate", "key-rollover"};
    bool known = false;
    for (size_t i = 0; cli->subcommand && i < sizeof subs / sizeof *subs; i++)
        known = known || strcmp(cli->subcommand, subs[i]) == 0;
    if (!known) {
        ad_err("account%s%s: say what to do: account show, account update --email ADDRESS, account deactivate "
               "--yes or account key-rollover",
               cli->subcommand ? " " : "", cli->subcommand ? cli->subcommand : "");
        return AD_ERR_USAGE;
    }
    const char *sub = cli->subcommand;
    if (cli->ncert_names) {
        ad_err("--cert-name does not go with account: an account is the state folder's at --server");
        return AD_ERR_USAGE;
    }
    if (strcmp(sub, "update") == 0 && !cli->email) {
        ad_err("account update: give the new contact with --email ADDRESS");
        return AD_ERR_USAGE;
    }
    if (strcmp(sub, "update") != 0 && cli->email) {
        ad_err("--email goes with account update (or with issue)");
        return AD_ERR_USAGE;
    }
    if (strcmp(sub, "deactivate") == 0 && !cli->yes) {
        ad_err("account deactivate: this is final, the CA never takes the account again (nor renews with it): "
               "add --yes to go on");
        return AD_ERR_USAGE;
    }
    if (cli->account_key_type_given && strcmp(sub, "key-rollover") != 0) {
        ad_err("--account-key-type goes with account key-rollover (the new key's type) or with issue");
        return AD_ERR_USAGE;
    }
    return server_url(cli);
}

static ad_status cli_parse(int argc, char **argv, struct ad_cli *cli, const struct ad_config *cfg, int ninjected);

/* The command line, after the config file's defaults (config.c). */
ad_status ad_cli_parse(int argc, char **argv, struct ad_cli *cli)
{
    struct ad_config *cfg = NULL;
    char **args = NULL;
    int nargs = 0, ninjected = 0;
    memset(cli, 0, sizeof *cli);
    ad_status rc = ad_config_argv(argc, argv, longopts, &cfg, &nargs, &args, &ninjected);
    if (rc == AD_OK)
        rc = cli_parse(nargs, args, cli, cfg, ninjected);
    free(args);
    ad_config_free(cfg);
    return rc;
}

static ad_status cli_parse(int argc, char **argv, struct ad_cli *cli, const struct ad_config *cfg, int ninjected)
{
    ad_status rc = AD_OK;
    int c, quiet = 0, verbose = 0;
    memset(cli, 0, sizeof *cli);
    cli->propagation_timeout = 120;
    cli->http_timeout = 60;
    cli->reason = -1;
    cli->lock_timeout = 300;
    opterr = 0;
    optind = 0; /* full re-initialisation (glibc) so that parsing can run twice */
    while (rc == AD_OK && (c = getopt_long(argc, argv, ":p:d:vqh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': rc = provider_group(cli, optarg); break;
        case 'd': {
            const char *why;
            char *d = NULL;
            if (is_ip_address(optarg)) {
                ad_err("-d %s: an IP address cannot be validated with dns-01 (the challenge is a TXT record in the "
                       "name's DNS zone): give domain names only", optarg);
                rc = AD_ERR_USAGE;
                break;
            }
            rc = ad_domain_check(optarg, &d, &why);
            if (rc == AD_ERR_USAGE) {
                ad_err("-d %s: not a valid domain name: %s", optarg, why);
                break;
            }
            if (rc != AD_OK)
                break;
            bool dup = false;
            size_t g = 0;
            if ((rc = current_group(cli, &g)) != AD_OK) {
                free(d);
                break;
            }
            for (size_t i = 0; i < cli->ndomains && !dup; i++)
                if (strcmp(cli->domains[i], d) == 0) {
                    const char *was = cli->providers[cli->domain_provider[i]].name, *now = cli->providers[g].name;
                    dup = true;
                    if (cli->domain_provider[i] != g) {
                        ad_err("-d %s is given for two providers (%s and %s): give each name once, after the "
                               "--provider that serves it",
                               optarg, was ? was : "?", now ? now : "?");
                        rc = AD_ERR_USAGE;
                    }
                }
            if (!dup && cli->ndomains >= AD_MAX_DOMAINS) {
                ad_err("-d %s: more than %d names in one certificate", optarg, AD_MAX_DOMAINS);
                rc = AD_ERR_USAGE;
            } else if (!dup) {
                size_t *m = realloc(cli->domain_provider, (cli->ndomains + 1) * sizeof *m);
                if (!m) {
                    rc = AD_ERR_NOMEM;
                } else {
                    cli->domain_provider = m;
                    m[cli->ndomains] = g;
                    rc = push(&cli->domains, &cli->ndomains, d);
                }
            }
            free(d);
            break;
        }
        case O_SERVER: rc = set(&cli->server, optarg); break;
        case O_STAGING: cli->staging = true; break;
        case O_CA_BUNDLE: rc = set(&cli->ca_bundle, optarg); break;
        case O_EMAIL:
            if (!strchr(optarg, '@') || strpbrk(optarg, " \t\r\n,<>\"")) {
                ad_err("--email %s: not an e-mail address", optarg);
                rc = AD_ERR_USAGE;
            } else {
                rc = set(&cli->email, optarg);
            }
            break;
        case O_AGREE_TOS: cli->agree_tos = true; break;
        case O_STATE_DIR: rc = set(&cli->state_dir, optarg); break;
        case O_CERT_NAME:
            if (!ad_cert_name_ok(optarg)) {
                ad_err("--cert-name %s: must be a plain file name (no '/')", optarg);
                rc = AD_ERR_USAGE;
            } else if (cli->ncert_names >= 10000) {
                ad_err("--cert-name: too many");
                rc = AD_ERR_USAGE;
            } else {
                rc = push(&cli->cert_names, &cli->ncert_names, optarg);
            }
            break;
        case O_DEPLOY_HOOK:
            ad_strv_free(cli->deploy_hook, cli->ndeploy_hook);
            cli->deploy_hook = NULL;
            cli->ndeploy_hook = 0;
            if ((rc = ad_deploy_split(optarg, &cli->deploy_hook, &cli->ndeploy_hook)) == AD_ERR_USAGE)
                ad_err("--deploy-hook: give a command (a program and its arguments, no shell)");
            break;
        case O_FORCE: cli->force = true; break;
        case O_JSON: cli->json = true; break;
        case O_KEY_TYPE:
            if ((cli->key_type = ad_key_type_parse(optarg)) < 0) {
                ad_err("--key-type %s: use ec256, ec384, rsa2048, rsa3072 or rsa4096", optarg);
                rc = AD_ERR_USAGE;
            }
            break;
        case O_ACCOUNT_KEY_TYPE:
            cli->account_key_type_given = true;
            if ((cli->account_key_type = ad_key_type_parse(optarg)) < 0) {
                ad_err("--account-key-type %s: use ec256, ec384, rsa2048, rsa3072 or rsa4096", optarg);
                rc = AD_ERR_USAGE;
            }
            break;
        case O_PROVIDER_OPT: {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                ad_err("--provider-opt: expected KEY=VALUE");
                rc = AD_ERR_USAGE;
                break;
            }
            size_t g = 0;
            if ((rc = current_group(cli, &g)) == AD_OK)
                rc = add_popt(&cli->providers[g].popts, &cli->providers[g].npopts, optarg, (size_t)(eq - optarg),
                              eq + 1);
            break;
        }
        case O_PLUGIN_DIR: rc = push(&cli->plugin_dirs, &cli->nplugin_dirs, optarg); break;
        case O_DNS_RESOLVER: {
            struct sockaddr_storage sa;
            socklen_t sl;
            if (ad_addr_parse(optarg, &sa, &sl) != AD_OK) {
                ad_err("--dns-resolver %s: not an address: give ADDR, ADDR:PORT or [IPV6]:PORT, numeric "
                       "(192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53)", optarg);
                rc = AD_ERR_USAGE;
                break;
            }
            rc = push(&cli->resolvers, &cli->nresolvers, optarg);
            break;
        }
        case O_PROP_TIMEOUT:
            cli->propagation_given = true;
            rc = parse_uint("--propagation-timeout", optarg, 86400, &cli->propagation_timeout);
            break;
        case O_SKIP_PROP: cli->skip_propagation = true; break;
        case O_HTTP_TIMEOUT:
            rc = parse_uint("--http-timeout", optarg, 86400, &cli->http_timeout);
            if (rc == AD_OK && cli->http_timeout == 0) {
                ad_err("--http-timeout 0: give at least 1 second");
                rc = AD_ERR_USAGE;
            }
            break;
        case O_TIMINGS: cli->timings = true; break;
        case O_REASON:
        case O_YES:
        case O_PROFILE:
        case O_PREFERRED_CHAIN:
        case O_REUSE_KEY:
        case O_EAB_KID:
        case O_EAB_KEY_FILE: rc = ca_option(cli, c, optarg); break;
        case O_LOCK_TIMEOUT: rc = parse_uint("--lock-timeout", optarg, 86400, &cli->lock_timeout); break;
        case O_CONFIG: break; /* read before (config.c) */
        case 'v': verbose++; break;
        case 'q': quiet = 1; break;
        case O_VERSION: cli->version = true; break;
        case 'h': cli->help = true; break;
        case ':':
            ad_err("option %s needs a value: see acme-dns --help", argv[optind - 1]);
            rc = AD_ERR_USAGE;
            break;
        default:
            ad_err("unknown option %s: see acme-dns --help", argv[optind - 1]);
            rc = AD_ERR_USAGE;
            break;
        }
    }
    if (rc != AD_OK)
        return ad_config_blame(cfg, optind, ninjected, rc);
    if ((rc = ad_config_provider_opts(cfg, cli)) != AD_OK)
        return rc;
    cli->verbosity = quiet ? 0 : 1 + verbose;
    if ((rc = groups_done(cli, !cli->help)) != AD_OK)
        return rc;
    if (cli->verbosity > 3)
        cli->verbosity = 3;
    const char *command = "issue";
    if (optind < argc) {
        static const char *const commands[] = {"issue",  "renew",   "certificates", "directory",
                                               "revoke", "account", "check",        "plugins"};
        bool known = false;
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
            known = known || strcmp(argv[optind], commands[i]) == 0;
        if (!known) {
            ad_err("unknown command '%s': the commands are 'issue' (the default), 'renew', 'certificates', "
                   "'directory', 'revoke', 'account', 'check' and 'plugins'",
                   argv[optind]);
            return AD_ERR_USAGE;
        }
        command = argv[optind];
        if (strcmp(command, "account") == 0 && optind + 1 < argc && (rc = set(&cli->subcommand, argv[++optind])) != AD_OK)
            return rc;
        if (optind + 1 < argc) {
            ad_err("unexpected argument '%s': see acme-dns --help", argv[optind + 1]);
            return AD_ERR_USAGE;
        }
    }
    if ((rc = set(&cli->command, command)) != AD_OK)
        return rc;
    cli->server_given = cli->server || cli->staging;
    if (cli->help || cli->version)
        return AD_OK;
    if ((rc = ca_options_check(cli)) != AD_OK)
        return rc;
    if (strcmp(command, "revoke") == 0 || strcmp(command, "account") == 0)
        return ca_command_check(cli);
    if (strcmp(command, "plugins") == 0) {
        const char *what = cli->ndomains ? "-d" : cli->provider ? "--provider" : cli->npopts ? "--provider-opt" : NULL;
        if (!what && (cli->json || cli->force))
            what = cli->json ? "--json" : "--force";
        if (what) {
            ad_err("%s: plugins lists the providers found; it takes --plugin-dir DIR only", what);
            return AD_ERR_USAGE;
        }
        return AD_OK;
    }
    if (strcmp(command, "directory") == 0) {
        if (cli->force) {
            ad_err("--force goes with renew");
            return AD_ERR_USAGE;
        }
        return server_url(cli);
    }
    if (strcmp(command, "renew") == 0 || strcmp(command, "certificates") == 0) {
        const char *what = cli->ndomains ? "-d" : cli->provider ? "--provider" : cli->npopts ? "--provider-opt" : NULL;
        if (what) {
            ad_err("%s: %s takes the domains, the provider and its options from each certificate's saved settings; "
                   "to change them, run acme-dns issue again for that certificate",
                   what, command);
            return AD_ERR_USAGE;
        }
        if (strcmp(command, "certificates") == 0 && (cli->force || cli->ndeploy_hook)) {
            ad_err("--force and --deploy-hook go with renew, not certificates");
            return AD_ERR_USAGE;
        }
        return cli->server_given ? server_url(cli) : AD_OK;
    }
    if (cli->force) {
        ad_err("--force goes with renew");
        return AD_ERR_USAGE;
    }
    if (cli->ncert_names > 1) {
        ad_err("--cert-name: issue makes one certificate, give one name");
        return AD_ERR_USAGE;
    }
    if (!cli->provider) {
        ad_err("no DNS provider: add --provider NAME (hook, rfc2136, cloudflare)");
        return AD_ERR_USAGE;
    }
    if (cli->ndomains == 0) {
        ad_err("no domain: add -d DOMAIN (repeatable)");
        return AD_ERR_USAGE;
    }
    if (strcmp(command, "check") == 0)
        return AD_OK; /* no CA, no certificate */
    if ((rc = server_url(cli)) != AD_OK)
        return rc;
    if (!(cli->cert_name = cli->ncert_names ? strdup(cli->cert_names[0]) : ad_cert_name_for(cli->domains[0])))
        return AD_ERR_NOMEM;
    return AD_OK;
}

bool ad_cert_name_ok(const char *s)
{
    return *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && strlen(s) <= 255;
}

void ad_cli_clear(struct ad_cli *cli)
{
    free(cli->command);
    free(cli->provider);
    ad_strv_free(cli->domains, cli->ndomains);
    free(cli->server);
    free(cli->ca_bundle);
    free(cli->email);
    free(cli->state_dir);
    free(cli->cert_name);
    ad_strv_free(cli->cert_names, cli->ncert_names);
    ad_strv_free(cli->deploy_hook, cli->ndeploy_hook);
    for (size_t i = 0; i < cli->npopts; i++) {
        free((char *)cli->popts[i].name);
        free((char *)cli->popts[i].value);
    }
    free(cli->popts);
    ad_strv_free(cli->plugin_dirs, cli->nplugin_dirs);
    ad_strv_free(cli->resolvers, cli->nresolvers);
    free(cli->subcommand);
    free(cli->profile);
    free(cli->preferred_chain);
    free(cli->eab_kid);
    free(cli->eab_key_file);
    for (size_t k = 0; k < cli->nproviders; k++) {
        free(cli->providers[k].name);
        for (size_t i = 0; i < cli->providers[k].npopts; i++) {
            free((char *)cli->providers[k].popts[i].name);
            free((char *)cli->providers[k].popts[i].value);
        }
        free(cli->providers[k].popts);
    }
    free(cli->providers);
    free(cli->domain_provider);
    memset(cli, 0, sizeof *cli);
}
