#include "issue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ari.h"
#include "cert.h"
#include "csr.h"
#include "deploy.h"
#include "dnscheck.h"
#include "http.h"
#include "jws.h"
#include "killpoint.h"
#include "log.h"
#include "settings.h"
#include "store.h"
#include "util.h"
#include "walltime.h"

#define AD_ACCOUNT_FILE_MAX 65536
#define AD_AUTHZ_TIMEOUT_MS 300000u
#define AD_ORDER_TIMEOUT_MS 300000u
/* After a propagation wait that failed, how long each zone is asked again
 * alone to find which ones lack their records. */
#define AD_PROPAGATION_RECHECK_MS 2000u

static const char *const phase_names[AD_PH_COUNT] = {
    "account", "order", "authorizations", "zone look-up", "DNS update", "propagation",
    "validation", "finalize", "download", "cleanup", "renewal info"};

void ad_timings_start(struct ad_timings *tm)
{
    memset(tm, 0, sizeof *tm);
    tm->start_ms = ad_now_ms();
    tm->start_cpu_us = ad_cpu_us();
}

void ad_timings_print(const struct ad_timings *tm, const struct ad_http_figures *hf, FILE *f)
{
    fprintf(f, "timings (ms):");
    for (int i = 0; i < AD_PH_COUNT; i++)
        fprintf(f, " %s %llu%s", phase_names[i], (unsigned long long)tm->t[i], i + 1 < AD_PH_COUNT ? "," : "");
    fprintf(f, "; total %llu; %lu HTTP requests to the CA over %lu connection%s (%s)\n",
            (unsigned long long)(ad_now_ms() - tm->start_ms), hf->requests, hf->connects,
            hf->connects == 1 ? "" : "s", hf->version ? hf->version : "no response");
    fprintf(f, "CPU (ms):");
    for (int i = 0; i < AD_PH_COUNT; i++)
        fprintf(f, " %s %.1f,", phase_names[i], (double)tm->cpu[i] / 1000.0);
    fprintf(f, " before the run %.1f; total %.1f\n", (double)tm->start_cpu_us / 1000.0, (double)ad_cpu_us() / 1000.0);
}

struct ad_mark ad_mark(void)
{
    return (struct ad_mark){ad_now_ms(), ad_cpu_us()};
}

void ad_since(struct ad_timings *tm, enum ad_phase ph, struct ad_mark m)
{
    if (!tm)
        return;
    tm->t[ph] += ad_now_ms() - m.wall_ms;
    tm->cpu[ph] += ad_cpu_us() - m.cpu_us;
}

/* ------------------------------------------------------------------ the CA */

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

void ad_http_figures_add(struct ad_http_figures *hf, const struct ad_http *h)
{
    if (!h)
        return;
    hf->requests += ad_http_count(h);
    hf->connects += ad_http_connects(h);
    if (ad_http_count(h))
        hf->version = ad_http_version(h);
}

ad_status ad_ca_open(const char *server, const char *ca_bundle, unsigned http_timeout_s, struct ad_ca **out)
{
    ad_status rc = AD_ERR_NOMEM;
    struct ad_ca *ca = calloc(1, sizeof *ca);
    if (!ca || !(ca->server = strdup(server)))
        goto out;
    if ((rc = ad_http_new(ca_bundle, &ca->http)) != AD_OK)
        goto out;
    /* Connecting gets the whole time when it is short, else 10 s. */
    ad_http_set_timeouts(ca->http, http_timeout_s < 10 ? http_timeout_s * 1000u : 10000u, http_timeout_s * 1000u);
    if ((rc = ad_acme_new(ca->http, server, NULL, &ca->acme)) != AD_OK || (rc = ad_acme_directory(ca->acme)) != AD_OK)
        goto out;
    *out = ca;
    ca = NULL;
out:
    ad_ca_free(ca);
    return rc;
}

void ad_ca_free(struct ad_ca *ca)
{
    if (!ca)
        return;
    ad_acme_free(ca->acme);
    ad_http_free(ca->http);
    EVP_PKEY_free(ca->account_key);
    free(ca->thumbprint);
    free(ca->server);
    free(ca);
}

