#include "check.h"

#include <json-c/json.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "dnscheck.h"
#include "log.h"
#include "providers.h"
#include "report.h"
#include "util.h"

/* Why a name failed: the JSON key and the words for people. */
enum why { W_NONE, W_CREDENTIALS, W_PROVIDER, W_LOOKUP, W_UNREACHABLE, W_NOT_UPDATED, W_CLEANUP, W_STILL,
           W_INTERRUPTED };
static const char *const why_key[] = {NULL, "credentials", "provider", "lookup", "unreachable", "not_updated",
                                      "cleanup", "still_served", "interrupted"};
static const char *const why_text[] = {
    NULL,
    "the provider refused the credentials",
    "the provider could not add the record",
    "the DNS look-up failed",
    "port 53 of an authoritative name server did not answer",
    "an authoritative name server never served the record",
    "the provider could not remove the record (its journal keeps it, and the next run removes it)",
    "an authoritative name server still served the record after it was removed",
    "interrupted",
};

struct name {
    const char *domain;         /* as given (borrowed from the command line) */
    struct ad_instance *in;
    struct ad_record rec;       /* its strings are the ones below */
    char *qname, *target, *zone, *value;
    ad_status rc;
    enum why why;
    char *detail;               /* more about the failure, or NULL */
    uint64_t lookup_ms, present_ms, cleanup_ms;
    bool presented, removed, waited;
};

struct run {
    const struct ad_cli *cli;
    struct ad_instances *set;
    struct name *v;
    size_t n;
    struct ad_dnscheck *dc;
    struct ad_dnscheck_result *served, *gone; /* per item of each wait and server */
    size_t nserved, ngone;
    size_t *served_name, *gone_name;          /* item -> name */
};

static void name_fail(struct name *nm, ad_status rc, enum why why, char *detail)
{
    if (nm->rc == AD_OK) {
        nm->rc = rc;
        nm->why = why;
        free(nm->detail);
        nm->detail = detail;
    } else {
        free(detail);
    }
}

/* A random test value like a dns-01 one: 43 base64url characters. */
static char *test_value(void)
{
    uint8_t b[32];
    if (RAND_bytes(b, sizeof b) != 1)
        return NULL;
    return ad_b64url_encode(b, sizeof b);
}

/* CNAMEs and the zone of each name's record (apex and wildcard share one). */
static ad_status lookups(struct run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct name *nm = &r->v[i];
        uint64_t t0 = ad_now_ms();
        if (ad_is_interrupted())
            return AD_ERR_INTERRUPTED;
        for (size_t j = 0; j < i && !nm->zone; j++)
            if (r->v[j].zone && strcmp(r->v[j].qname, nm->qname) == 0) {
                if (!(nm->target = strdup(r->v[j].target)) || !(nm->zone = strdup(r->v[j].zone)))
                    return AD_ERR_NOMEM;
                nm->lookup_ms = r->v[j].lookup_ms;
            }
        if (nm->zone)
            continue;
        ad_status rc = ad_dnscheck_locate(r->dc, nm->qname, &nm->target, &nm->zone);
        nm->lookup_ms = ad_now_ms() - t0;
        if (rc == AD_ERR_NOMEM || rc == AD_ERR_INTERRUPTED)
            return rc;
        if (rc != AD_OK) {
            name_fail(nm, rc, W_LOOKUP, ad_asprintf("cannot find the zone of %s (see above)", nm->qname));
            continue;
        }
        if (strcmp(nm->target, nm->qname) != 0)
            ad_info("%s is a CNAME: the record goes to %s", nm->qname, nm->target);
    }
    return AD_OK;
}

