#include "renew.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "ari.h"
#include "cert.h"
#include "deploy.h"
#include "issue.h"
#include "log.h"
#include "providers.h"
#include "report.h"
#include "settings.h"
#include "store.h"
#include "util.h"
#include "walltime.h"

#define CERT_FILE_MAX (1u << 20)

enum cstatus { C_CHECK, C_SKIPPED, C_NOT_DUE, C_DUE, C_FAILED, C_RENEWED };
static const char *const status_names[] = {"unchecked", "skipped", "not_due", "due", "failed", "renewed"};

struct cert {
    char *name, *dir;
    struct ad_settings set;
    bool have_settings;
    struct ad_cert_info info;
    bool have_cert;
    struct ad_renewal_state st;
    enum cstatus status;
    const char *why;          /* why due, or how the due date was found */
    int64_t due_at;           /* when it is (or was) due */
    char *error;              /* why it failed or was skipped */
    int exit_status;          /* of a failure */
    int hook_status;          /* -1: not run */
    struct ad_job job;
    struct ad_cert_info fresh; /* the new certificate */
    struct ad_instance **insts; /* per domain, when its names are at several providers */
};

struct run {
    const struct ad_cli *cli;
    const char *state_dir;
    struct cert *c;
    size_t n;
    struct ad_instances *set;
    struct ad_timings tm;
    struct ad_http_figures http;
    ad_status cleanup_rc;
};

static void cert_fail(struct cert *c, ad_status rc, char *error)
{
    c->status = C_FAILED;
    c->exit_status = ad_exit_code(rc);
    free(c->error);
    c->error = error ? error : ad_asprintf("%s", ad_strerror(rc));
}

static int cert_cmp(const void *a, const void *b)
{
    return strcmp(((const struct cert *)a)->name, ((const struct cert *)b)->name);
}

/* The certificate folders to look at: the --cert-name ones, or all. */
static ad_status list_certs(struct run *r)
{
    const struct ad_cli *cli = r->cli;
    char *certs = ad_asprintf("%s/certs", r->state_dir);
    DIR *d = NULL;
    size_t cap = 0;
    ad_status rc = AD_ERR_NOMEM;
    if (!certs)
        return rc;
    if (cli->ncert_names) {
        if (!(r->c = calloc(cli->ncert_names, sizeof *r->c)))
            goto out;
        for (size_t i = 0; i < cli->ncert_names; i++) {
            bool dup = false;
            for (size_t k = 0; k < r->n; k++)
                dup = dup || strcmp(r->c[k].name, cli->cert_names[i]) == 0;
            if (!dup && !(r->c[r->n++].name = strdup(cli->cert_names[i])))
                goto out;
        }
    } else if ((d = opendir(certs))) {
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.' || !ad_cert_name_ok(e->d_name))
                continue;
            if (r->n == cap) {
                struct cert *m = realloc(r->c, (cap = cap ? cap * 2 : 16) * sizeof *m);
                if (!m)
                    goto out;
                r->c = m;
            }
            memset(&r->c[r->n], 0, sizeof r->c[r->n]);
            if (!(r->c[r->n++].name = strdup(e->d_name)))
                goto out;
        }
    } else if (errno != ENOENT) {
        ad_err("cannot read the folder %s: %s", certs, strerror(errno));
        rc = AD_ERR_IO;
        goto out;
    }
    if (r->n)
        qsort(r->c, r->n, sizeof *r->c, cert_cmp);
    for (size_t i = 0; i < r->n; i++) {
        r->c[i].hook_status = -1;
        if (!(r->c[i].dir = ad_asprintf("%s/%s", certs, r->c[i].name)))
            goto out;
    }
    rc = AD_OK;
out:
    if (d)
        closedir(d);
    free(certs);
    return rc;
}