/* Account key and URL, kept in STATE/accounts/<server>/. */
ad_status ad_ca_account(struct ad_ca *ca, const char *state_dir, const char *email, bool agree_tos, int key_type)
{
    ad_status rc = AD_ERR_NOMEM;
    char *s = slug(ca->server), *dir = NULL, *keyp = NULL, *urlp = NULL, *pem = NULL, *url = NULL;
    size_t len;
    bool have_key = false, created = false;

    if (ca->have_account)
        return AD_OK;
    if (!s || !(dir = ad_asprintf("%s/accounts/%s", state_dir, s)) ||
        !(keyp = ad_asprintf("%s/account.key", dir)) || !(urlp = ad_asprintf("%s/account.url", dir)))
        goto out;
    if ((rc = ad_store_mkdirs(dir, 0700)) != AD_OK)
        goto out;
    if (ad_store_read(keyp, AD_ACCOUNT_FILE_MAX, &pem, &len) == AD_OK) {
        if (ad_key_from_pem(pem, len, &ca->account_key) != AD_OK) {
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
        if ((rc = ad_key_generate((enum ad_key_type)key_type, &ca->account_key)) != AD_OK ||
            (rc = ad_key_to_pem(ca->account_key, &pem, &len)) != AD_OK ||
            (rc = ad_store_write(keyp, pem, len, 0600)) != AD_OK)
            goto out;
        ad_debug("new account key in %s", keyp);
    }
    if ((rc = ad_jwk_thumbprint(ca->account_key, &ca->thumbprint)) != AD_OK)
        goto out;
    ad_acme_set_key(ca->acme, ca->account_key);
    if (have_key && ad_store_read(urlp, 4096, &url, &len) == AD_OK && len > 8 && strncmp(url, "https://", 8) == 0) {
        url[strcspn(url, "\r\n")] = '\0';
    } else {
        free(url);
        url = NULL;
        if ((rc = ad_acme_account(ca->acme, email, agree_tos, have_key, &url, &created)) != AD_OK)
            goto out;
        if ((rc = ad_store_write(urlp, url, strlen(url), 0600)) != AD_OK)
            goto out;
        ad_info("%s account %s", created ? "created" : "found", url);
    }
    if ((rc = ad_acme_set_kid(ca->acme, url)) == AD_OK)
        ca->have_account = true;
out:
    free(s);
    free(dir);
    free(keyp);
    free(urlp);
    free(pem);
    free(url);
    return rc;
}

/* ------------------------------------------------------------------ the flow */

/* One authorization, shared by every job whose order lists it. */
struct slot {
    ad_status rc;
    struct ad_record *rec;       /* its TXT record, or NULL when already valid */
    struct ad_instance *inst;    /* the provider that presents it */
    bool presented;
    size_t first, last;          /* its jobs: pairs[first..last) */
};

struct pair {
    const char *url;
    size_t job;
    size_t k; /* the job's K-th authorization */
};

struct eng {
    struct ad_ca *ca;
    struct ad_instances *set;
    const struct ad_obtain_opts *o;
    struct ad_job *jobs;
    size_t n;
    struct ad_timings *tm;
    struct ad_order_req *orders;  /* per job */
    struct slot *slots;
    struct ad_authz *az;          /* per slot, contiguous for the acme functions */
    size_t nslots;
    struct pair *pairs;
    size_t npairs;
    char **owned;                 /* strings the records point to */
    size_t nowned;
    struct ad_dnscheck *dc;
    EVP_PKEY **keys;              /* per job */
};

static bool alive(const struct ad_job *j)
{
    return j->rc == AD_OK;
}

static void job_fail(struct ad_job *j, ad_status rc, const char *phase)
{
    if (j->rc == AD_OK) {
        j->rc = rc;
        j->phase = phase;
    }
}

static void slot_fail(struct eng *e, struct slot *s, ad_status rc, const char *phase)
{
    if (s->rc == AD_OK)
        s->rc = rc;
    for (size_t p = s->first; p < s->last; p++)
        job_fail(&e->jobs[e->pairs[p].job], rc, phase);
}

static bool slot_needed(const struct eng *e, const struct slot *s)
{
    if (s->rc != AD_OK)
        return false;
    for (size_t p = s->first; p < s->last; p++)
        if (alive(&e->jobs[e->pairs[p].job]))
            return true;
    return false;
}

static const char *own(struct eng *e, char *s)
{
    if (!s)
        return NULL;
    char **o = realloc(e->owned, (e->nowned + 1) * sizeof *o);
    if (!o) {
        free(s);
        return NULL;
    }
    e->owned = o;
    o[e->nowned++] = s;
    return s;
}

static int pair_cmp(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    int r = strcmp(x->url, y->url);
    return r ? r : (x->job > y->job) - (x->job < y->job);
}

/* Orders for every job. */
static ad_status orders(struct eng *e)
{
    struct ad_mark t0 = ad_mark();
    for (size_t i = 0; i < e->n; i++) {
        e->orders[i].names = (const char *const *)e->jobs[i].domains;
        e->orders[i].n = e->jobs[i].ndomains;
        e->orders[i].replaces = e->jobs[i].replaces;
    }
    /* Only the live jobs' orders are sent: pack them. */
    struct ad_order_req *q = calloc(e->n ? e->n : 1, sizeof *q);
    size_t *which = calloc(e->n ? e->n : 1, sizeof *which), m = 0;
    ad_status rc = AD_ERR_NOMEM;
    if (!q || !which)
        goto out;
    for (size_t i = 0; i < e->n; i++)
        if (alive(&e->jobs[i])) {
            q[m] = e->orders[i];
            which[m++] = i;
        }
    rc = ad_acme_new_orders(e->ca->acme, q, m);
    for (size_t k = 0; k < m; k++) {
        struct ad_job *j = &e->jobs[which[k]];
        e->orders[which[k]] = q[k];
        if (q[k].rc != AD_OK)
            job_fail(j, q[k].rc, "order");
        j->replaced = q[k].rc == AD_OK && q[k].replaces != NULL;
    }
out:
    free(q);
    free(which);
    ad_since(e->tm, AD_PH_ORDER, t0);
    return rc;
}

/* The authorizations of every order, each fetched once. */
static ad_status authorizations(struct eng *e)
{
    struct ad_mark t0 = ad_mark();
    ad_status rc = AD_ERR_NOMEM, *rcs = NULL;
    size_t total = 0, *idx = NULL;
    for (size_t i = 0; i < e->n; i++)
        if (alive(&e->jobs[i]))
            total += e->orders[i].order.nauthz;
    if (!(e->pairs = calloc(total ? total : 1, sizeof *e->pairs)) ||
        !(e->slots = calloc(total ? total : 1, sizeof *e->slots)) || !(e->az = calloc(total ? total : 1, sizeof *e->az)))
        goto out;
    for (size_t i = 0; i < e->n; i++)
        for (size_t k = 0; alive(&e->jobs[i]) && k < e->orders[i].order.nauthz; k++)
            e->pairs[e->npairs++] = (struct pair){e->orders[i].order.authz[k], i, k};
    qsort(e->pairs, e->npairs, sizeof *e->pairs, pair_cmp);
    for (size_t p = 0; p < e->npairs;) {
        struct slot *s = &e->slots[e->nslots++];
        s->first = p;
        while (p < e->npairs && strcmp(e->pairs[p].url, e->pairs[s->first].url) == 0)
            p++;
        s->last = p;
        s->inst = e->jobs[e->pairs[s->first].job].inst;
        if (!(e->az[e->nslots - 1].url = strdup(e->pairs[s->first].url)))
            goto out;
    }
    if (!(idx = calloc(e->nslots ? e->nslots : 1, sizeof *idx)) || !(rcs = calloc(e->nslots ? e->nslots : 1, sizeof *rcs)))
        goto out;
    for (size_t i = 0; i < e->nslots; i++)
        idx[i] = i;
    rc = ad_acme_fetch_authzs(e->ca->acme, e->az, idx, e->nslots, rcs);
    for (size_t i = 0; i < e->nslots; i++)
        if (rcs[i] != AD_OK)
            slot_fail(e, &e->slots[i], rcs[i], "authorizations");
out:
    free(idx);
    free(rcs);
    ad_since(e->tm, AD_PH_AUTHZ, t0);
    return rc;
}

/* One record per authorization that still needs validating, and its zone. */
static ad_status records(struct eng *e)
{
    ad_status rc;
    struct ad_mark t0 = ad_mark();
    size_t need = 0;
    for (size_t i = 0; i < e->nslots; i++) {
        struct slot *s = &e->slots[i];
        struct ad_authz *az = &e->az[i];
        if (!slot_needed(e, s))
            continue;
        if (strcmp(az->status, "valid") == 0) {
            ad_debug("%s%s is already authorized", az->wildcard ? "*." : "", az->domain);
            continue;
        }
        if (strcmp(az->status, "pending") != 0) {
            ad_err("the CA's authorization for %s%s is %s: start again", az->wildcard ? "*." : "", az->domain,
                   az->status);
            slot_fail(e, s, AD_ERR_VALIDATION, "authorizations");
            continue;
        }
        if (!az->chall_url) {
            ad_err("the CA offers no dns-01 challenge for %s%s", az->wildcard ? "*." : "", az->domain);
            slot_fail(e, s, AD_ERR_ACME, "authorizations");
            continue;
        }
        struct ad_record *rec = calloc(1, sizeof *rec);
        char *v = NULL;
        if (!rec)
            return AD_ERR_NOMEM;
        s->rec = rec;
        if ((rc = ad_dns01_value(az->token, e->ca->thumbprint, &v)) != AD_OK)
            return rc;
        if (!(rec->value = own(e, v)) || !(rec->domain = own(e, strdup(az->domain))) ||
            !(rec->name = own(e, ad_asprintf("_acme-challenge.%s", az->domain))))
            return AD_ERR_NOMEM;
        rec->ttl = 60;
        need++;
    }
    if (need == 0)
        return AD_OK;
    if ((rc = ad_dnscheck_new((const char *const *)e->o->resolvers, e->o->nresolvers, &e->dc)) != AD_OK)
        goto out;
    for (size_t i = 0; i < e->nslots; i++) {
        struct ad_record *rec = e->slots[i].rec;
        char *target = NULL, *zone = NULL;
        if (!rec || ad_is_interrupted())
            continue;
        /* Apex and wildcard share a name: look it up once. */
        for (size_t j = 0; j < i; j++)
            if (e->slots[j].rec && e->slots[j].rec->zone && strcmp(e->slots[j].rec->domain, rec->domain) == 0) {
                rec->name = e->slots[j].rec->name;
                rec->zone = e->slots[j].rec->zone;
                goto next;
            }
        rc = ad_dnscheck_locate(e->dc, rec->name, &target, &zone);
        if (rc == AD_ERR_NOMEM || rc == AD_ERR_INTERRUPTED)
            goto out;
        if (rc != AD_OK) {
            if (!e->o->skip_propagation) {
                slot_fail(e, &e->slots[i], rc, "zone look-up");
                continue;
            }
            ad_warn("cannot find the zone of %s: going on without it (--skip-propagation-check)", rec->name);
            continue;
        }
        if (strcmp(target, rec->name) != 0)
            ad_info("%s is a CNAME: the record goes to %s", rec->name, target);
        rec->name = own(e, target);
        rec->zone = own(e, zone);
        if (!rec->name || !rec->zone) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
    next:;
    }
    rc = ad_is_interrupted() ? AD_ERR_INTERRUPTED : AD_OK;
out:
    ad_since(e->tm, AD_PH_LOCATE, t0);
    return rc;
}

/* Present the records, all of one provider together, one batch per zone. */
static ad_status present(struct eng *e)
{
    struct ad_mark t0 = ad_mark();
    struct ad_record **recs = calloc(e->nslots ? e->nslots : 1, sizeof *recs);
    size_t *which = calloc(e->nslots ? e->nslots : 1, sizeof *which);
    ad_status *rcs = calloc(e->nslots ? e->nslots : 1, sizeof *rcs), rc = AD_ERR_NOMEM;
    bool *done = calloc(e->nslots ? e->nslots : 1, sizeof *done);
    if (!recs || !which || !rcs || !done)
        goto out;
    rc = AD_OK;
    for (size_t i = 0; i < e->nslots && rc == AD_OK; i++) {
        struct ad_instance *in = e->slots[i].inst;
        size_t m = 0;
        if (done[i] || !e->slots[i].rec || !slot_needed(e, &e->slots[i]))
            continue;
        for (size_t k = i; k < e->nslots; k++)
            if (!done[k] && e->slots[k].inst == in && e->slots[k].rec && slot_needed(e, &e->slots[k])) {
                done[k] = true;
                e->slots[k].presented = true;
                recs[m] = e->slots[k].rec;
                which[m++] = k;
            }
        rc = ad_instance_present(e->set, in, recs, m, rcs);
        for (size_t k = 0; k < m; k++)
            if (rcs[k] != AD_OK)
                slot_fail(e, &e->slots[which[k]], rcs[k], "DNS update");
    }
    ad_kill_point("present");
out:
    free(recs);
    free(which);
    free(rcs);
    free(done);
    ad_since(e->tm, AD_PH_UPDATE, t0);
    return rc;
}

/* Fill ITEMS with the records to wait for (ZONE NULL: every zone). */
static size_t wait_items(struct eng *e, struct ad_dnscheck_item *items, size_t *which, const char *zone)
{
    size_t n = 0;
    for (size_t i = 0; i < e->nslots; i++) {
        struct ad_record *r = e->slots[i].rec;
        if (!r || !r->zone || !e->slots[i].presented || !slot_needed(e, &e->slots[i]) ||
            (zone && strcmp(zone, r->zone) != 0))
            continue;
        items[n] = (struct ad_dnscheck_item){r->name, r->zone, r->value};
        which[n++] = i;
    }
    return n;
}

static ad_status propagate(struct eng *e)
{
    struct ad_mark t0 = ad_mark();
    ad_status rc = AD_ERR_NOMEM;
    struct ad_dnscheck_item *items = calloc(e->nslots ? e->nslots : 1, sizeof *items);
    size_t *which = calloc(e->nslots ? e->nslots : 1, sizeof *which), n, zones = 0;
    if (!items || !which)
        goto out;
    rc = AD_OK;
    if (e->o->skip_propagation || !e->dc || (n = wait_items(e, items, which, NULL)) == 0)
        goto out;
    rc = ad_dnscheck_wait(e->dc, items, n, 53, e->o->propagation_timeout * 1000u);
    if (rc == AD_OK || rc == AD_ERR_INTERRUPTED || rc == AD_ERR_NOMEM)
        goto out;
    for (size_t k = 0; k < n; k++) {
        bool seen = false;
        for (size_t m = 0; m < k && !seen; m++)
            seen = strcmp(items[m].zone, items[k].zone) == 0;
        zones += !seen;
    }
    if (zones == 1) {
        for (size_t k = 0; k < n; k++)
            slot_fail(e, &e->slots[which[k]], rc, "propagation");
        rc = AD_OK;
        goto out;
    }
    /* Which zones failed: ask each again alone, briefly; the others go on. */
    for (size_t i = 0; i < e->nslots; i++) {
        struct ad_record *r = e->slots[i].rec;
        bool seen = false;
        if (!r || !r->zone || !e->slots[i].presented || !slot_needed(e, &e->slots[i]))
            continue;
        for (size_t k = 0; k < i && !seen; k++)
            seen = e->slots[k].rec && e->slots[k].rec->zone && strcmp(e->slots[k].rec->zone, r->zone) == 0;
        if (seen)
            continue;
        n = wait_items(e, items, which, r->zone);
        rc = ad_dnscheck_wait(e->dc, items, n, 53, AD_PROPAGATION_RECHECK_MS);
        if (rc == AD_ERR_INTERRUPTED || rc == AD_ERR_NOMEM)
            goto out;
        for (size_t k = 0; rc != AD_OK && k < n; k++)
            slot_fail(e, &e->slots[which[k]], rc, "propagation");
    }
    rc = AD_OK;
out:
    free(items);
    free(which);
    ad_since(e->tm, AD_PH_PROPAGATION, t0);
    return rc;
}

/* Ask the CA to validate, and wait for it. */
static ad_status validate(struct eng *e)
{
    struct ad_mark t0 = ad_mark();
    size_t *idx = calloc(e->nslots ? e->nslots : 1, sizeof *idx), n = 0, m = 0;
    ad_status *rcs = calloc(e->nslots ? e->nslots : 1, sizeof *rcs), rc = AD_ERR_NOMEM;
    if (!idx || !rcs)
        goto out;
    for (size_t i = 0; i < e->nslots; i++)
        if (slot_needed(e, &e->slots[i]))
            idx[n++] = i;
    if ((rc = ad_acme_respond(e->ca->acme, e->az, idx, n, rcs)) != AD_OK)
        goto out;
    for (size_t k = 0; k < n; k++) {
        if (rcs[k] != AD_OK)
            slot_fail(e, &e->slots[idx[k]], rcs[k], "validation");
        else
            idx[m++] = idx[k];
    }
    if ((rc = ad_acme_wait_authzs(e->ca->acme, e->az, idx, m, AD_AUTHZ_TIMEOUT_MS, rcs)) != AD_OK)
        goto out;
    size_t ok = 0;
    for (size_t k = 0; k < m; k++) {
        if (rcs[k] != AD_OK)
            slot_fail(e, &e->slots[idx[k]], rcs[k], "validation");
        else
            ok++;
    }
    ad_info("the CA validated %zu authorization(s)", ok);
out:
    free(idx);
    free(rcs);
    ad_since(e->tm, AD_PH_VALIDATION, t0);
    return rc;
}

/* Remove every record presented, whichever job it was for. */
static ad_status cleanup(struct eng *e)
{
    struct ad_mark t0 = ad_mark();
    struct ad_record **recs = calloc(e->nslots ? e->nslots : 1, sizeof *recs);
    ad_status rc = recs ? AD_OK : AD_ERR_NOMEM;
    for (size_t i = 0; recs && i < e->nslots; i++) {
        struct ad_instance *in = e->slots[i].inst;
        size_t m = 0;
        if (!e->slots[i].presented)
            continue;
        for (size_t k = i; k < e->nslots; k++)
            if (e->slots[k].presented && e->slots[k].inst == in) {
                e->slots[k].presented = false;
                recs[m++] = e->slots[k].rec;
            }
        ad_status c = ad_instance_cleanup(e->set, in, recs, m);
        if (c != AD_OK && rc == AD_OK)
            rc = c;
    }
    free(recs);
    ad_since(e->tm, AD_PH_CLEANUP, t0);
    return rc;
}

/* The files of a certificate: key, leaf, chain, leaf + chain. */
struct fileset {
    char *key, *cert, *chain, *full;
    struct ad_store_file f[4];
};

static void fileset_clear(struct fileset *fs)
{
    if (fs->key)
        memset(fs->key, 0, strlen(fs->key));
    free(fs->key);
    free(fs->cert);
    free(fs->chain);
    free(fs->full);
    memset(fs, 0, sizeof *fs);
}

static ad_status fileset_make(struct fileset *fs, EVP_PKEY *key)
{
    size_t len;
    ad_status rc = ad_key_to_pem(key, &fs->key, &len);
    if (rc != AD_OK)
        return rc;
    if (!(fs->full = ad_asprintf("%s%s", fs->cert, fs->chain)))
        return AD_ERR_NOMEM;
    const struct ad_store_file f[4] = {
        {"privkey.pem", fs->key, strlen(fs->key), 0600},
        {"cert.pem", fs->cert, strlen(fs->cert), 0644},
        {"chain.pem", fs->chain, strlen(fs->chain), 0644},
        {"fullchain.pem", fs->full, strlen(fs->full), 0644},
    };
    memcpy(fs->f, f, sizeof f);
    return AD_OK;
}

/* Write the files of JOBS[WHICH[0..n)] (all at once: one flush of the file
 * system for all of them). */
static ad_status write_all(struct eng *e, const size_t *which, struct fileset *fs, size_t n)
{
    struct ad_store_set *sets = calloc(n ? n : 1, sizeof *sets);
    ad_status *rcs = calloc(n ? n : 1, sizeof *rcs), rc = AD_ERR_NOMEM;
    size_t m = 0;
    size_t *idx = calloc(n ? n : 1, sizeof *idx);
    if (!sets || !rcs || !idx)
        goto out;
    for (size_t k = 0; k < n; k++) {
        struct ad_job *j = &e->jobs[which[k]];
        ad_status r = ad_store_mkdirs(j->cert_dir, 0755);
        if (r == AD_OK)
            r = fileset_make(&fs[k], e->keys[which[k]]);
        if (r != AD_OK) {
            if (r == AD_ERR_NOMEM)
                goto out;
            job_fail(j, r, "writing the files");
            continue;
        }
        sets[m] = (struct ad_store_set){j->cert_dir, fs[k].f, 4};
        idx[m++] = k;
    }
    if ((rc = ad_store_write_sets(sets, m, rcs)) != AD_OK)
        goto out;
    for (size_t i = 0; i < m; i++) {
        size_t k = idx[i];
        struct ad_job *j = &e->jobs[which[k]];
        if (rcs[i] != AD_OK) {
            job_fail(j, rcs[i], "writing the files");
            continue;
        }
        j->cert = fs[k].cert;
        fs[k].cert = NULL;
        if (e->o->announce) {
            const char *dir = j->cert_dir;
            printf("certificate for %s%s written to %s/\n", j->domains[0], j->ndomains > 1 ? " and others" : "", dir);
            printf("  %s/fullchain.pem\n  %s/privkey.pem\n  %s/cert.pem\n  %s/chain.pem\n", dir, dir, dir, dir);
            fflush(stdout);
        }
    }
out:
    free(sets);
    free(rcs);
    free(idx);
    return rc;
}

/* Keys, CSRs, finalization, downloads and the files of every live job. */
static ad_status finish(struct eng *e)
{
    struct ad_mark t0 = ad_mark();
    size_t n = e->n ? e->n : 1, m = 0, d = 0;
    struct ad_order **ords = calloc(n, sizeof *ords);
    char **csrs = calloc(n, sizeof *csrs), **pems = calloc(n, sizeof *pems);
    const char **whats = calloc(n, sizeof *whats);
    size_t *lens = calloc(n, sizeof *lens), *which = calloc(n, sizeof *which);
    ad_status *rcs = calloc(n, sizeof *rcs), rc = AD_ERR_NOMEM;
    struct fileset *fs = calloc(n, sizeof *fs);
    if (!ords || !csrs || !whats || !pems || !lens || !which || !rcs || !fs)
        goto out;
    for (size_t i = 0; i < e->n; i++) {
        struct ad_job *j = &e->jobs[i];
        if (!alive(j))
            continue;
        if ((rc = ad_key_generate((enum ad_key_type)j->key_type, &e->keys[i])) != AD_OK ||
            (rc = ad_csr_make(e->keys[i], (const char *const *)j->domains, j->ndomains, &csrs[m])) != AD_OK) {
            if (rc == AD_ERR_NOMEM)
                goto out;
            job_fail(j, rc, "finalize");
            continue;
        }
        whats[m] = j->cert_name;
        ords[m] = &e->orders[i].order;
        which[m++] = i;
    }
    if ((rc = ad_acme_finalize(e->ca->acme, ords, (const char *const *)csrs, whats, m, AD_ORDER_TIMEOUT_MS, rcs)) !=
        AD_OK)
        goto out;
    ad_since(e->tm, AD_PH_FINALIZE, t0);
    t0 = ad_mark();
    for (size_t k = 0; k < m; k++) { /* the ones the CA issued, to download */
        if (rcs[k] != AD_OK) {
            job_fail(&e->jobs[which[k]], rcs[k], "finalize");
            continue;
        }
        ords[d] = ords[k];
        whats[d] = whats[k];
        which[d++] = which[k];
    }
    if ((rc = ad_acme_download(e->ca->acme, ords, whats, d, pems, lens, rcs)) != AD_OK)
        goto out;
    size_t w = 0;
    for (size_t k = 0; k < d; k++) { /* the certificates the CA sent and that check out */
        struct ad_job *j = &e->jobs[which[k]];
        ad_status r = rcs[k];
        if (r == AD_OK)
            r = ad_cert_check(pems[k], lens[k], e->keys[which[k]], (const char *const *)j->domains, j->ndomains,
                              &fs[w].cert, &fs[w].chain);
        if (r != AD_OK) {
            job_fail(j, r, "download");
            continue;
        }
        which[w++] = which[k];
    }
    if ((rc = write_all(e, which, fs, w)) != AD_OK)
        goto out;
    ad_kill_point("written");
    ad_since(e->tm, AD_PH_DOWNLOAD, t0);
    rc = AD_OK;
out:
    for (size_t k = 0; k < e->n; k++) {
        if (csrs)
            free(csrs[k]);
        if (pems)
            free(pems[k]);
        if (fs)
            fileset_clear(&fs[k]);
    }
    free(fs);
    free(ords);
    free(csrs);
    free(whats);
    free(pems);
    free(lens);
    free(which);
    free(rcs);
    return rc;
}

ad_status ad_obtain(struct ad_ca *ca, struct ad_instances *set, const struct ad_obtain_opts *o, struct ad_job *jobs,
                    size_t n, struct ad_timings *tm)
{
    struct eng e = {.ca = ca, .set = set, .o = o, .jobs = jobs, .n = n, .tm = tm};
    ad_status rc = AD_ERR_NOMEM, c;
    for (size_t i = 0; i < n; i++) {
        jobs[i].rc = AD_OK;
        jobs[i].phase = NULL;
        jobs[i].cert = NULL;
        jobs[i].replaced = false;
        if (!jobs[i].inst->prov)
            job_fail(&jobs[i], jobs[i].inst->rc, "provider");
    }
    if (!(e.orders = calloc(n ? n : 1, sizeof *e.orders)) || !(e.keys = calloc(n ? n : 1, sizeof *e.keys)))
        goto out;
    if ((rc = orders(&e)) != AD_OK || (rc = authorizations(&e)) != AD_OK || (rc = records(&e)) != AD_OK ||
        (rc = present(&e)) != AD_OK || (rc = propagate(&e)) != AD_OK || (rc = validate(&e)) != AD_OK)
        goto out;
    c = cleanup(&e);
    rc = finish(&e);
    if (rc == AD_OK)
        rc = c;
out:
    if (rc != AD_OK && ad_is_interrupted())
        rc = AD_ERR_INTERRUPTED;
    c = cleanup(&e); /* after a failure above; nothing left to do otherwise */
    if (rc == AD_OK)
        rc = c;
    for (size_t i = 0; i < n; i++)
        if (rc == AD_ERR_INTERRUPTED || rc == AD_ERR_NOMEM)
            job_fail(&jobs[i], rc, "interrupted");
    for (size_t i = 0; i < e.nslots; i++) {
        free(e.slots[i].rec);
        ad_authz_clear(&e.az[i]);
    }
    free(e.slots);
    free(e.az);
    free(e.pairs);
    for (size_t i = 0; i < e.nowned; i++)
        free(e.owned[i]);
    free(e.owned);
    for (size_t i = 0; e.orders && i < n; i++)
        ad_order_clear(&e.orders[i].order);
    free(e.orders);
    for (size_t i = 0; e.keys && i < n; i++)
        EVP_PKEY_free(e.keys[i]);
    free(e.keys);
    ad_dnscheck_free(e.dc);
    return rc;
}

/* ------------------------------------------------------------------ issue */

static char *absolute(const char *path)
{
    char *r = realpath(path, NULL);
    return r ? r : strdup(path);
}

/* What CLI asked for, as settings.json keeps it (the provider as IN saves it). */
static ad_status settings_from_cli(const struct ad_cli *cli, const struct ad_instance *in, struct ad_settings *s)
{
    memset(s, 0, sizeof *s);
    if (!(s->domains = calloc(cli->ndomains, sizeof *s->domains)) || !(s->server = strdup(cli->server)) ||
        (cli->ca_bundle && !(s->ca_bundle = absolute(cli->ca_bundle))) ||
        (cli->email && !(s->email = strdup(cli->email))))
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < cli->ndomains; i++)
        if (!(s->domains[s->ndomains++] = strdup(cli->domains[i])))
            return AD_ERR_NOMEM;
    s->key_type = cli->key_type;
    s->agree_tos = cli->agree_tos;
    s->account_key_type = cli->account_key_type;
    if (ad_provider_conf_copy(&in->conf, &s->provider) != AD_OK ||
        !(s->resolvers = calloc(cli->nresolvers + 1, sizeof *s->resolvers)) ||
        !(s->deploy_hook = calloc(cli->ndeploy_hook + 1, sizeof *s->deploy_hook)))
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < cli->nresolvers; i++)
        if (!(s->resolvers[s->nresolvers++] = strdup(cli->resolvers[i])))
            return AD_ERR_NOMEM;
    s->propagation_timeout = cli->propagation_timeout;
    s->skip_propagation = cli->skip_propagation;
    for (size_t i = 0; i < cli->ndeploy_hook; i++)
        if (!(s->deploy_hook[s->ndeploy_hook++] = i == 0 && strchr(cli->deploy_hook[0], '/')
                                                      ? absolute(cli->deploy_hook[0])
                                                      : strdup(cli->deploy_hook[i])))
            return AD_ERR_NOMEM;
    return AD_OK;
}

