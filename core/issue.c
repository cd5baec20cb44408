#include "issue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "acme.h"
#include "csr.h"
#include "dnscheck.h"
#include "http.h"
#include "jws.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define AD_ACCOUNT_FILE_MAX 65536
#define AD_AUTHZ_TIMEOUT_MS 300000u
#define AD_ORDER_TIMEOUT_MS 300000u

enum phase { PH_ACCOUNT, PH_ORDER, PH_AUTHZ, PH_LOCATE, PH_UPDATE, PH_PROPAGATION, PH_VALIDATION,
             PH_FINALIZE, PH_DOWNLOAD, PH_CLEANUP, PH_COUNT };
static const char *const phase_names[PH_COUNT] = {
    "account", "order", "authorizations", "zone look-up", "DNS update", "propagation",
    "validation", "finalize", "download", "cleanup"};

struct run {
    const struct ad_cli *cli;
    const char *state_dir;
    struct ad_provider *prov;
    struct ad_http *http;
    struct ad_dnscheck *dc;  /* look-ups and the propagation check */
    struct ad_acme *acme;
    EVP_PKEY *account_key, *cert_key;
    char *thumbprint;
    struct ad_order order;
    struct ad_authz *authz;
    size_t nauthz;
    struct ad_record **recs; /* records to present (one per pending authz) */
    size_t nrecs;
    char **owned;            /* strings the records point to */
    size_t nowned;
    bool presented;          /* present() was called for at least one batch */
    uint64_t t[PH_COUNT];    /* wall ms per phase */
    uint64_t cpu[PH_COUNT];  /* CPU us (user + sys) per phase */
};

/* A phase's start: wall clock and the process's CPU time. */
struct mark {
    uint64_t wall_ms, cpu_us;
};

static struct mark mark(void)
{
    return (struct mark){ad_now_ms(), ad_cpu_us()};
}

static void since(struct run *r, enum phase ph, struct mark m)
{
    r->t[ph] = ad_now_ms() - m.wall_ms;
    r->cpu[ph] = ad_cpu_us() - m.cpu_us;
}

static const char *own(struct run *r, char *s)
{
    if (!s)
        return NULL;
    char **o = realloc(r->owned, (r->nowned + 1) * sizeof *o);
    if (!o) {
        free(s);
        return NULL;
    }
    r->owned = o;
    o[r->nowned++] = s;
    return s;
}

static char *slug(const char *url)
{
    const char *p = strncmp(url, "https://", 8) == 0 ? url + 8 : url;
    char *s = strdup(p);
    if (!s)
        return NULL;
    for (char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
              *c == '-'))
            *c = '_';
    return s;
}

/* Account key and URL, kept in STATE/accounts/<server>/. */
static ad_status account(struct run *r)
{
    ad_status rc = AD_ERR_NOMEM;
    char *s = slug(r->cli->server), *dir = NULL, *keyp = NULL, *urlp = NULL, *pem = NULL, *url = NULL;
    size_t len;
    bool have_key = false, created = false;

    if (!s || !(dir = ad_asprintf("%s/accounts/%s", r->state_dir, s)) ||
        !(keyp = ad_asprintf("%s/account.key", dir)) || !(urlp = ad_asprintf("%s/account.url", dir)))
        goto out;
    if ((rc = ad_store_mkdirs(dir, 0700)) != AD_OK)
        goto out;
    if (ad_store_read(keyp, AD_ACCOUNT_FILE_MAX, &pem, &len) == AD_OK) {
        if (ad_key_from_pem(pem, len, &r->account_key) != AD_OK) {
            ad_err("the account key %s is not a PEM private key: restore it or remove it to make a new account",
                   keyp);
            rc = AD_ERR_CRYPTO;
            goto out;
        }
        have_key = true;
    } else if (errno != ENOENT) {
        ad_err("cannot read the account key %s: %s", keyp, strerror(errno));
        rc = AD_ERR_IO;
        goto out;
    } else {
        free(pem);
        pem = NULL;
        if ((rc = ad_key_generate((enum ad_key_type)r->cli->account_key_type, &r->account_key)) != AD_OK ||
            (rc = ad_key_to_pem(r->account_key, &pem, &len)) != AD_OK ||
            (rc = ad_store_write(keyp, pem, len, 0600)) != AD_OK)
            goto out;
        ad_debug("new account key in %s", keyp);
    }
    if ((rc = ad_jwk_thumbprint(r->account_key, &r->thumbprint)) != AD_OK)
        goto out;
    if ((rc = ad_acme_new(r->http, r->cli->server, r->account_key, &r->acme)) != AD_OK ||
        (rc = ad_acme_directory(r->acme)) != AD_OK)
        goto out;
    if (have_key && ad_store_read(urlp, 4096, &url, &len) == AD_OK && len > 8 && strncmp(url, "https://", 8) == 0) {
        url[strcspn(url, "\r\n")] = '\0';
    } else {
        free(url);
        url = NULL;
        if ((rc = ad_acme_account(r->acme, r->cli->email, r->cli->agree_tos, have_key, &url, &created)) != AD_OK)
            goto out;
        if ((rc = ad_store_write(urlp, url, strlen(url), 0600)) != AD_OK)
            goto out;
        ad_info("%s account %s", created ? "created" : "found", url);
    }
    rc = ad_acme_set_kid(r->acme, url);
out:
    free(s);
    free(dir);
    free(keyp);
    free(urlp);
    free(pem);
    free(url);
    return rc;
}