/* Settings, certificate and renewal state of C. */
static ad_status load_cert(struct run *r, struct cert *c)
{
    char *path = ad_asprintf("%s/cert.pem", c->dir), *pem = NULL;
    size_t len;
    ad_status rc = AD_ERR_NOMEM;
    if (!path)
        return rc;
    rc = ad_settings_load(c->dir, &c->set);
    if (rc == AD_ERR_IO && errno == ENOENT) {
        bool named = r->cli->ncert_names > 0;
        char *msg = named ? ad_asprintf("no certificate %s with saved settings in %s/certs: issue it with this "
                                        "acme-dns first",
                                        c->name, r->state_dir)
                          : ad_asprintf("no saved settings in %s (issued by an older acme-dns?): issue it once with "
                                        "this acme-dns to have it renewed",
                                        c->dir);
        if (named)
            cert_fail(c, AD_ERR_USAGE, msg);
        else {
            c->status = C_SKIPPED;
            c->error = msg;
        }
        rc = msg ? AD_OK : AD_ERR_NOMEM;
        goto out;
    }
    if (rc != AD_OK) {
        if (rc == AD_ERR_NOMEM)
            goto out;
        cert_fail(c, rc, ad_asprintf("its settings (%s/settings.json) cannot be used: see the error above", c->dir));
        rc = c->error ? AD_OK : AD_ERR_NOMEM;
        goto out;
    }
    c->have_settings = true;
    if (ad_store_read(path, CERT_FILE_MAX, &pem, &len) == AD_OK) {
        if (ad_cert_info_parse(pem, len, &c->info) == AD_OK)
            c->have_cert = true;
        else
            ad_warn("%s is not a PEM certificate: %s is renewed now", path, c->name);
    } else {
        ad_warn("cannot read %s (%s): %s is renewed now", path, strerror(errno), c->name);
    }
    rc = ad_state_load(c->dir, &c->st);
out:
    free(pem);
    free(path);
    return rc;
}

static const char *server_of(const struct run *r, const struct cert *c)
{
    return r->cli->server_given ? r->cli->server : c->set.server;
}