/* Each provider's records, the providers in the order of their names. */
static ad_status present(struct run *r)
{
    struct ad_record **recs = calloc(r->n, sizeof *recs);
    ad_status *rcs = calloc(r->n, sizeof *rcs), rc = AD_ERR_NOMEM;
    size_t *which = calloc(r->n, sizeof *which);
    bool *done = calloc(r->n, sizeof *done);
    if (!recs || !rcs || !which || !done)
        goto out;
    rc = AD_OK;
    for (size_t i = 0; i < r->n && rc == AD_OK; i++) {
        size_t m = 0;
        if (done[i] || r->v[i].rc != AD_OK)
            continue;
        for (size_t k = i; k < r->n; k++)
            if (!done[k] && r->v[k].rc == AD_OK && r->v[k].in == r->v[i].in) {
                struct name *nm = &r->v[k];
                done[k] = nm->presented = true;
                nm->rec = (struct ad_record){.domain = nm->domain[0] == '*' ? nm->domain + 2 : nm->domain,
                                             .name = nm->target, .zone = nm->zone, .value = nm->value, .ttl = 60};
                recs[m] = &nm->rec;
                which[m++] = k;
            }
        uint64_t t0 = ad_now_ms();
        rc = ad_instance_present(r->set, r->v[i].in, recs, m, rcs);
        for (size_t k = 0; k < m; k++) {
            struct name *nm = &r->v[which[k]];
            nm->present_ms = ad_now_ms() - t0;
            if (rcs[k] == AD_ERR_INTERRUPTED)
                name_fail(nm, rcs[k], W_INTERRUPTED, NULL);
            else if (rcs[k] != AD_OK)
                name_fail(nm, rcs[k], rcs[k] == AD_ERR_AUTH ? W_CREDENTIALS : W_PROVIDER,
                          ad_asprintf("provider %s could not add the TXT record at %s (see above)",
                                      nm->in->conf.name, nm->target));
        }
    }
out:
    free(recs);
    free(rcs);
    free(which);
    free(done);
    return rc;
}

/* Remove every record presented, each provider's together. */
static ad_status cleanup(struct run *r)
{
    struct ad_record **recs = calloc(r->n, sizeof *recs);
    size_t *which = calloc(r->n, sizeof *which);
    ad_status rc = recs && which ? AD_OK : AD_ERR_NOMEM;
    for (size_t i = 0; recs && which && i < r->n; i++) {
        size_t m = 0;
        if (!r->v[i].presented || r->v[i].removed || r->v[i].cleanup_ms)
            continue;
        for (size_t k = i; k < r->n; k++)
            if (r->v[k].presented && !r->v[k].removed && r->v[k].in == r->v[i].in) {
                recs[m] = &r->v[k].rec;
                which[m++] = k;
            }
        uint64_t t0 = ad_now_ms();
        ad_status c = ad_instance_cleanup(r->set, r->v[i].in, recs, m);
        for (size_t k = 0; k < m; k++) {
            struct name *nm = &r->v[which[k]];
            nm->cleanup_ms = ad_now_ms() - t0 + 1; /* also marks it tried */
            if (c == AD_OK)
                nm->removed = true;
            else
                name_fail(nm, c, W_CLEANUP, ad_asprintf("provider %s could not remove the TXT record at %s",
                                                        nm->in->conf.name, nm->target));
        }
        if (c != AD_OK && rc == AD_OK)
            rc = c;
    }
    free(recs);
    free(which);
    return rc;
}

/* Wait for the values of the names that are still fine (GONE: until they
 * are gone), all at once; a name whose zone's servers cannot be found
 * fails alone (the zones are then asked one by one). */