ad_status ad_issue_run(const struct ad_cli *cli, const char *state_dir, int *exit_code)
{
    struct ad_timings tm;
    struct ad_instances *set = NULL;
    struct ad_instance *in = NULL;
    struct ad_ca *ca = NULL;
    struct ad_settings s = {0};
    struct ad_renewal_state st = {0};
    char *dir = NULL;
    ad_status rc;
    struct ad_job job = {0};

    ad_timings_start(&tm);
    *exit_code = -1;
    if ((rc = ad_instances_new(state_dir, cli->plugin_dirs, cli->nplugin_dirs, NULL, cli->verbosity, &set)) !=
            AD_OK ||
        (rc = ad_instances_from_cli(set, cli, &in)) != AD_OK || (rc = ad_instances_recover(set)) != AD_OK)
        goto out;
    if (!in->prov) { /* it could not remove what an earlier run left */
        rc = in->rc;
        goto out;
    }
    if ((rc = settings_from_cli(cli, in, &s)) != AD_OK)
        goto out;
    if (!(dir = ad_asprintf("%s/certs/%s", state_dir, cli->cert_name))) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    if ((rc = ad_store_check(dir)) != AD_OK) /* before the CA does any work for it */
        goto out;
    struct ad_mark t0 = ad_mark();
    if ((rc = ad_ca_open(cli->server, cli->ca_bundle, cli->http_timeout, &ca)) != AD_OK ||
        (rc = ad_ca_account(ca, state_dir, cli->email, cli->agree_tos, cli->account_key_type)) != AD_OK)
        goto out;
    ad_kill_point("account");
    ad_since(&tm, AD_PH_ACCOUNT, t0);
    job = (struct ad_job){.cert_name = cli->cert_name, .cert_dir = dir, .domains = cli->domains,
                          .ndomains = cli->ndomains, .key_type = cli->key_type, .inst = in};
    const struct ad_obtain_opts o = {cli->resolvers, cli->nresolvers, cli->propagation_timeout, cli->skip_propagation,
                                     true};
    rc = ad_obtain(ca, set, &o, &job, 1, &tm);
    if (rc == AD_OK)
        rc = job.rc;
    if (job.rc == AD_OK) {
        /* The certificate is in place: its settings, a fresh renewal state, the hook. */
        ad_status w = ad_settings_save(dir, &s);
        if (w == AD_OK)
            w = ad_state_save(dir, &st);
        if (w != AD_OK)
            ad_err("the certificate was written, but its settings could not be saved in %s: renew cannot renew it "
                   "until an issue succeeds in saving them",
                   dir);
        if (rc == AD_OK)
            rc = w;
        if (w == AD_OK && ad_acme_renewal_info(ca->acme)) { /* the CA's window, right away (RFC 9773 4.3) */
            struct ad_cert_info ci;
            if (ad_cert_info_parse(job.cert, strlen(job.cert), &ci) == AD_OK && ci.ari_id) {
                struct ad_ari_item it = {cli->cert_name, dir, ci.ari_id, &st, false};
                struct ad_mark t1 = ad_mark();
                ad_ari_check(ca->acme, &it, 1, ad_wall_now());
                ad_since(&tm, AD_PH_RENEWAL_INFO, t1);
            }
            ad_cert_info_clear(&ci);
        }
        if (s.ndeploy_hook) {
            int status;
            ad_status h = ad_deploy_run(s.deploy_hook, s.ndeploy_hook, cli->cert_name, dir,
                                        (const char *const *)cli->domains, cli->ndomains, AD_DEPLOY_TIMEOUT_S, &status);
            if (h == AD_ERR_INTERRUPTED && rc == AD_OK)
                rc = h;
            else if (h != AD_OK && rc == AD_OK)
                *exit_code = AD_EXIT_HOOK;
        }
    }
out:
    if (cli->timings || cli->verbosity >= 2) {
        struct ad_http_figures hf = {0};
        ad_http_figures_add(&hf, ca ? ca->http : NULL);
        ad_timings_print(&tm, &hf, stderr);
    }
    free(job.cert);
    ad_settings_clear(&s);
    ad_state_clear(&st);
    ad_ca_free(ca);
    ad_instances_free(set);
    free(dir);
    return rc;
}

ad_status ad_issue_directory(const struct ad_cli *cli)
{
    struct ad_ca *ca = NULL;
    ad_status rc = ad_ca_open(cli->server, cli->ca_bundle, cli->http_timeout, &ca);
    if (rc == AD_OK) {
        ad_acme_describe(ca->acme, stdout);
        fflush(stdout);
    }
    ad_ca_free(ca);
    return rc;
}