static const char *bundle_of(const struct run *r, const struct cert *c)
{
    return r->cli->ca_bundle ? r->cli->ca_bundle : c->set.ca_bundle;
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* C's certificate is the one acme-dns revoke revoked. */
static bool revoked(const struct cert *c)
{
    return c->have_cert && c->st.revoked_serial && c->info.serial && strcmp(c->st.revoked_serial, c->info.serial) == 0;
}

/* When C is due, for the certificates whose ARI answer is to hand or not
 * needed; those that need one are marked in NEED. */
static void due_offline(const struct run *r, struct cert *c, bool ari, int64_t now, bool *need)
{
    *need = false;
    if (r->cli->force) {
        c->status = C_DUE;
        c->why = "forced";
        c->due_at = now;
        return;
    }
    if (!c->have_cert) {
        c->status = C_DUE;
        c->why = "no usable certificate";
        c->due_at = now;
        return;
    }
    if (revoked(c)) {
        c->status = C_DUE; /* whatever window was kept from before */
        c->why = "revoked";
        c->due_at = c->st.revoked_at;
        return;
    }
    if (c->info.not_after <= now) {
        c->status = C_DUE;
        c->why = "expired";
        c->due_at = c->info.not_after;
        return;
    }
    bool kept = c->info.ari_id && c->st.cert_id && strcmp(c->st.cert_id, c->info.ari_id) == 0;
    if (kept && (!ari || now < c->st.next_check)) {
        /* Retry-After has not passed, or the CA cannot be asked now: the window we have. */
        c->due_at = c->st.selected;
        c->why = "ARI window";
        c->status = now >= c->due_at ? C_DUE : C_NOT_DUE;
        return;
    }
    if (ari && c->info.ari_id) {
        *need = true;
        return;
    }
    c->due_at = ad_due_by_lifetime(c->info.not_before, c->info.not_after);
    c->why = "lifetime";
    c->status = now >= c->due_at ? C_DUE : C_NOT_DUE;
}

/* Ask the CA for the renewal information of CS[0..n), then decide. */
static ad_status ask_ari(struct run *r, struct ad_ca *ca, struct cert **cs, size_t n, int64_t now)
{
    struct ad_mark t0 = ad_mark();
    struct ad_ari_item *items = calloc(n ? n : 1, sizeof *items);
    if (!items)
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        items[i] = (struct ad_ari_item){cs[i]->name, cs[i]->dir, cs[i]->info.ari_id, &cs[i]->st, false};
    ad_status rc = ad_ari_check(ca->acme, items, n, now);
    for (size_t i = 0; i < n && rc == AD_OK; i++) {
        struct cert *c = cs[i];
        if (items[i].ok) {
            c->due_at = c->st.selected;
            c->why = "ARI window";
        } else {
            c->due_at = ad_due_by_lifetime(c->info.not_before, c->info.not_after);
            c->why = "lifetime";
        }
        c->status = now >= c->due_at ? C_DUE : C_NOT_DUE;
    }
    free(items);
    ad_since(&r->tm, AD_PH_RENEWAL_INFO, t0);
    return rc;
}

/* The CA's window for each new certificate, right after issuance (RFC 9773
 * 4.3), so that the next run knows it. */
static ad_status ask_ari_new(struct run *r, struct ad_ca *ca, struct cert **cs, size_t n)
{
    struct ad_mark t0 = ad_mark();
    struct ad_ari_item *items = calloc(n ? n : 1, sizeof *items);
    size_t m = 0;
    if (!items)
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        if (cs[i]->status == C_RENEWED && cs[i]->fresh.ari_id)
            items[m++] = (struct ad_ari_item){cs[i]->name, cs[i]->dir, cs[i]->fresh.ari_id, &cs[i]->st, false};
    ad_status rc = m ? ad_ari_check(ca->acme, items, m, ad_wall_now()) : AD_OK;
    free(items);
    ad_since(&r->tm, AD_PH_RENEWAL_INFO, t0);
    return rc;
}

static bool same_dns(const struct run *r, const struct cert *a, const struct cert *b)
{
    if (r->cli->nresolvers == 0) {
        if (a->set.nresolvers != b->set.nresolvers)
            return false;
        for (size_t i = 0; i < a->set.nresolvers; i++)
            if (strcmp(a->set.resolvers[i], b->set.resolvers[i]) != 0)
                return false;
    }
    return r->cli->propagation_given ||
           (a->set.propagation_timeout == b->set.propagation_timeout &&
            (a->set.skip_propagation || r->cli->skip_propagation) ==
                (b->set.skip_propagation || r->cli->skip_propagation));
}

/* Why C's job failed, for its summary. */
static char *job_error(const struct cert *c)
{
    const struct ad_job *j = &c->job;
    for (size_t i = 0; j->phase && strcmp(j->phase, "provider") == 0 && j->insts && i < j->ndomains; i++)
        if (j->insts[i] && !j->insts[i]->prov && j->insts[i]->error)
            return strdup(j->insts[i]->error);
    if (j->phase && strcmp(j->phase, "provider") == 0 && j->inst && j->inst->error)
        return strdup(j->inst->error);
    return ad_asprintf("%s (at the %s step; the messages above say more)", ad_strerror(j->rc),
                       j->phase ? j->phase : "renewal");
}

/* Deploy hook, state and summary facts of a renewed certificate. */
static void after_renewal(struct run *r, struct cert *c)
{
    char *const *hook = r->cli->ndeploy_hook ? r->cli->deploy_hook : c->set.deploy_hook;
    size_t nhook = r->cli->ndeploy_hook ? r->cli->ndeploy_hook : c->set.ndeploy_hook;
    c->status = C_RENEWED;
    if (ad_cert_info_parse(c->job.cert, strlen(c->job.cert), &c->fresh) != AD_OK)
        ad_warn("%s: cannot read the new certificate back", c->name);
    ad_state_clear(&c->st); /* a new certificate: no window, no failures yet */
    if (ad_state_save(c->dir, &c->st) != AD_OK)
        ad_warn("%s: its renewal state could not be reset", c->name);
    if (nhook && !ad_is_interrupted())
        ad_deploy_run(hook, nhook, c->name, c->dir, (const char *const *)c->set.domains, c->set.ndomains,
                      AD_DEPLOY_TIMEOUT_S, &c->hook_status);
}

static void after_failure(struct cert *c)
{
    cert_fail(c, c->job.rc, job_error(c));
    c->st.failures++;
    c->st.last_failure = ad_wall_now();
    free(c->st.last_error);
    c->st.last_error = c->error ? strdup(c->error) : NULL;
    if (c->job.rc != AD_ERR_INTERRUPTED && ad_state_save(c->dir, &c->st) != AD_OK)
        ad_warn("%s: the failure could not be recorded in its state", c->name);
}

/* Renew the due certificates CS[0..n) of one CA with one set of DNS
 * options, in batches. */
static ad_status renew_batch(struct run *r, struct ad_ca *ca, struct cert **cs, size_t n)
{
    const struct ad_settings *s0 = &cs[0]->set;
    struct ad_job *jobs = calloc(n ? n : 1, sizeof *jobs);
    ad_status rc = AD_ERR_NOMEM;
    if (!jobs)
        return rc;
    const struct ad_obtain_opts o = {
        r->cli->nresolvers ? r->cli->resolvers : s0->resolvers,
        r->cli->nresolvers ? r->cli->nresolvers : s0->nresolvers,
        r->cli->propagation_given ? r->cli->propagation_timeout : s0->propagation_timeout,
        r->cli->skip_propagation || s0->skip_propagation,
        false,
    };
    bool ari = ad_acme_renewal_info(ca->acme) != NULL;
    for (size_t i = 0; i < n; i++) {
        struct cert *c = cs[i];
        struct ad_instance *in = ad_instances_get(r->set, &c->set.provider);
        if (!in)
            goto out;
        if (c->set.nextra) { /* names at several providers */
            free(c->insts);
            if (!(c->insts = calloc(c->set.ndomains, sizeof *c->insts)))
                goto out;
            for (size_t d = 0; d < c->set.ndomains; d++)
                if (!(c->insts[d] = ad_instances_get(r->set, ad_settings_provider_of(&c->set, d))))
                    goto out;
        }
        jobs[i] = (struct ad_job){.cert_name = c->name, .cert_dir = c->dir, .domains = c->set.domains,
                                  .ndomains = c->set.ndomains, .key_type = c->set.key_type, .inst = in,
                                  .replaces = ari && c->have_cert ? c->info.ari_id : NULL, .insts = c->insts,
                                  .profile = c->set.profile, .preferred_chain = c->set.preferred_chain,
                                  .reuse_key = c->set.reuse_key};
    }
    ad_info("renewing %zu certificate(s) at %s", n, ca->server);
    rc = ad_obtain(ca, r->set, &o, jobs, n, &r->tm);
    if (rc != AD_OK && rc != AD_ERR_INTERRUPTED && rc != AD_ERR_NOMEM && r->cleanup_rc == AD_OK)
        r->cleanup_rc = rc; /* records the provider could not remove */
    for (size_t i = 0; i < n; i++) {
        cs[i]->job = jobs[i];
        if (jobs[i].rc == AD_OK)
            after_renewal(r, cs[i]);
        else
            after_failure(cs[i]);
    }
    rc = rc == AD_ERR_INTERRUPTED || rc == AD_ERR_NOMEM ? rc : AD_OK;
out:
    free(jobs);
    return rc;
}

/* C's saved profile, if any, is one the CA offers; else C fails. */
static bool profile_offered(const struct ad_ca *ca, struct cert *c)
{
    char *why = NULL;
    ad_status rc = c->set.profile ? ad_acme_profile_check(ca->acme, c->set.profile, &why) : AD_OK;
    if (rc == AD_ERR_USAGE) {
        char *msg = ad_asprintf("its saved profile is refused: %s; run acme-dns issue again with another "
                                "--profile, or without one",
                                why);
        ad_err("%s: %s", c->name, msg ? msg : why);
        cert_fail(c, rc, msg);
    } else if (rc != AD_OK) {
        cert_fail(c, rc, NULL);
    }
    free(why);
    return rc == AD_OK;
}

/* Every certificate of one CA: when each is due, then the due ones. */
static ad_status renew_ca(struct run *r, struct cert **cs, size_t n)
{
    struct ad_ca *ca = NULL;
    struct cert **sub = calloc(n ? n : 1, sizeof *sub);
    bool *need = calloc(n ? n : 1, sizeof *need);
    size_t m = 0;
    int64_t now = ad_wall_now();
    ad_status rc = AD_ERR_NOMEM;
    if (!sub || !need)
        goto out;
    struct ad_mark t0 = ad_mark();
    rc = ad_ca_open(server_of(r, cs[0]), bundle_of(r, cs[0]), r->cli->http_timeout, &ca);
    ad_since(&r->tm, AD_PH_ACCOUNT, t0);
    if (rc != AD_OK) {
        /* What is due by what we know fails; the rest is not due (a quiet day
         * stays quiet when the CA is away). */
        size_t quiet = 0;
        for (size_t i = 0; i < n && rc != AD_ERR_INTERRUPTED && rc != AD_ERR_NOMEM; i++) {
            due_offline(r, cs[i], false, now, &need[i]);
            if (cs[i]->status == C_DUE)
                cert_fail(cs[i], rc, ad_asprintf("the CA at %s cannot be reached (see above)", server_of(r, cs[i])));
            else
                quiet++;
        }
        if (quiet)
            ad_warn("the CA at %s cannot be reached: %zu certificate(s) not due by what is known are checked again "
                    "next run",
                    server_of(r, cs[0]), quiet);
        rc = rc == AD_ERR_INTERRUPTED || rc == AD_ERR_NOMEM ? rc : AD_OK;
        goto out;
    }
    bool ari = ad_acme_renewal_info(ca->acme) != NULL;
    for (size_t i = 0; i < n; i++) {
        due_offline(r, cs[i], ari, now, &need[i]);
        if (need[i])
            sub[m++] = cs[i];
    }
    if (m && (rc = ask_ari(r, ca, sub, m, now)) != AD_OK)
        goto out;
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (cs[i]->status == C_DUE && profile_offered(ca, cs[i]))
            sub[m++] = cs[i];
    rc = AD_OK;
    if (!m)
        goto out;
    /* The account: the run's options, else the first due certificate's. */
    const struct ad_settings *s0 = &sub[0]->set;
    t0 = ad_mark();
    const struct ad_account_opts ao = {
        r->cli->email ? r->cli->email : s0->email, r->cli->agree_tos || s0->agree_tos,
        r->cli->account_key_type_given ? r->cli->account_key_type : s0->account_key_type,
        r->cli->eab_kid ? (struct ad_eab){r->cli->eab_kid, r->cli->eab_key_file, NULL}
                        : (struct ad_eab){s0->eab_kid, s0->eab_key_file, s0->eab_key_env},
        true, false};
    rc = ad_account_open(ca, r->state_dir, &ao);
    ad_since(&r->tm, AD_PH_ACCOUNT, t0);
    if (rc != AD_OK) {
        for (size_t i = 0; i < m; i++)
            cert_fail(sub[i], rc, ad_asprintf("no account at %s (see above)", ca->server));
        rc = rc == AD_ERR_INTERRUPTED || rc == AD_ERR_NOMEM ? rc : AD_OK;
        goto out;
    }
    /* Batches of certificates that share the DNS options. */
    bool *taken = need;
    memset(taken, 0, n * sizeof *taken);
    struct cert **batch = calloc(m, sizeof *batch);
    if (!batch) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    for (size_t first = 0; rc == AD_OK && !ad_is_interrupted();) {
        size_t b = 0;
        while (first < m && taken[first])
            first++;
        if (first == m)
            break;
        size_t names = 0;
        for (size_t k = first; k < m && b < AD_RENEW_BATCH; k++)
            if (!taken[k] && same_dns(r, sub[first], sub[k]) &&
                (b == 0 || names + sub[k]->set.ndomains <= AD_RENEW_BATCH_NAMES)) {
                taken[k] = true;
                batch[b++] = sub[k];
                names += sub[k]->set.ndomains;
            }
        rc = renew_batch(r, ca, batch, b);
    }
    if (rc == AD_OK && ari && !ad_is_interrupted())
        rc = ask_ari_new(r, ca, sub, m);
    free(batch);
out:
    if (ca)
        ad_http_figures_add(&r->http, ca->http);
    ad_ca_free(ca);
    free(sub);
    free(need);
    return rc;
}

static void time_text(int64_t t, char *buf, size_t size)
{
    ad_rfc3339_format(t, buf, size);
}

/* One line per certificate on stdout; with -q only the failures, on stderr. */
static void print_summary(const struct run *r)
{
    bool quiet = r->cli->verbosity == 0;
    FILE *out = quiet ? stderr : stdout;
    for (size_t i = 0; i < r->n; i++) {
        const struct cert *c = &r->c[i];
        char a[AD_RFC3339_LEN], b[AD_RFC3339_LEN], d[AD_RFC3339_LEN];
        if (quiet && c->status != C_FAILED && !(c->status == C_RENEWED && c->hook_status > 0))
            continue;
        switch (c->status) {
        case C_RENEWED:
            time_text(c->fresh.not_after, a, sizeof a);
            fprintf(out, "%s: renewed (%s; serial %s, valid until %s)", c->name, c->why ? c->why : "due",
                   c->fresh.serial ? c->fresh.serial : "?", a);
            if (c->hook_status > 0)
                fprintf(out, "; the deploy hook failed with exit status %d, the new certificate is in place",
                       c->hook_status);
            else if (c->hook_status == 0)
                fprintf(out, "; deploy hook run");
            fprintf(out, "\n");
            break;
        case C_NOT_DUE:
            time_text(c->due_at, a, sizeof a);
            if (strcmp(c->why, "ARI window") == 0) {
                time_text(c->st.start, b, sizeof b);
                time_text(c->st.end, d, sizeof d);
                fprintf(out, "%s: not due until %s (the CA's renewal window %s to %s)\n", c->name, a, b, d);
            } else {
                fprintf(out, "%s: not due until %s (a third of its lifetime left%s)\n", c->name, a,
                       c->info.not_after - c->info.not_before < 10 * 86400 ? ", half for lifetimes under ten days"
                                                                             : "");
            }
            break;
        case C_SKIPPED: fprintf(out, "%s: skipped: %s\n", c->name, c->error ? c->error : ""); break;
        case C_FAILED:
            fprintf(out, "%s: failed: %s (exit status %d)\n", c->name, c->error ? c->error : "", c->exit_status);
            break;
        default: fprintf(out, "%s: %s\n", c->name, status_names[c->status]); break;
        }
    }
    fflush(out);
}

static void print_json(const struct run *r, int exit_status)
{
    json_object *root = json_object_new_object(), *arr = json_object_new_array();
    unsigned counts[6] = {0};
    if (!root || !arr) {
        json_object_put(root);
        json_object_put(arr);
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        const struct cert *c = &r->c[i];
        json_object *o = json_object_new_object();
        if (!o)
            break;
        counts[c->status]++;
        json_object_object_add(o, "name", json_object_new_string(c->name));
        json_object_object_add(o, "status", json_object_new_string(status_names[c->status]));
        if (c->have_settings)
            json_object_object_add(o, "domains", ad_json_strs(c->set.domains, c->set.ndomains));
        if (c->why)
            json_object_object_add(o, "reason", json_object_new_string(c->why));
        if (c->status == C_NOT_DUE)
            ad_json_time(o, "due", c->due_at);
        if (c->have_settings && c->set.nextra) {
            json_object_object_add(o, "providers", ad_json_providers(&c->set));
        } else if (c->have_settings) {
            ad_json_str(o, "provider", c->set.provider.name);
        }
        if (c->status == C_RENEWED) {
            json_object *f = json_object_new_object();
            static const char *const files[][2] = {{"privkey", "privkey.pem"}, {"cert", "cert.pem"},
                                                   {"chain", "chain.pem"}, {"fullchain", "fullchain.pem"}};
            ad_json_str(o, "directory", c->dir);
            for (size_t k = 0; f && k < 4; k++) {
                char *path = ad_asprintf("%s/%s", c->dir, files[k][1]);
                ad_json_str(f, files[k][0], path);
                free(path);
            }
            json_object_object_add(o, "files", f);
            ad_json_time(o, "not_after", c->fresh.not_after);
            if (c->fresh.serial)
                json_object_object_add(o, "serial", json_object_new_string(c->fresh.serial));
            json_object_object_add(o, "replaced", json_object_new_boolean(c->job.replaced));
            if (c->hook_status >= 0)
                json_object_object_add(o, "deploy_hook_exit_status", json_object_new_int(c->hook_status));
        } else if (c->have_cert) {
            ad_json_time(o, "not_after", c->info.not_after);
        }
        if (c->status == C_FAILED || c->status == C_SKIPPED)
            json_object_object_add(o, "error", json_object_new_string(c->error ? c->error : ""));
        if (c->status == C_FAILED)
            json_object_object_add(o, "exit_status", json_object_new_int(c->exit_status));
        json_object_array_add(arr, o);
    }
    ad_json_str(root, "command", "renew");
    json_object_object_add(root, "certificates", arr);
    json_object_object_add(root, "renewed", json_object_new_int((int)counts[C_RENEWED]));
    json_object_object_add(root, "not_due", json_object_new_int((int)counts[C_NOT_DUE]));
    json_object_object_add(root, "failed", json_object_new_int((int)counts[C_FAILED]));
    json_object_object_add(root, "skipped", json_object_new_int((int)counts[C_SKIPPED]));
    json_object_object_add(root, "exit_status", json_object_new_int(exit_status));
    json_object_object_add(root, "timings_ms", ad_json_timings(&r->tm, &r->http));
    ad_json_print(root);
}

static void free_certs(struct run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct cert *c = &r->c[i];
        free(c->name);
        free(c->dir);
        free(c->error);
        free(c->job.cert);
        ad_settings_clear(&c->set);
        ad_cert_info_clear(&c->info);
        ad_cert_info_clear(&c->fresh);
        ad_state_clear(&c->st);
        free(c->insts);
    }
    free(r->c);
}