static ad_status wait_all(struct run *r, bool gone)
{
    struct ad_dnscheck_item *items = calloc(r->n, sizeof *items);
    size_t *map = calloc(r->n, sizeof *map), n = 0;
    struct ad_dnscheck_result *res = NULL;
    size_t nres = 0;
    ad_status rc = AD_ERR_NOMEM;
    if (!items || !map)
        goto out;
    for (size_t i = 0; i < r->n; i++) {
        struct name *nm = &r->v[i];
        if (nm->rc == AD_OK && nm->zone && (gone ? nm->removed : nm->presented)) {
            items[n] = (struct ad_dnscheck_item){nm->target, nm->zone, nm->value};
            map[n++] = i;
        }
    }
    rc = AD_OK;
    if (n == 0)
        goto out;
    rc = ad_dnscheck_wait_ex(r->dc, items, n, 53, r->cli->propagation_timeout * 1000u, gone, &res, &nres);
    if (rc == AD_ERR_DNS) {
        /* Which zones: each alone; the results of those that could be asked are kept. */
        struct ad_dnscheck_item *one = calloc(n, sizeof *one);
        size_t *onemap = calloc(n, sizeof *onemap);
        bool *asked = calloc(n, sizeof *asked);
        rc = one && onemap && asked ? AD_OK : AD_ERR_NOMEM;
        for (size_t i = 0; i < n && rc == AD_OK; i++) {
            size_t m = 0, nr = 0;
            struct ad_dnscheck_result *rr = NULL;
            if (asked[i])
                continue;
            for (size_t k = i; k < n; k++)
                if (!asked[k] && strcmp(items[k].zone, items[i].zone) == 0) {
                    asked[k] = true;
                    one[m] = items[k];
                    onemap[m++] = map[k];
                }
            ad_status z = ad_dnscheck_wait_ex(r->dc, one, m, 53, r->cli->propagation_timeout * 1000u, gone, &rr, &nr);
            if (z == AD_ERR_NOMEM || z == AD_ERR_INTERRUPTED) {
                rc = z;
                free(rr);
                break;
            }
            if (z == AD_ERR_DNS || !rr) {
                for (size_t k = 0; k < m; k++)
                    name_fail(&r->v[onemap[k]], z, W_LOOKUP,
                              ad_asprintf("cannot find the name servers of zone %s (see above)", one[k].zone));
                continue;
            }
            struct ad_dnscheck_result *grown = realloc(res, (nres + nr) * sizeof *grown);
            if (!grown) {
                free(rr);
                rc = AD_ERR_NOMEM;
                break;
            }
            res = grown;
            for (size_t k = 0; k < nr; k++) {
                res[nres] = rr[k];
                res[nres++].item = onemap[rr[k].item]; /* a name's index from here */
            }
            free(rr);
        }
        free(one);
        free(onemap);
        free(asked);
        if (rc != AD_OK)
            goto out;
    } else if (rc != AD_OK && rc != AD_ERR_PROPAGATION) {
        goto out;
    } else {
        for (size_t k = 0; k < nres; k++)
            res[k].item = map[res[k].item]; /* a name's index from here */
    }
    rc = AD_OK;
    /* A name fails when a server that could be asked did not come round. */
    for (size_t k = 0; k < nres; k++) {
        struct name *nm = &r->v[res[k].item];
        nm->waited = true;
        if (res[k].done || res[k].skipped)
            continue;
        enum why w = !res[k].answered ? W_UNREACHABLE : gone ? W_STILL : W_NOT_UPDATED;
        name_fail(nm, AD_ERR_PROPAGATION, w,
                  ad_asprintf("%s (%s) %s within %u s: %s", res[k].addr, res[k].ns,
                              !res[k].answered ? "did not answer on port 53"
                              : gone           ? "still served the record"
                                               : "did not serve the record",
                              r->cli->propagation_timeout, res[k].why));
    }
    if (gone) {
        r->gone = res;
        r->ngone = nres;
    } else {
        r->served = res;
        r->nserved = nres;
    }
    res = NULL;
out:
    free(res);
    free(items);
    free(map);
    return rc;
}

static const struct ad_dnscheck_result *find(const struct ad_dnscheck_result *v, size_t n, size_t name,
                                             const char *addr)
{
    for (size_t k = 0; k < n; k++)
        if (v[k].item == name && strcmp(v[k].addr, addr) == 0)
            return &v[k];
    return NULL;
}

/* One name's lines: to OUT. */
static void print_name(const struct run *r, size_t i, FILE *out)
{
    const struct name *nm = &r->v[i];
    fprintf(out, "%s: %s", nm->domain, nm->qname);
    if (nm->target && strcmp(nm->target, nm->qname) != 0)
        fprintf(out, " -> %s (CNAME)", nm->target);
    if (nm->zone)
        fprintf(out, " in zone %s", nm->zone);
    fprintf(out, " through %s: %s\n", nm->in->conf.name, nm->rc == AD_OK ? "ok" : "FAILED");
    fprintf(out, "  zone look-up %llu ms", (unsigned long long)nm->lookup_ms);
    if (nm->presented)
        fprintf(out, ", added in %llu ms", (unsigned long long)nm->present_ms);
    if (nm->cleanup_ms)
        fprintf(out, ", %s in %llu ms", nm->removed ? "removed" : "removal failed",
                (unsigned long long)(nm->cleanup_ms - 1));
    fprintf(out, "%s\n", r->cli->skip_propagation ? " (name servers not asked: --skip-propagation-check)" : "");
    for (size_t k = 0; k < r->nserved; k++) {
        const struct ad_dnscheck_result *s = &r->served[k], *g;
        if (s->item != i)
            continue;
        fprintf(out, "  %s (%s): ", s->addr, s->ns);
        if (s->skipped) {
            fprintf(out, "not asked (its address family cannot be reached; the name's IPv4 addresses were)\n");
            continue;
        }
        if (!s->done) {
            fprintf(out, "not served: %s\n", s->why);
            continue;
        }
        fprintf(out, "served after %lu ms", s->ms);
        if ((g = find(r->gone, r->ngone, i, s->addr)))
            g->done ? fprintf(out, ", gone after %lu ms", g->ms) : fprintf(out, ", not gone: %s", g->why);
        fprintf(out, "\n");
    }
    if (nm->rc != AD_OK)
        fprintf(out, "  %s%s%s\n", why_text[nm->why] ? why_text[nm->why] : ad_strerror(nm->rc), nm->detail ? ": " : "",
                nm->detail ? nm->detail : "");
}