/* One record per authorization that still needs validating. */
static ad_status make_records(struct run *r)
{
    ad_status rc = AD_ERR_NOMEM;
    struct mark t0 = mark();
    if (!(r->recs = calloc(r->nauthz ? r->nauthz : 1, sizeof *r->recs)))
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < r->nauthz; i++) {
        struct ad_authz *az = &r->authz[i];
        if (strcmp(az->status, "valid") == 0) {
            ad_debug("%s%s is already authorized", az->wildcard ? "*." : "", az->domain);
            continue;
        }
        if (strcmp(az->status, "pending") != 0) {
            ad_err("the CA's authorization for %s%s is %s: start again", az->wildcard ? "*." : "", az->domain,
                   az->status);
            return AD_ERR_VALIDATION;
        }
        if (!az->chall_url) {
            ad_err("the CA offers no dns-01 challenge for %s%s", az->wildcard ? "*." : "", az->domain);
            return AD_ERR_ACME;
        }
        struct ad_record *rec = calloc(1, sizeof *rec);
        if (!rec)
            return AD_ERR_NOMEM;
        r->recs[r->nrecs++] = rec;
        char *v = NULL;
        if ((rc = ad_dns01_value(az->token, r->thumbprint, &v)) != AD_OK)
            return rc;
        if (!(rec->value = own(r, v)) || !(rec->domain = own(r, strdup(az->domain))) ||
            !(rec->name = own(r, ad_asprintf("_acme-challenge.%s", az->domain))))
            return AD_ERR_NOMEM;
        rec->ttl = 60;
    }
    if (r->nrecs == 0)
        return AD_OK;
    if ((rc = ad_dnscheck_new((const char *const *)r->cli->resolvers, r->cli->nresolvers, &r->dc)) != AD_OK)
        goto out;
    for (size_t i = 0; i < r->nrecs; i++) {
        struct ad_record *rec = r->recs[i];
        char *target = NULL, *zone = NULL;
        /* Apex and wildcard share a name: look it up once. */
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->recs[j]->domain, rec->domain) == 0) {
                rec->name = r->recs[j]->name;
                rec->zone = r->recs[j]->zone;
                goto next;
            }
        rc = ad_dnscheck_locate(r->dc, rec->name, &target, &zone);
        if (rc != AD_OK) {
            if (rc == AD_ERR_INTERRUPTED || !r->cli->skip_propagation)
                goto out;
            ad_warn("cannot find the zone of %s: going on without it (--skip-propagation-check)", rec->name);
            continue;
        }
        if (strcmp(target, rec->name) != 0)
            ad_info("%s is a CNAME: the record goes to %s", rec->name, target);
        rec->name = own(r, target);
        rec->zone = own(r, zone);
        if (!rec->name || !rec->zone) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
    next:;
    }
    rc = AD_OK;
out:
    since(r, PH_LOCATE, t0);
    return rc;
}

static int zone_cmp(const struct ad_record *a, const struct ad_record *b)
{
    return strcmp(a->zone ? a->zone : "", b->zone ? b->zone : "");
}

