#include "cli.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"
#include "jws.h"
#include "log.h"
#include "parse.h"
#include "util.h"

enum {
    O_SERVER = 256, O_STAGING, O_CA_BUNDLE, O_EMAIL, O_AGREE_TOS, O_STATE_DIR, O_CERT_NAME, O_KEY_TYPE,
    O_ACCOUNT_KEY_TYPE, O_PROVIDER_OPT, O_PLUGIN_DIR, O_DNS_RESOLVER, O_PROP_TIMEOUT, O_SKIP_PROP, O_VERSION, O_TIMINGS,
    O_HTTP_TIMEOUT, O_DEPLOY_HOOK, O_FORCE, O_JSON,
    O_LOCK_TIMEOUT
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
    {"lock-timeout", required_argument, NULL, O_LOCK_TIMEOUT},
    {NULL, 0, NULL, 0},
};

void ad_cli_usage(FILE *f)
{
    fputs("usage: acme-dns [issue] --provider NAME -d DOMAIN [-d DOMAIN ...] [options]\n"
          "       acme-dns renew [--cert-name NAME]... [--force] [--json] [options]\n"
          "       acme-dns certificates [--cert-name NAME]... [--json] [--state-dir DIR]\n"
          "       acme-dns directory [--server URL | --staging] [--ca-bundle FILE] [--http-timeout SECS]\n"
          "\n"
          "Obtains a certificate from an ACME CA with the dns-01 challenge: the provider plugin\n"
          "puts the TXT records in DNS, acme-dns waits until every authoritative server serves\n"
          "them, asks the CA to validate, and removes them again.  'issue' saves the certificate's\n"
          "settings beside it (never a secret); 'renew' renews every saved certificate that is due\n"
          "(the CA's renewal window, RFC 9773; without one, when a third of its lifetime is left),\n"
          "many at once; 'certificates' lists them.  'directory' shows what the CA's ACME directory\n"
          "offers (terms of service, external account, renewal information).\n"
          "\n"
          "options:\n"
          "  -p, --provider NAME          DNS provider plugin (hook, rfc2136, cloudflare, ...)\n"
          "  -d, --domain DOMAIN          name for the certificate, repeatable; '*.example.com' for a wildcard\n"
          "  --provider-opt KEY=VALUE     provider option, repeatable (see --provider NAME --help)\n"
          "  --plugin-dir DIR             look for provider plugins in DIR first (repeatable)\n"
          "  --server URL                 ACME directory URL (default: Let's Encrypt production)\n"
          "  --staging                    use Let's Encrypt's staging directory\n"
          "  --ca-bundle FILE             trust the CA's HTTPS certificate through FILE (PEM)\n"
          "  --email ADDRESS              contact address for a new account\n"
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
          "  --json                       renew, certificates: JSON on stdout\n"
          "  --dns-resolver ADDR[:PORT]   server for the SOA/NS/CNAME look-ups, repeatable\n"
          "                               (default: /etc/resolv.conf)\n"
          "  --propagation-timeout SECS   how long to wait for every authoritative server (default 120)\n"
          "  --skip-propagation-check     do not wait for the authoritative servers\n"
          "  --http-timeout SECS          longest wait for one HTTPS request to the CA (default 60)\n"
          "  --timings                    print how long each phase took\n"
          "  -v, --verbose                more output (twice: debug)\n"
          "  -q, --quiet                  errors only\n"
          "  --version                    print the version\n"
          "  -h, --help                   this help; with --provider NAME, that provider's options\n"
          "  --lock-timeout SECS          how long to wait while another run uses the state folder (default 300)\n",
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
          "  3    bad configuration: a provider option, a plugin that cannot be loaded\n"
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

ad_status ad_cli_parse(int argc, char **argv, struct ad_cli *cli)
{
    ad_status rc = AD_OK;
    int c, quiet = 0, verbose = 0;
    memset(cli, 0, sizeof *cli);
    cli->propagation_timeout = 120;
    cli->http_timeout = 60;
    cli->lock_timeout = 300;
    opterr = 0;
    optind = 0; /* full re-initialisation (glibc) so that parsing can run twice */
    while (rc == AD_OK && (c = getopt_long(argc, argv, ":p:d:vqh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': rc = set(&cli->provider, optarg); break;
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
            for (size_t i = 0; i < cli->ndomains; i++)
                dup = dup || strcmp(cli->domains[i], d) == 0;
            if (!dup && cli->ndomains >= AD_MAX_DOMAINS) {
                ad_err("-d %s: more than %d names in one certificate", optarg, AD_MAX_DOMAINS);
                rc = AD_ERR_USAGE;
            } else if (!dup) {
                rc = push(&cli->domains, &cli->ndomains, d);
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
            struct ad_option_value *o = realloc(cli->popts, (cli->npopts + 1) * sizeof *o);
            if (!o) {
                rc = AD_ERR_NOMEM;
                break;
            }
            cli->popts = o;
            o[cli->npopts].name = ad_strndup(optarg, (size_t)(eq - optarg));
            o[cli->npopts].value = strdup(eq + 1);
            cli->npopts++;
            if (!o[cli->npopts - 1].name || !o[cli->npopts - 1].value)
                rc = AD_ERR_NOMEM;
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
        case O_LOCK_TIMEOUT: rc = parse_uint("--lock-timeout", optarg, 86400, &cli->lock_timeout); break;
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
        return rc;
    cli->verbosity = quiet ? 0 : 1 + verbose;
    if (cli->verbosity > 3)
        cli->verbosity = 3;
    const char *command = "issue";
    if (optind < argc) {
        static const char *const commands[] = {"issue", "renew", "certificates", "directory"};
        bool known = false;
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
            known = known || strcmp(argv[optind], commands[i]) == 0;
        if (!known) {
            ad_err("unknown command '%s': the commands are 'issue' (the default), 'renew', 'certificates' and "
                   "'directory'",
                   argv[optind]);
            return AD_ERR_USAGE;
        }
        command = argv[optind];
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
    if (strcmp(command, "directory") == 0)
        return server_url(cli);
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
    if (cli->force || cli->json) {
        ad_err("%s goes with renew%s", cli->force ? "--force" : "--json", cli->force ? "" : " and certificates");
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
    memset(cli, 0, sizeof *cli);
}