static json_object *name_json(const struct run *r, size_t i)
{
    const struct name *nm = &r->v[i];
    json_object *o = json_object_new_object(), *t = json_object_new_object(), *srv = json_object_new_array();
    if (!o || !t || !srv) {
        json_object_put(o);
        json_object_put(t);
        json_object_put(srv);
        return NULL;
    }
    ad_json_str(o, "domain", nm->domain);
    ad_json_str(o, "record", nm->qname);
    ad_json_str(o, "target", nm->target);
    ad_json_str(o, "zone", nm->zone);
    ad_json_str(o, "provider", nm->in->conf.name);
    json_object_object_add(o, "ok", json_object_new_boolean(nm->rc == AD_OK));
    if (nm->rc != AD_OK) {
        ad_json_str(o, "reason", why_key[nm->why] ? why_key[nm->why] : "other");
        ad_json_str(o, "error", why_text[nm->why] ? why_text[nm->why] : ad_strerror(nm->rc));
        ad_json_str(o, "detail", nm->detail);
        json_object_object_add(o, "exit_status", json_object_new_int(ad_exit_code(nm->rc)));
    }
    json_object_object_add(t, "lookup", json_object_new_int64((int64_t)nm->lookup_ms));
    if (nm->presented)
        json_object_object_add(t, "present", json_object_new_int64((int64_t)nm->present_ms));
    if (nm->cleanup_ms)
        json_object_object_add(t, "cleanup", json_object_new_int64((int64_t)(nm->cleanup_ms - 1)));
    json_object_object_add(o, "timings_ms", t);
    for (size_t k = 0; k < r->nserved; k++) {
        const struct ad_dnscheck_result *s = &r->served[k], *g;
        json_object *e;
        if (s->item != i || !(e = json_object_new_object()))
            continue;
        ad_json_str(e, "address", s->addr);
        ad_json_str(e, "ns", s->ns);
        json_object_object_add(e, "skipped", json_object_new_boolean(s->skipped));
        json_object_object_add(e, "answered", json_object_new_boolean(s->answered));
        json_object_object_add(e, "served", json_object_new_boolean(s->done));
        if (s->done)
            json_object_object_add(e, "served_ms", json_object_new_int64((int64_t)s->ms));
        else if (!s->skipped)
            ad_json_str(e, "error", s->why);
        if ((g = find(r->gone, r->ngone, i, s->addr))) {
            json_object_object_add(e, "gone", json_object_new_boolean(g->done));
            if (g->done)
                json_object_object_add(e, "gone_ms", json_object_new_int64((int64_t)g->ms));
            else
                ad_json_str(e, "gone_error", g->why);
        }
        json_object_array_add(srv, e);
    }
    json_object_object_add(o, "servers", srv);
    return o;
}