static ad_status save_journal(struct run *r)
{
    return ad_journal_save(r->state_dir, ad_provider_plugin(r->prov)->name, r->recs, r->nrecs);
}

/* Present the records, one batch per zone. */
static ad_status present(struct run *r)
{
    ad_status rc;
    struct mark t0 = mark();
    /* Sort by zone so that each zone's records are adjacent (insertion sort: n is small). */
    for (size_t i = 1; i < r->nrecs; i++)
        for (size_t j = i; j > 0 && zone_cmp(r->recs[j - 1], r->recs[j]) > 0; j--) {
            struct ad_record *t = r->recs[j];
            r->recs[j] = r->recs[j - 1];
            r->recs[j - 1] = t;
        }
    if ((rc = save_journal(r)) != AD_OK)
        return rc;
    for (size_t i = 0; i < r->nrecs;) {
        size_t j = i + 1;
        while (j < r->nrecs && zone_cmp(r->recs[i], r->recs[j]) == 0)
            j++;
        ad_info("adding %zu TXT record(s) in zone %s through %s", j - i, r->recs[i]->zone ? r->recs[i]->zone : "?",
                ad_provider_plugin(r->prov)->name);
        r->presented = true;
        rc = ad_provider_present(r->prov, r->recs + i, j - i);
        if (rc != AD_OK && ad_is_interrupted())
            rc = AD_ERR_INTERRUPTED;
        if (rc != AD_OK && rc != AD_ERR_INTERRUPTED) {
            ad_err("provider %s could not add the TXT records of zone %s", ad_provider_plugin(r->prov)->name,
                   r->recs[i]->zone ? r->recs[i]->zone : "?");
        }
        if (rc != AD_OK)
            return rc == AD_ERR_AUTH || rc == AD_ERR_INTERRUPTED || rc == AD_ERR_NOMEM ? rc : AD_ERR_PROVIDER;
        if (ad_is_interrupted())
            return AD_ERR_INTERRUPTED;
        i = j;
    }
    since(r, PH_UPDATE, t0);
    return save_journal(r); /* now with the provider's per-record data */
}

static ad_status propagate(struct run *r)
{
    ad_status rc;
    struct ad_dnscheck_item *items = NULL;
    size_t n = 0;
    struct mark t0 = mark();
    if (r->cli->skip_propagation || r->nrecs == 0 || !r->dc)
        return AD_OK;
    if (!(items = calloc(r->nrecs, sizeof *items)))
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < r->nrecs; i++) {
        if (!r->recs[i]->zone)
            continue;
        items[n].name = r->recs[i]->name;
        items[n].zone = r->recs[i]->zone;
        items[n].value = r->recs[i]->value;
        n++;
    }
    rc = ad_dnscheck_wait(r->dc, items, n, 53, r->cli->propagation_timeout * 1000u);
    free(items);
    since(r, PH_PROPAGATION, t0);
    return rc;
}

static ad_status write_files(struct run *r, const char *cert, const char *chain)
{
    ad_status rc = AD_ERR_NOMEM;
    char *dir = ad_asprintf("%s/certs/%s", r->state_dir, r->cli->cert_name), *pem = NULL, *full = NULL;
    size_t len;
    if (!dir)
        goto out;
    if ((rc = ad_store_mkdirs(dir, 0755)) != AD_OK)
        goto out;
    if ((rc = ad_key_to_pem(r->cert_key, &pem, &len)) != AD_OK)
        goto out;
    rc = AD_ERR_NOMEM;
    if (!(full = ad_asprintf("%s%s", cert, chain)))
        goto out;
    const struct ad_store_file files[] = {
        {"privkey.pem", pem, strlen(pem), 0600},
        {"cert.pem", cert, strlen(cert), 0644},
        {"chain.pem", chain, strlen(chain), 0644},
        {"fullchain.pem", full, strlen(full), 0644},
    };
    if ((rc = ad_store_write_files(dir, files, sizeof files / sizeof *files)) != AD_OK)
        goto out;
    printf("certificate for %s%s written to %s/\n", r->cli->domains[0], r->cli->ndomains > 1 ? " and others" : "",
           dir);
    printf("  %s/fullchain.pem\n  %s/privkey.pem\n  %s/cert.pem\n  %s/chain.pem\n", dir, dir, dir, dir);
    fflush(stdout);
    rc = AD_OK;
out:
    free(dir);
    if (pem)
        memset(pem, 0, strlen(pem));
    free(pem);
    free(full);
    return rc;
}