ad_status ad_renew_run(const struct ad_cli *cli, const char *state_dir, int *exit_code)
{
    struct run r = {.cli = cli, .state_dir = state_dir};
    ad_status rc;
    struct cert **group = NULL;
    bool *done = NULL;

    ad_timings_start(&r.tm);
    *exit_code = -1;
    if ((rc = ad_instances_new(state_dir, cli->plugin_dirs, cli->nplugin_dirs, cli->ca_bundle, cli->verbosity,
                               &r.set)) != AD_OK ||
        (rc = list_certs(&r)) != AD_OK)
        goto out;
    for (size_t i = 0; i < r.n; i++)
        if ((rc = load_cert(&r, &r.c[i])) != AD_OK)
            goto out;
    /* Records earlier runs left, each removed with the provider that added it. */
    if ((rc = ad_instances_recover(r.set)) != AD_OK)
        goto out;
    rc = AD_ERR_NOMEM;
    if (!(group = calloc(r.n ? r.n : 1, sizeof *group)) || !(done = calloc(r.n ? r.n : 1, sizeof *done)))
        goto out;
    rc = AD_OK;
    for (size_t i = 0; i < r.n && rc == AD_OK && !ad_is_interrupted(); i++) {
        size_t m = 0;
        if (done[i] || r.c[i].status != C_CHECK)
            continue;
        for (size_t k = i; k < r.n; k++)
            if (!done[k] && r.c[k].status == C_CHECK && same_str(server_of(&r, &r.c[i]), server_of(&r, &r.c[k])) &&
                same_str(bundle_of(&r, &r.c[i]), bundle_of(&r, &r.c[k]))) {
                done[k] = true;
                group[m++] = &r.c[k];
            }
        rc = renew_ca(&r, group, m);
    }
    if (rc == AD_OK && ad_is_interrupted())
        rc = AD_ERR_INTERRUPTED;
out:
    if (rc == AD_OK) {
        bool failed = r.cleanup_rc != AD_OK;
        for (size_t i = 0; i < r.n; i++)
            failed = failed || r.c[i].status == C_FAILED || r.c[i].hook_status > 0;
        *exit_code = failed ? AD_EXIT_RENEW : 0;
    }
    if (rc == AD_OK || rc == AD_ERR_INTERRUPTED) {
        if (cli->json)
            print_json(&r, rc == AD_OK ? *exit_code : ad_exit_code(rc));
        else
            print_summary(&r);
    }
    if (rc == AD_OK) {
        if (*exit_code != 0)
            ad_err("renew: %s (exit status %d)",
                   r.cleanup_rc != AD_OK ? "the provider could not remove every TXT record"
                                         : "not every certificate was renewed; see the summary lines",
                   AD_EXIT_RENEW);
    }
    if (cli->timings || cli->verbosity >= 2)
        ad_timings_print(&r.tm, &r.http, stderr);
    free(group);
    free(done);
    free_certs(&r);
    ad_instances_free(r.set);
    return rc;
}

