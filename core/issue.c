#include "issue.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ari.h"
#include "account.h"
#include "cert.h"
#include "chain.h"
#include "csr.h"
#include "deploy.h"
#include "dnscheck.h"
#include "http.h"
#include "jws.h"
#include "killpoint.h"
#include "log.h"
#include "report.h"
#include "settings.h"
#include "store.h"
#include "util.h"
#include "walltime.h"

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

/* ------------------------------------------------------------------ the flow */

/* One authorization, shared by every job whose order lists it. */
struct slot {
    ad_status rc;
    struct ad_record *rec;       /* its TXT record, or NULL when already valid */
    struct ad_instance *inst;    /* the provider that presents it */
    bool presented;
    size_t first, last;          /* its jobs: pairs[first..last) */
    size_t round;                /* see rounds() */
    uint64_t rank;               /* its first job and that job's name: the order providers present in */
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
    size_t round;                 /* the round being presented and validated */
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
        e->orders[i].profile = e->jobs[i].profile;
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

/* The provider of slot S (authorization AZ): that of its name in its first
 * job, and its rank (the job, then the name's place on its command line). */
static void slot_provider(struct eng *e, struct slot *s, const struct ad_authz *az)
{
    const struct pair *p = &e->pairs[s->first];
    const struct ad_job *j = &e->jobs[p->job];
    s->inst = j->inst;
    s->rank = (uint64_t)p->job * 1000 + 999;
    for (size_t d = 0; az->domain && d < j->ndomains; d++) {
        const char *n = j->domains[d];
        bool wild = strncmp(n, "*.", 2) == 0;
        if (wild == az->wildcard && strcmp(wild ? n + 2 : n, az->domain) == 0) {
            if (j->insts && j->insts[d])
                s->inst = j->insts[d];
            s->rank = (uint64_t)p->job * 1000 + (d < 999 ? d : 998);
            return;
        }
    }
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
    for (size_t i = 0; i < e->nslots; i++) {
        if (rcs[i] != AD_OK)
            slot_fail(e, &e->slots[i], rcs[i], "authorizations");
        else
            slot_provider(e, &e->slots[i], &e->az[i]);
    }
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
            !(rec->name = own(e, ad_asprintf("_acme-challenge.%s", az->domain))) ||
            !(rec->token = own(e, strdup(az->token))))
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

struct ranked {
    uint64_t rank;
    size_t slot;
};

static int ranked_cmp(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    return x->rank != y->rank ? (x->rank > y->rank) - (x->rank < y->rank) : (x->slot > y->slot) - (x->slot < y->slot);
}

/* The slots in the order their providers present and remove records.
 * Caller frees. */
static struct ranked *rank_order(const struct eng *e)
{
    struct ranked *order = calloc(e->nslots ? e->nslots : 1, sizeof *order);
    if (!order)
        return NULL;
    for (size_t i = 0; i < e->nslots; i++)
        order[i] = (struct ranked){e->slots[i].rank, i};
    qsort(order, e->nslots, sizeof *order, ranked_cmp);
    return order;
}

/* Present the records, all of one provider together, one batch per zone;
 * the providers in the order their names were given. */
static ad_status present(struct eng *e)
{
    struct ad_mark t0 = ad_mark();
    struct ad_record **recs = calloc(e->nslots ? e->nslots : 1, sizeof *recs);
    size_t *which = calloc(e->nslots ? e->nslots : 1, sizeof *which);
    ad_status *rcs = calloc(e->nslots ? e->nslots : 1, sizeof *rcs), rc = AD_ERR_NOMEM;
    bool *done = calloc(e->nslots ? e->nslots : 1, sizeof *done);
    struct ranked *order = rank_order(e);
    if (!recs || !which || !rcs || !done || !order)
        goto out;
    rc = AD_OK;
    for (size_t o = 0; o < e->nslots && rc == AD_OK; o++) {
        size_t i = order[o].slot;
        struct ad_instance *in = e->slots[i].inst;
        size_t m = 0;
        if (done[i] || !e->slots[i].rec || e->slots[i].round != e->round || !slot_needed(e, &e->slots[i]))
            continue;
        for (size_t q = o; q < e->nslots; q++) {
            size_t k = order[q].slot;
            if (!done[k] && e->slots[k].inst == in && e->slots[k].rec && e->slots[k].round == e->round &&
                slot_needed(e, &e->slots[k])) {
                done[k] = true;
                e->slots[k].presented = true;
                recs[m] = e->slots[k].rec;
                which[m++] = k;
            }
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
    free(order);
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
        if (slot_needed(e, &e->slots[i]) && e->slots[i].round == e->round)
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
        if (rcs[k] != AD_OK) {
            slot_fail(e, &e->slots[idx[k]], rcs[k], "validation");
            continue;
        }
        ok++;
        if (e->slots[idx[k]].rec) /* for the plugin's cleanup (ABI 1.2) */
            e->slots[idx[k]].rec->validated = 1;
    }
    ad_info("the CA validated %zu authorization(s)", ok);
out:
    free(idx);
    free(rcs);
    ad_since(e->tm, AD_PH_VALIDATION, t0);
    return rc;
}

/* Values one after the other: a provider started with
 * AD_PROVIDER_ONE_VALUE_PER_NAME gets the K-th value of a name in round K
 * (each round: present, propagation, validation, clean-up); every other
 * record, and every authorization already valid, is in round 0.  Returns
 * the number of rounds (1 when no provider asks for this). */
static size_t rounds(struct eng *e)
{
    size_t n = 1;
    for (size_t i = 0; i < e->nslots; i++) {
        struct slot *s = &e->slots[i];
        s->round = 0;
        if (!s->rec || !s->inst->prov || !slot_needed(e, s) ||
            !(ad_provider_flags(s->inst->prov) & AD_PROVIDER_ONE_VALUE_PER_NAME))
            continue;
        for (size_t k = 0; k < i; k++)
            s->round += e->slots[k].rec && e->slots[k].inst == s->inst && slot_needed(e, &e->slots[k]) &&
                        strcmp(e->slots[k].rec->name, s->rec->name) == 0;
        if (s->round >= n)
            n = s->round + 1;
    }
    if (n > 1)
        ad_debug("%zu rounds: the provider takes one value per name at a time", n);
    return n;
}

/* Remove every record presented, whichever job it was for. */
static ad_status cleanup(struct eng *e)
{
    struct ad_mark t0 = ad_mark();
    struct ad_record **recs = calloc(e->nslots ? e->nslots : 1, sizeof *recs);
    struct ranked *order = rank_order(e);
    ad_status rc = recs && order ? AD_OK : AD_ERR_NOMEM;
    for (size_t o = 0; recs && order && o < e->nslots; o++) {
        size_t i = order[o].slot;
        struct ad_instance *in = e->slots[i].inst;
        size_t m = 0;
        if (!e->slots[i].presented)
            continue;
        for (size_t q = o; q < e->nslots; q++) {
            size_t k = order[q].slot;
            if (e->slots[k].presented && e->slots[k].inst == in) {
                e->slots[k].presented = false;
                recs[m++] = e->slots[k].rec;
            }
        }
        ad_status c = ad_instance_cleanup(e->set, in, recs, m);
        if (c != AD_OK && rc == AD_OK)
            rc = c;
    }
    free(recs);
    free(order);
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

/* The key of J's new certificate: its current one with reuse_key, else new. */
static ad_status cert_key(const struct ad_job *j, EVP_PKEY **key)
{
    char *path = ad_asprintf("%s/privkey.pem", j->cert_dir);
    bool kept = false;
    ad_status rc = path ? ad_key_for_cert(path, (enum ad_key_type)j->key_type, j->reuse_key, key, &kept)
                        : AD_ERR_NOMEM;
    if (kept)
        ad_info("%s: keeping its private key (%s, --reuse-key)", j->cert_name, path);
    free(path);
    return rc;
}

/* The preferred chain of each downloaded certificate (JOBS[WHICH[k]]). */
static ad_status prefer_chains(struct eng *e, struct ad_order *const *ords, const char *const *whats,
                               const size_t *which, size_t n, char **pems, size_t *lens, const ad_status *rcs)
{
    const char **prefs = calloc(n ? n : 1, sizeof *prefs);
    if (!prefs)
        return AD_ERR_NOMEM;
    for (size_t k = 0; k < n; k++)
        prefs[k] = e->jobs[which[k]].preferred_chain;
    ad_status rc = ad_chain_prefer(e->ca->acme, ords, prefs, whats, n, pems, lens, rcs);
    free(prefs);
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
        if ((rc = cert_key(j, &e->keys[i])) != AD_OK ||
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
    if ((rc = ad_acme_download(e->ca->acme, ords, whats, d, pems, lens, rcs)) != AD_OK ||
        (rc = prefer_chains(e, ords, whats, which, d, pems, lens, rcs)) != AD_OK)
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
    ad_status rc = AD_ERR_NOMEM, c, between = AD_OK;
    for (size_t i = 0; i < n; i++) {
        jobs[i].rc = AD_OK;
        jobs[i].phase = NULL;
        jobs[i].cert = NULL;
        jobs[i].replaced = false;
        if (!jobs[i].inst->prov)
            job_fail(&jobs[i], jobs[i].inst->rc, "provider");
        for (size_t d = 0; jobs[i].insts && d < jobs[i].ndomains; d++)
            if (jobs[i].insts[d] && !jobs[i].insts[d]->prov)
                job_fail(&jobs[i], jobs[i].insts[d]->rc, "provider");
    }
    if (!(e.orders = calloc(n ? n : 1, sizeof *e.orders)) || !(e.keys = calloc(n ? n : 1, sizeof *e.keys)))
        goto out;
    if ((rc = orders(&e)) != AD_OK || (rc = authorizations(&e)) != AD_OK || (rc = records(&e)) != AD_OK)
        goto out;
    for (size_t nr = rounds(&e); e.round < nr; e.round++) {
        if ((rc = present(&e)) != AD_OK || (rc = propagate(&e)) != AD_OK || (rc = validate(&e)) != AD_OK)
            goto out;
        if (e.round + 1 < nr && (c = cleanup(&e)) != AD_OK && between == AD_OK)
            between = c; /* the next round goes on, as the last clean-up does */
    }
    c = cleanup(&e);
    rc = finish(&e);
    if (rc == AD_OK)
        rc = c != AD_OK ? c : between;
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

/* Profile, preferred chain, key reuse, and the external account binding
 * with where its HMAC key is (never the key). */
static ad_status settings_ca_features(const struct ad_cli *cli, struct ad_settings *s)
{
    s->reuse_key = cli->reuse_key;
    if ((cli->profile && !(s->profile = strdup(cli->profile))) ||
        (cli->preferred_chain && !(s->preferred_chain = strdup(cli->preferred_chain))))
        return AD_ERR_NOMEM;
    if (!cli->eab_kid)
        return AD_OK;
    if (!(s->eab_kid = strdup(cli->eab_kid)) ||
        (cli->eab_key_file ? !(s->eab_key_file = absolute(cli->eab_key_file)) : !(s->eab_key_env = strdup(AD_EAB_KEY_ENV))))
        return AD_ERR_NOMEM;
    return AD_OK;
}

/* What CLI asked for, as settings.json keeps it (each name's provider as
 * INSTS[i] saves it). */
static ad_status settings_from_cli(const struct ad_cli *cli, struct ad_instance *const *insts, struct ad_settings *s)
{
    const struct ad_instance *in = insts[0];
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
    /* Names at several providers: each distinct one after the first, in order. */
    const struct ad_instance **seen = calloc(cli->ndomains, sizeof *seen);
    size_t nseen = 0;
    if (!seen || !(s->domain_provider = calloc(cli->ndomains, sizeof *s->domain_provider)) ||
        !(s->extra = calloc(cli->ndomains, sizeof *s->extra))) {
        free(seen);
        return AD_ERR_NOMEM;
    }
    for (size_t i = 0; i < cli->ndomains; i++) {
        size_t k = 0;
        while (k < nseen && seen[k] != insts[i])
            k++;
        if (k == nseen) {
            seen[nseen++] = insts[i];
            if (k > 0 && ad_provider_conf_copy(&insts[i]->conf, &s->extra[s->nextra++]) != AD_OK) {
                free(seen);
                return AD_ERR_NOMEM;
            }
        }
        s->domain_provider[i] = k;
    }
    free(seen);
    return settings_ca_features(cli, s);
}

/* --eab-kid's HMAC key can be read and decoded, before the CA is asked. */
static ad_status eab_key_check(const struct ad_cli *cli)
{
    uint8_t *key = NULL;
    size_t len = 0;
    if (!cli->eab_kid)
        return AD_OK;
    const struct ad_eab eab = {cli->eab_kid, cli->eab_key_file, NULL};
    ad_status rc = ad_eab_key(&eab, &key, &len);
    if (key)
        OPENSSL_cleanse(key, len);
    free(key);
    return rc;
}

/* PROFILE (or NULL) is one the CA offers: refused before any order. */
static ad_status profile_check(const struct ad_ca *ca, const char *profile)
{
    char *why = NULL;
    ad_status rc = profile ? ad_acme_profile_check(ca->acme, profile, &why) : AD_OK;
    if (rc == AD_ERR_USAGE)
        ad_err("--profile %s: %s", profile, why);
    free(why);
    return rc;
}

/* issue --json: the certificate (names, files, not-after), its providers,
 * the outcome and the timings.  PHASE: where a failure before the order
 * happened; HOOK: the deploy hook's exit status, or -1. */
static void issue_json(const struct ad_cli *cli, const char *dir, const struct ad_job *job, const char *phase,
                       ad_status rc, int exit_code, int hook, const struct ad_timings *tm,
                       const struct ad_http_figures *hf)
{
    json_object *o = json_object_new_object(), *c = json_object_new_object(), *provs = json_object_new_array();
    struct ad_cert_info ci = {0};
    bool written = job->cert != NULL;
    if (!o || !c || !provs) {
        json_object_put(o);
        json_object_put(c);
        json_object_put(provs);
        return;
    }
    ad_json_str(o, "command", "issue");
    json_object_object_add(o, "outcome", json_object_new_string(written ? "issued" : "failed"));
    ad_json_str(c, "name", cli->cert_name);
    json_object_object_add(c, "domains", ad_json_strs(cli->domains, cli->ndomains));
    for (size_t k = 0; k < cli->nproviders; k++) {
        json_object *p = json_object_new_object(), *d = json_object_new_array();
        for (size_t i = 0; d && i < cli->ndomains; i++)
            if (cli->domain_provider[i] == k)
                json_object_array_add(d, json_object_new_string(cli->domains[i]));
        if (p) {
            ad_json_str(p, "name", cli->providers[k].name);
            json_object_object_add(p, "domains", d);
            json_object_array_add(provs, p);
        } else {
            json_object_put(d);
        }
    }
    json_object_object_add(c, "providers", provs);
    if (written && dir) {
        json_object *f = json_object_new_object();
        static const char *const files[][2] = {{"privkey", "privkey.pem"}, {"cert", "cert.pem"},
                                               {"chain", "chain.pem"}, {"fullchain", "fullchain.pem"}};
        ad_json_str(c, "directory", dir);
        for (size_t i = 0; f && i < 4; i++) {
            char *path = ad_asprintf("%s/%s", dir, files[i][1]);
            ad_json_str(f, files[i][0], path);
            free(path);
        }
        json_object_object_add(c, "files", f);
        if (ad_cert_info_parse(job->cert, strlen(job->cert), &ci) == AD_OK) {
            ad_json_time(c, "not_before", ci.not_before);
            ad_json_time(c, "not_after", ci.not_after);
            ad_json_str(c, "serial", ci.serial);
        }
    }
    json_object_object_add(o, "certificate", c);
    if (hook >= 0)
        json_object_object_add(o, "deploy_hook_exit_status", json_object_new_int(hook));
    int status = rc == AD_OK && exit_code > 0 ? exit_code : ad_exit_code(rc);
    if (status != 0 || rc != AD_OK) {
        ad_json_str(o, "error", rc != AD_OK ? ad_strerror(rc) : "the deploy hook failed");
        ad_json_str(o, "phase", job->phase ? job->phase : phase ? phase : rc == AD_OK ? "deploy hook" : NULL);
    }
    json_object_object_add(o, "exit_status", json_object_new_int(status));
    json_object_object_add(o, "timings_ms", ad_json_timings(tm, hf));
    ad_cert_info_clear(&ci);
    ad_json_print(o);
}

ad_status ad_issue_run(const struct ad_cli *cli, const char *state_dir, int *exit_code)
{
    struct ad_timings tm;
    struct ad_instances *set = NULL;
    struct ad_instance **insts = NULL;
    struct ad_ca *ca = NULL;
    struct ad_settings s = {0};
    struct ad_renewal_state st = {0};
    char *dir = NULL;
    ad_status rc;
    struct ad_job job = {0};
    const char *phase = "provider";
    int hook = -1;

    ad_timings_start(&tm);
    *exit_code = -1;
    if (!(insts = calloc(cli->ndomains ? cli->ndomains : 1, sizeof *insts))) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    if ((rc = ad_instances_new(state_dir, cli->plugin_dirs, cli->nplugin_dirs, NULL, cli->verbosity, &set)) !=
            AD_OK ||
        (rc = ad_instances_from_cli_all(set, cli, insts)) != AD_OK || (rc = ad_instances_recover(set)) != AD_OK)
        goto out;
    for (size_t i = 0; i < cli->ndomains; i++)
        if (!insts[i]->prov) { /* it could not remove what an earlier run left */
            rc = insts[i]->rc;
            goto out;
        }
    if ((rc = settings_from_cli(cli, insts, &s)) != AD_OK)
        goto out;
    if (!(dir = ad_asprintf("%s/certs/%s", state_dir, cli->cert_name))) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    if ((rc = eab_key_check(cli)) != AD_OK)
        goto out;
    if ((rc = ad_store_check(dir)) != AD_OK) /* before the CA does any work for it */
        goto out;
    struct ad_mark t0 = ad_mark();
    const struct ad_account_opts ao = {cli->email, cli->agree_tos, cli->account_key_type,
                                       {cli->eab_kid, cli->eab_key_file, NULL}, true, true};
    phase = "account";
    if ((rc = ad_ca_open(cli->server, cli->ca_bundle, cli->http_timeout, &ca)) != AD_OK ||
        (rc = profile_check(ca, cli->profile)) != AD_OK || (rc = ad_account_open(ca, state_dir, &ao)) != AD_OK)
        goto out;
    ad_kill_point("account");
    ad_since(&tm, AD_PH_ACCOUNT, t0);
    job = (struct ad_job){.cert_name = cli->cert_name, .cert_dir = dir, .domains = cli->domains,
                          .ndomains = cli->ndomains, .key_type = cli->key_type, .inst = insts[0],
                          .insts = s.nextra ? insts : NULL, .profile = cli->profile,
                          .preferred_chain = cli->preferred_chain, .reuse_key = cli->reuse_key};
    const struct ad_obtain_opts o = {cli->resolvers, cli->nresolvers, cli->propagation_timeout, cli->skip_propagation,
                                     cli->verbosity > 0 && !cli->json};
    phase = NULL;
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
            ad_status h = ad_deploy_run(s.deploy_hook, s.ndeploy_hook, cli->cert_name, dir,
                                        (const char *const *)cli->domains, cli->ndomains, AD_DEPLOY_TIMEOUT_S, &hook);
            if (h == AD_ERR_INTERRUPTED && rc == AD_OK)
                rc = h;
            else if (h != AD_OK && rc == AD_OK)
                *exit_code = AD_EXIT_HOOK;
        }
    }
out:
    if (cli->timings || cli->verbosity >= 2 || cli->json) {
        struct ad_http_figures hf = {0};
        ad_http_figures_add(&hf, ca ? ca->http : NULL);
        if (cli->timings || cli->verbosity >= 2)
            ad_timings_print(&tm, &hf, stderr);
        if (cli->json)
            issue_json(cli, dir, &job, phase, rc, *exit_code, hook, &tm, &hf);
    }
    free(job.cert);
    ad_settings_clear(&s);
    ad_state_clear(&st);
    ad_ca_free(ca);
    ad_instances_free(set);
    free(insts);
    free(dir);
    return rc;
}

ad_status ad_issue_directory(const struct ad_cli *cli)
{
    struct ad_ca *ca = NULL;
    ad_status rc = ad_ca_open(cli->server, cli->ca_bundle, cli->http_timeout, &ca);
    if (cli->json) {
        json_object *o = json_object_new_object();
        if (o) {
            ad_json_str(o, "command", "directory");
            ad_json_str(o, "server", cli->server);
            json_object_object_add(o, "directory", rc == AD_OK ? ad_acme_describe_json(ca->acme) : NULL);
            if (rc != AD_OK)
                ad_json_str(o, "error", ad_strerror(rc));
            json_object_object_add(o, "exit_status", json_object_new_int(ad_exit_code(rc)));
        }
        ad_json_print(o);
    } else if (rc == AD_OK && cli->verbosity > 0) {
        ad_acme_describe(ca->acme, stdout);
        fflush(stdout);
    }
    ad_ca_free(ca);
    return rc;
}