static ad_status issue(struct run *r)
{
    ad_status rc;
    struct mark t0 = mark();
    char *csr = NULL, *pem = NULL, *cert = NULL, *chain = NULL;
    size_t len;

    if ((rc = ad_http_new(r->cli->ca_bundle, &r->http)) != AD_OK)
        goto out;
    ad_http_set_timeouts(r->http, r->cli->http_timeout < 10 ? r->cli->http_timeout * 1000u : 10000u,
                         r->cli->http_timeout * 1000u);
    if ((rc = account(r)) != AD_OK)
        goto out;
    since(r, PH_ACCOUNT, t0);
    t0 = mark();
    if ((rc = ad_acme_new_order(r->acme, (const char *const *)r->cli->domains, r->cli->ndomains, &r->order)) !=
        AD_OK)
        goto out;
    since(r, PH_ORDER, t0);
    t0 = mark();
    if (!(r->authz = calloc(r->order.nauthz ? r->order.nauthz : 1, sizeof *r->authz))) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    r->nauthz = r->order.nauthz;
    if ((rc = ad_acme_get_authzs(r->acme, &r->order, r->authz)) != AD_OK)
        goto out;
    since(r, PH_AUTHZ, t0);
    if ((rc = make_records(r)) != AD_OK || (rc = present(r)) != AD_OK || (rc = propagate(r)) != AD_OK)
        goto out;
    t0 = mark();
    if ((rc = ad_acme_respond(r->acme, r->authz, r->nauthz)) != AD_OK)
        goto out;
    if ((rc = ad_acme_wait_authzs(r->acme, r->authz, r->nauthz, AD_AUTHZ_TIMEOUT_MS)) != AD_OK)
        goto out;
    since(r, PH_VALIDATION, t0);
    ad_info("the CA validated %zu authorization(s)", r->nauthz);
    t0 = mark();
    if ((rc = ad_key_generate((enum ad_key_type)r->cli->key_type, &r->cert_key)) != AD_OK ||
        (rc = ad_csr_make(r->cert_key, (const char *const *)r->cli->domains, r->cli->ndomains, &csr)) != AD_OK ||
        (rc = ad_acme_finalize(r->acme, &r->order, csr, AD_ORDER_TIMEOUT_MS)) != AD_OK)
        goto out;
    since(r, PH_FINALIZE, t0);
    t0 = mark();
    if ((rc = ad_acme_download(r->acme, &r->order, &pem, &len)) != AD_OK ||
        (rc = ad_cert_check(pem, len, r->cert_key, (const char *const *)r->cli->domains, r->cli->ndomains, &cert,
                            &chain)) != AD_OK)
        goto out;
    since(r, PH_DOWNLOAD, t0);
    rc = write_files(r, cert, chain);
out:
    free(csr);
    free(pem);
    free(cert);
    free(chain);
    return rc != AD_OK && ad_is_interrupted() ? AD_ERR_INTERRUPTED : rc;
}

static ad_status cleanup(struct run *r)
{
    ad_status rc = AD_OK;
    struct mark t0 = mark();
    if (!r->presented)
        return ad_journal_clear(r->state_dir);
    for (size_t i = 0; i < r->nrecs;) {
        size_t j = i + 1;
        while (j < r->nrecs && zone_cmp(r->recs[i], r->recs[j]) == 0)
            j++;
        ad_info("removing %zu TXT record(s) in zone %s", j - i, r->recs[i]->zone ? r->recs[i]->zone : "?");
        ad_status c = ad_provider_cleanup(r->prov, r->recs + i, j - i);
        if (c != AD_OK && rc == AD_OK)
            rc = c;
        i = j;
    }
    since(r, PH_CLEANUP, t0);
    if (rc != AD_OK) {
        ad_err("provider %s could not remove every TXT record: the journal in %s keeps them, and the next run "
               "with this provider removes them",
               ad_provider_plugin(r->prov)->name, r->state_dir);
        return rc == AD_ERR_AUTH ? rc : AD_ERR_PROVIDER;
    }
    return ad_journal_clear(r->state_dir);
}