/* ------------------------------------------------------------------ certificates */

ad_status ad_certificates_run(const struct ad_cli *cli, const char *state_dir)
{
    struct run r = {.cli = cli, .state_dir = state_dir};
    json_object *arr = NULL;
    ad_status rc = list_certs(&r);
    int64_t now = ad_wall_now();
    if (rc != AD_OK)
        goto out;
    if (cli->json && !(arr = json_object_new_array())) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    bool quiet = cli->verbosity == 0 && !cli->json; /* -q: nothing but errors */
    if (!cli->json && r.n && !quiet)
        printf("%-24s %-40s %-20s %5s  %-44s %s\n", "NAME", "DOMAINS", "NOT AFTER", "DAYS", "RENEWAL", "PROVIDER");
    for (size_t i = 0; i < r.n; i++) {
        struct cert *c = &r.c[i];
        char na[AD_RFC3339_LEN] = "-", due[AD_RFC3339_LEN] = "", chk[AD_RFC3339_LEN] = "", *doms = strdup("");
        const char *how = "";
        bool ari = false;
        if ((rc = load_cert(&r, c)) != AD_OK || !doms) {
            free(doms);
            rc = rc == AD_OK ? AD_ERR_NOMEM : rc;
            goto out;
        }
        for (size_t k = 0; k < c->set.ndomains && doms; k++) {
            char *t = ad_asprintf("%s%s%s", doms, k ? "," : "", c->set.domains[k]);
            free(doms);
            doms = t;
        }
        if (c->have_cert) {
            ad_rfc3339_format(c->info.not_after, na, sizeof na);
            ari = c->info.ari_id && c->st.cert_id && strcmp(c->st.cert_id, c->info.ari_id) == 0;
            ad_rfc3339_format(ari ? c->st.selected : ad_due_by_lifetime(c->info.not_before, c->info.not_after), due,
                              sizeof due);
            how = ari ? "ARI" : "lifetime";
            if (ari)
                ad_rfc3339_format(c->st.next_check, chk, sizeof chk);
        }
        long long days = c->have_cert ? (long long)((c->info.not_after - now) / 86400) : 0;
        char *prov = strdup(c->have_settings ? c->set.provider.name : "-");
        for (size_t k = 0; c->have_settings && k < c->set.nextra && prov; k++) {
            char *t = ad_asprintf("%s,%s", prov, c->set.extra[k].name);
            free(prov);
            prov = t;
        }
        if (!prov) {
            free(doms);
            rc = AD_ERR_NOMEM;
            goto out;
        }
        if (cli->json) {
            json_object *o = json_object_new_object();
            if (!o) {
                free(doms);
                free(prov);
                rc = AD_ERR_NOMEM;
                goto out;
            }
            json_object_object_add(o, "name", json_object_new_string(c->name));
            json_object_object_add(o, "managed", json_object_new_boolean(c->have_settings));
            if (c->have_settings) {
                json_object_object_add(o, "domains", ad_json_strs(c->set.domains, c->set.ndomains));
                json_object_object_add(o, "provider", json_object_new_string(c->set.provider.name));
                if (c->set.nextra) {
                    json_object_object_add(o, "providers", ad_json_providers(&c->set));
                }
                json_object_object_add(o, "server", json_object_new_string(c->set.server));
            }
            if (c->have_cert) {
                json_object_object_add(o, "not_after", json_object_new_string(na));
                json_object_object_add(o, "days_left", json_object_new_int64(days));
                json_object_object_add(o, "serial", json_object_new_string(c->info.serial));
                json_object_object_add(o, "renewal", json_object_new_string(due));
                json_object_object_add(o, "renewal_from", json_object_new_string(how));
                if (ari)
                    json_object_object_add(o, "next_ari_check", json_object_new_string(chk));
            }
            if (c->st.failures)
                json_object_object_add(o, "failures", json_object_new_int((int)c->st.failures));
            if (revoked(c))
                json_object_object_add(o, "revoked", json_object_new_boolean(1));
            if (c->status == C_FAILED || c->status == C_SKIPPED)
                json_object_object_add(o, "problem", json_object_new_string(c->error ? c->error : ""));
            json_object_array_add(arr, o);
        } else if (!quiet) {
            char ren[96];
            if (!c->have_cert)
                snprintf(ren, sizeof ren, "%s", c->have_settings ? "now (no certificate)" : "-");
            else if (revoked(c))
                snprintf(ren, sizeof ren, "now (revoked)");
            else if (ari)
                snprintf(ren, sizeof ren, "%s (ARI; check %s)", due, chk);
            else
                snprintf(ren, sizeof ren, "%s (%s)", due, how);
            printf("%-24s %-40s %-20s %5lld  %-44s %s%s\n", c->name, c->have_settings ? doms : "(no settings)", na,
                   days, ren, prov, c->st.failures ? " (last renewal failed)" : "");
        }
        free(doms);
        free(prov);
    }
    if (cli->json) {
        json_object *root = json_object_new_object();
        if (!root) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
        json_object_object_add(root, "certificates", arr);
        arr = NULL;
        puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(root);
    } else if (!r.n && !quiet) {
        printf("no certificates in %s/certs\n", state_dir);
    }
    fflush(stdout);
out:
    json_object_put(arr);
    free_certs(&r);
    return rc;
}