static void report(const struct run *r, ad_status rc, int status, uint64_t t0)
{
    const struct ad_cli *cli = r->cli;
    size_t failed = 0;
    for (size_t i = 0; i < r->n; i++)
        failed += r->v[i].rc != AD_OK;
    if (cli->json) {
        json_object *o = json_object_new_object(), *names = json_object_new_array(), *t = json_object_new_object();
        for (size_t i = 0; names && i < r->n; i++) {
            json_object *e = name_json(r, i);
            if (e)
                json_object_array_add(names, e);
        }
        if (o) {
            ad_json_str(o, "command", "check");
            json_object_object_add(o, "ok", json_object_new_boolean(rc == AD_OK && status == 0));
            json_object_object_add(o, "names", names);
            json_object_object_add(o, "passed", json_object_new_int((int)(r->n - failed)));
            json_object_object_add(o, "failed", json_object_new_int((int)failed));
            if (rc != AD_OK)
                ad_json_str(o, "error", ad_strerror(rc));
            json_object_object_add(o, "exit_status", json_object_new_int(rc != AD_OK ? ad_exit_code(rc) : status));
            if (t)
                json_object_object_add(t, "total", json_object_new_int64((int64_t)(ad_now_ms() - t0)));
            json_object_object_add(o, "timings_ms", t);
        } else {
            json_object_put(names);
            json_object_put(t);
        }
        ad_json_print(o);
        return;
    }
    bool quiet = cli->verbosity == 0;
    for (size_t i = 0; i < r->n; i++)
        if (!quiet || r->v[i].rc != AD_OK)
            print_name(r, i, quiet ? stderr : stdout);
    if (!quiet)
        printf("check: %zu name%s passed, %zu failed (%llu ms)\n", r->n - failed, r->n - failed == 1 ? "" : "s",
               failed, (unsigned long long)(ad_now_ms() - t0));
    fflush(stdout);
}

ad_status ad_check_run(const struct ad_cli *cli, const char *state_dir, int *exit_code)
{
    struct run r = {.cli = cli};
    struct ad_instance **insts = NULL;
    uint64_t t0 = ad_now_ms();
    ad_status rc = AD_ERR_NOMEM, c;
    bool started = false;

    *exit_code = -1;
    if (!(insts = calloc(cli->ndomains, sizeof *insts)) || !(r.v = calloc(cli->ndomains, sizeof *r.v)))
        goto out;
    if ((rc = ad_instances_new(state_dir, cli->plugin_dirs, cli->nplugin_dirs, NULL, cli->verbosity, &r.set)) !=
            AD_OK ||
        (rc = ad_instances_from_cli_all(r.set, cli, insts)) != AD_OK || (rc = ad_instances_recover(r.set)) != AD_OK)
        goto out;
    for (size_t i = 0; i < cli->ndomains; i++)
        if (!insts[i]->prov) { /* it could not remove what an earlier run left */
            rc = insts[i]->rc;
            goto out;
        }
    rc = AD_ERR_NOMEM;
    for (size_t i = 0; i < cli->ndomains; i++) {
        struct name *nm = &r.v[r.n++];
        const char *d = cli->domains[i];
        nm->domain = d;
        nm->in = insts[i];
        if (!(nm->qname = ad_asprintf("_acme-challenge.%s", strncmp(d, "*.", 2) == 0 ? d + 2 : d)) ||
            !(nm->value = test_value()))
            goto out;
    }
    started = true;
    if ((rc = ad_dnscheck_new((const char *const *)cli->resolvers, cli->nresolvers, &r.dc)) != AD_OK ||
        (rc = lookups(&r)) != AD_OK || (rc = present(&r)) != AD_OK)
        goto out;
    if (!cli->skip_propagation && (rc = wait_all(&r, false)) != AD_OK)
        goto out;
out:
    if (rc != AD_OK && ad_is_interrupted())
        rc = AD_ERR_INTERRUPTED;
    c = cleanup(&r);
    if (rc == AD_OK && c != AD_OK && c != AD_ERR_AUTH && c != AD_ERR_PROVIDER)
        rc = c; /* a provider's failure is the names' (W_CLEANUP) */
    if (rc == AD_OK && !cli->skip_propagation && !ad_is_interrupted())
        rc = wait_all(&r, true);
    if (rc != AD_OK && ad_is_interrupted())
        rc = AD_ERR_INTERRUPTED;
    if (started) {
        int status = 0;
        for (size_t i = 0; i < r.n && status == 0; i++)
            if (r.v[i].rc != AD_OK)
                status = ad_exit_code(r.v[i].rc);
        if (rc == AD_OK)
            *exit_code = status;
        report(&r, rc, status, t0);
        if (rc == AD_OK && status)
            ad_err("check: not every name passed (exit status %d)", status);
    } else if (cli->json) {
        report(&r, rc, 0, t0);
    }
    for (size_t i = 0; r.v && i < r.n; i++) {
        free(r.v[i].qname);
        free(r.v[i].target);
        free(r.v[i].zone);
        free(r.v[i].value);
        free(r.v[i].detail);
    }
    free(r.v);
    free(r.served);
    free(r.gone);
    ad_dnscheck_free(r.dc);
    ad_instances_free(r.set);
    free(insts);
    return rc;
}