ad_status ad_issue_recover(const char *state_dir, struct ad_provider *p)
{
    char *prov = NULL;
    struct ad_record **recs = NULL;
    size_t n = 0;
    ad_status rc = ad_journal_load(state_dir, &prov, &recs, &n);
    if (rc != AD_OK || n == 0) {
        ad_journal_free(prov, recs, n);
        return rc;
    }
    if (strcmp(prov, ad_provider_plugin(p)->name) != 0) {
        ad_warn("an earlier run left %zu TXT record(s) through provider %s; run once with --provider %s to remove "
                "them",
                n, prov, prov);
        ad_journal_free(prov, recs, n);
        return AD_OK;
    }
    ad_info("removing %zu TXT record(s) that an interrupted run left behind", n);
    rc = AD_OK;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && zone_cmp(recs[i], recs[j]) == 0)
            j++;
        ad_status c = ad_provider_cleanup(p, recs + i, j - i);
        if (c != AD_OK && rc == AD_OK)
            rc = c;
        i = j;
    }
    ad_journal_free(prov, recs, n);
    if (rc != AD_OK) {
        ad_err("could not remove the records an earlier run left behind: fix the provider's problem above");
        return AD_ERR_PROVIDER;
    }
    return ad_journal_clear(state_dir);
}

ad_status ad_issue_run(const struct ad_cli *cli, const char *state_dir, struct ad_provider *p)
{
    struct run r = {.cli = cli, .state_dir = state_dir, .prov = p};
    uint64_t start = ad_now_ms(), cpu_start = ad_cpu_us();
    ad_status rc = issue(&r);
    ad_status c = cleanup(&r);
    if (rc == AD_OK)
        rc = c;
    if (cli->timings || cli->verbosity >= 2) {
        fprintf(stderr, "timings (ms):");
        for (int i = 0; i < PH_COUNT; i++)
            fprintf(stderr, " %s %llu%s", phase_names[i], (unsigned long long)r.t[i], i + 1 < PH_COUNT ? "," : "");
        unsigned long conns = r.http ? ad_http_connects(r.http) : 0UL;
        fprintf(stderr, "; total %llu; %lu HTTP requests to the CA over %lu connection%s (%s)\n",
                (unsigned long long)(ad_now_ms() - start), r.http ? ad_http_count(r.http) : 0UL, conns,
                conns == 1 ? "" : "s", r.http ? ad_http_version(r.http) : "no response");
        uint64_t all = ad_cpu_us();
        fprintf(stderr, "CPU (ms):");
        for (int i = 0; i < PH_COUNT; i++)
            fprintf(stderr, " %s %.1f,", phase_names[i], (double)r.cpu[i] / 1000.0);
        fprintf(stderr, " before the run %.1f; total %.1f\n", (double)cpu_start / 1000.0, (double)all / 1000.0);
    }
    for (size_t i = 0; i < r.nrecs; i++)
        free(r.recs[i]);
    free(r.recs);
    for (size_t i = 0; i < r.nowned; i++)
        free(r.owned[i]);
    free(r.owned);
    for (size_t i = 0; i < r.nauthz; i++)
        ad_authz_clear(&r.authz[i]);
    free(r.authz);
    ad_order_clear(&r.order);
    free(r.thumbprint);
    ad_acme_free(r.acme);
    ad_http_free(r.http);
    ad_dnscheck_free(r.dc);
    EVP_PKEY_free(r.account_key);
    EVP_PKEY_free(r.cert_key);
    return rc;
}

ad_status ad_issue_directory(const struct ad_cli *cli)
{
    struct ad_http *http = NULL;
    struct ad_acme *acme = NULL;
    ad_status rc;
    if ((rc = ad_http_new(cli->ca_bundle, &http)) == AD_OK)
        ad_http_set_timeouts(http, cli->http_timeout < 10 ? cli->http_timeout * 1000u : 10000u,
                             cli->http_timeout * 1000u);
    if (rc == AD_OK && (rc = ad_acme_new(http, cli->server, NULL, &acme)) == AD_OK &&
        (rc = ad_acme_directory(acme)) == AD_OK) {
        ad_acme_describe(acme, stdout);
        fflush(stdout);
    }
    ad_acme_free(acme);
    ad_http_free(http);
    return rc;
}
