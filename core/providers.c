#include "providers.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "util.h"

struct ad_instances {
    char *state_dir;
    char *const *extra_dirs; /* --plugin-dir of this run */
    size_t nextra;
    char exe_dir[PATH_MAX];  /* the build tree's or install tree's plugins beside the binary, or "" */
    const char *ca_bundle;   /* renew --ca-bundle: for every provider of the run, or NULL */
    int verbosity;
    struct ad_instance **v;
    size_t n;
};

ad_status ad_instances_new(const char *state_dir, char *const *plugin_dirs, size_t nplugin_dirs,
                           const char *ca_bundle, int verbosity, struct ad_instances **out)
{
    struct ad_instances *s = calloc(1, sizeof *s);
    if (!s || !(s->state_dir = strdup(state_dir))) {
        free(s);
        return AD_ERR_NOMEM;
    }
    s->extra_dirs = plugin_dirs;
    s->nextra = nplugin_dirs;
    s->ca_bundle = ca_bundle;
    s->verbosity = verbosity;
    ssize_t l = readlink("/proc/self/exe", s->exe_dir, sizeof s->exe_dir - 1);
    char *slash = l > 0 ? (s->exe_dir[l] = '\0', strrchr(s->exe_dir, '/')) : NULL;
    if (slash && (size_t)(slash - s->exe_dir) + 32 < sizeof s->exe_dir)
        strcpy(slash, "/../lib/acme-dns/plugins");
    else
        s->exe_dir[0] = '\0';
    *out = s;
    return AD_OK;
}

static void instance_free(struct ad_instance *in)
{
    if (!in)
        return;
    ad_provider_free(in->prov);
    ad_provider_conf_clear(&in->conf);
    free(in->key);
    free(in->error);
    for (size_t i = 0; i < in->nout; i++)
        if (in->owned[i]) {
            free((char *)in->out[i]->domain);
            free((char *)in->out[i]->name);
            free((char *)in->out[i]->zone);
            free((char *)in->out[i]->value);
            free(in->out[i]);
        }
    free(in->out);
    free(in->owned);
    free(in);
}

void ad_instances_free(struct ad_instances *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        instance_free(s->v[i]);
    free(s->v);
    free(s->state_dir);
    free(s);
}

/* Load the plugin of C: this run's --plugin-dir, C's saved folders, beside
 * the binary, the install folder. */
static ad_status load(struct ad_instances *s, const struct ad_provider_conf *c, struct ad_provider **p)
{
    const char **dirs = calloc(s->nextra + c->nplugin_dirs + 2, sizeof *dirs);
    size_t n = 0;
    if (!dirs)
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < s->nextra; i++)
        dirs[n++] = s->extra_dirs[i];
    for (size_t i = 0; i < c->nplugin_dirs; i++)
        dirs[n++] = c->plugin_dirs[i];
    if (s->exe_dir[0])
        dirs[n++] = s->exe_dir;
    dirs[n++] = AD_PLUGIN_INSTALL_DIR;
    ad_status rc = ad_provider_load(c->name, dirs, n, p);
    free(dirs);
    return rc;
}

ad_status ad_instances_list(struct ad_instances *s, FILE *out, size_t *found, size_t *failed)
{
    const char **dirs = calloc(s->nextra + 2, sizeof *dirs);
    char **real = calloc(s->nextra + 2, sizeof *real);
    size_t n = 0;
    ad_status rc = AD_ERR_NOMEM;
    if (!dirs || !real)
        goto out;
    for (size_t i = 0; i < s->nextra + 2; i++) {
        const char *d = i < s->nextra ? s->extra_dirs[i] : i == s->nextra ? s->exe_dir : AD_PLUGIN_INSTALL_DIR;
        char *r = *d ? realpath(d, NULL) : NULL;
        bool dup = false;
        for (size_t k = 0; r && k < n; k++) /* the same folder twice: once */
            dup = dup || (real[k] && strcmp(real[k], r) == 0);
        if (!*d || dup) {
            free(r);
            continue;
        }
        real[n] = r;
        dirs[n++] = i == s->nextra && r ? r : d; /* beside the binary: without the ".." */
    }
    rc = ad_plugins_list(dirs, n, out, found, failed);
out:
    ad_strv_free(real, n);
    free(dirs);
    return rc;
}

ad_status ad_instances_help(struct ad_instances *s, const char *name, FILE *f)
{
    struct ad_provider_conf c = {.name = (char *)name};
    struct ad_provider *p = NULL;
    ad_status rc = load(s, &c, &p);
    if (rc == AD_OK)
        ad_provider_help(p, f);
    ad_provider_free(p);
    return rc;
}

static ad_status add(struct ad_instances *s, struct ad_instance *in)
{
    struct ad_instance **v = realloc(s->v, (s->n + 1) * sizeof *v);
    if (!v)
        return AD_ERR_NOMEM;
    s->v = v;
    v[s->n++] = in;
    return AD_OK;
}

static void fail(struct ad_instance *in, ad_status rc, char *why)
{
    in->rc = rc;
    free(in->error);
    in->error = why;
    ad_provider_free(in->prov);
    in->prov = NULL;
}

static bool env_set(const char *var)
{
    const char *v = getenv(var);
    return v && *v;
}

/* The provider NAME with options POPTS[0..npopts) of CLI, started; the
 * instance already there when one was started the same way. */
static ad_status from_cli(struct ad_instances *s, const struct ad_cli *cli, const char *name,
                          const struct ad_option_value *popts, size_t npopts, struct ad_instance **out)
{
    ad_status rc = AD_ERR_NOMEM;
    struct ad_instance *in = calloc(1, sizeof *in);
    struct ad_provider_conf *c;
    if (!in)
        return rc;
    c = &in->conf;
    if (!(c->name = strdup(name)) || !(c->opts = calloc(npopts + 1, sizeof *c->opts)) ||
        !(c->unsaved = calloc(npopts + 1, sizeof *c->unsaved)) ||
        !(c->plugin_dirs = calloc(cli->nplugin_dirs + 1, sizeof *c->plugin_dirs)))
        goto out;
    for (size_t i = 0; i < cli->nplugin_dirs; i++) {
        char *abs = realpath(cli->plugin_dirs[i], NULL);
        if (!(c->plugin_dirs[c->nplugin_dirs++] = abs ? abs : strdup(cli->plugin_dirs[i])))
            goto out;
    }
    if (cli->ca_bundle && !(c->ca_bundle = realpath(cli->ca_bundle, NULL)) && !(c->ca_bundle = strdup(cli->ca_bundle)))
        goto out;
    if ((rc = load(s, c, &in->prov)) != AD_OK)
        goto out;
    rc = AD_ERR_NOMEM;
    const struct ad_plugin *pl = ad_provider_plugin(in->prov);
    for (size_t i = 0; i < npopts; i++) {
        const struct ad_plugin_option *o = pl->options;
        while (o->name && strcmp(o->name, popts[i].name) != 0)
            o++;
        if (o->name && (o->flags & AD_OPT_SECRET)) {
            if (!(c->unsaved[c->nunsaved++] = strdup(o->name)))
                goto out;
            continue;
        }
        c->opts[c->nopts].name = strdup(popts[i].name);
        c->opts[c->nopts].value = strdup(popts[i].value);
        if (!c->opts[c->nopts++].name || !c->opts[c->nopts - 1].value)
            goto out;
    }
    /* Which options the plugin is about to take from the environment: the
     * first variable set for each option not given. */
    const struct ad_plugin_env *env = ad_provider_env(in->prov);
    for (size_t k = 0; env && env[k].option; k++) {
        bool given = ad_option_get(popts, npopts, env[k].option) != NULL;
        for (size_t j = 0; j < c->nenv && !given; j++)
            given = strcmp(c->env[j].option, env[k].option) == 0;
        if (given || !env_set(env[k].variable))
            continue;
        struct ad_env_ref *e = realloc(c->env, (c->nenv + 1) * sizeof *e);
        if (!e)
            goto out;
        c->env = e;
        e[c->nenv].option = strdup(env[k].option);
        e[c->nenv].variable = strdup(env[k].variable);
        if (!e[c->nenv].option || !e[c->nenv++].variable)
            goto out;
    }
    ad_provider_conf_sort(c);
    if ((rc = ad_provider_conf_key(c, &in->key)) != AD_OK)
        goto out;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i]->key, in->key) == 0 && s->v[i]->prov) { /* the same provider, named twice */
            *out = s->v[i];
            rc = AD_OK;
            goto out;
        }
    if ((rc = ad_provider_init(in->prov, popts, npopts, cli->ca_bundle, cli->verbosity)) != AD_OK)
        goto out;
    for (size_t i = 0; i < c->nunsaved; i++)
        ad_warn("the secret option %s is not saved: a later renew takes it from the environment%s, so set it there "
                "(or give the provider a key file) before the certificate is due",
                c->unsaved[i], env ? " (acme-dns --provider NAME --help lists the variables)" : "");
    if ((rc = add(s, in)) != AD_OK)
        goto out;
    *out = in;
    in = NULL;
out:
    instance_free(in);
    return rc;
}

ad_status ad_instances_from_cli(struct ad_instances *s, const struct ad_cli *cli, struct ad_instance **out)
{
    return from_cli(s, cli, cli->provider, cli->popts, cli->npopts, out);
}

ad_status ad_instances_from_cli_all(struct ad_instances *s, const struct ad_cli *cli, struct ad_instance **per_domain)
{
    ad_status rc = AD_OK;
    for (size_t k = 0; k < cli->nproviders && rc == AD_OK; k++) {
        const struct ad_cli_provider *g = &cli->providers[k];
        struct ad_instance *in = NULL;
        if (!g->name) {
            ad_err("no DNS provider: add --provider NAME (hook, rfc2136, cloudflare)");
            return AD_ERR_USAGE;
        }
        if ((rc = from_cli(s, cli, g->name, g->popts, g->npopts, &in)) != AD_OK)
            break;
        for (size_t i = 0; i < cli->ndomains; i++)
            if (cli->domain_provider[i] == k)
                per_domain[i] = in;
    }
    return rc;
}

/* "A", "A and B", "A, B and C" of the variables (or their options) of C
 * that are not set.  Caller frees; NULL when all are set or out of memory. */
static char *unset_list(const struct ad_provider_conf *c, bool options, size_t *count)
{
    char *s = NULL;
    size_t n = 0, k = 0;
    for (size_t i = 0; i < c->nenv; i++)
        n += !env_set(c->env[i].variable);
    *count = n;
    for (size_t i = 0; i < c->nenv; i++) {
        if (env_set(c->env[i].variable))
            continue;
        const char *w = options ? c->env[i].option : c->env[i].variable;
        char *t = ad_asprintf("%s%s%s", s ? s : "", k == 0 ? "" : k + 1 == n ? " and " : ", ", w);
        free(s);
        if (!(s = t))
            return NULL;
        k++;
    }
    return s;
}

/* Why C cannot be started in this environment, or NULL.  Caller frees. */
static char *env_problem(const struct ad_provider_conf *c, const struct ad_plugin_env *env)
{
    size_t n;
    char *opts = unset_list(c, true, &n), *vars = unset_list(c, false, &n), *why = NULL;
    if (n) {
        why = opts && vars ? ad_asprintf("provider %s takes %s from the environment variable%s %s, as when the "
                                         "certificate was issued, and %s not set: set %s for acme-dns renew (in a "
                                         "systemd service: Environment= or EnvironmentFile=)",
                                         c->name, opts, n > 1 ? "s" : "", vars, n > 1 ? "they are" : "it is",
                                         n > 1 ? "them" : "it")
                           : NULL;
        free(opts);
        free(vars);
        return why;
    }
    free(opts);
    free(vars);
    for (size_t i = 0; i < c->nunsaved; i++) {
        const char *var = NULL;
        bool now = false;
        for (size_t k = 0; env && env[k].option && !now; k++)
            if (strcmp(env[k].option, c->unsaved[i]) == 0) {
                var = var ? var : env[k].variable;
                now = env_set(env[k].variable);
            }
        if (!now)
            return ad_asprintf("provider %s was given the secret option %s on the command line when the certificate "
                               "was issued, and secrets are never saved: %s%s%s",
                               c->name, c->unsaved[i], var ? "set " : "issue it again with the secret in a file",
                               var ? var : "", var ? " for acme-dns renew" : "");
    }
    return NULL;
}

struct ad_instance *ad_instances_get(struct ad_instances *s, const struct ad_provider_conf *conf)
{
    char *key = NULL, *why;
    struct ad_instance *in = NULL;
    struct ad_provider_conf over = *conf;
    const struct ad_provider_conf *c = conf;
    if (s->ca_bundle) { /* renew --ca-bundle: this run's, for the plugin too */
        over.ca_bundle = (char *)s->ca_bundle;
        c = &over;
    }
    if (ad_provider_conf_key(c, &key) != AD_OK)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i]->key, key) == 0) {
            free(key);
            return s->v[i];
        }
    if (!(in = calloc(1, sizeof *in)) || ad_provider_conf_copy(c, &in->conf) != AD_OK || add(s, in) != AD_OK) {
        free(key);
        instance_free(in);
        return NULL;
    }
    in->key = key;
    ad_status rc = load(s, c, &in->prov);
    if (rc != AD_OK) {
        fail(in, rc, ad_asprintf("provider %s could not be loaded (see above)", c->name));
    } else if ((why = env_problem(c, ad_provider_env(in->prov)))) {
        ad_err("%s", why);
        fail(in, AD_ERR_CONFIG, why);
    } else if ((rc = ad_provider_init(in->prov, c->opts, c->nopts, in->conf.ca_bundle, s->verbosity)) != AD_OK) {
        fail(in, rc, ad_asprintf("provider %s could not start with its saved options (see above)", c->name));
    }
    return in;
}

static int zone_cmp(const struct ad_record *a, const struct ad_record *b)
{
    return strcmp(a->zone ? a->zone : "", b->zone ? b->zone : "");
}

/* IDX[0..n) ordered so that RECS of one zone are adjacent. */
static size_t *by_zone(struct ad_record *const *recs, size_t n)
{
    size_t *idx = calloc(n ? n : 1, sizeof *idx);
    if (!idx)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        for (; j > 0 && zone_cmp(recs[idx[j - 1]], recs[i]) > 0; j--)
            idx[j] = idx[j - 1];
        idx[j] = i;
    }
    return idx;
}

static ad_status save(struct ad_instances *s, struct ad_instance *in)
{
    return ad_journal_save(s->state_dir, in->key, &in->conf, in->out, in->nout);
}

static ad_status track(struct ad_instance *in, struct ad_record *r, bool owned)
{
    if (in->nout == in->capout) {
        size_t c = in->capout ? in->capout * 2 : 16;
        struct ad_record **o = realloc(in->out, c * sizeof *o);
        if (!o)
            return AD_ERR_NOMEM;
        in->out = o;
        bool *w = realloc(in->owned, c * sizeof *w);
        if (!w)
            return AD_ERR_NOMEM;
        in->owned = w;
        in->capout = c;
    }
    in->out[in->nout] = r;
    in->owned[in->nout++] = owned;
    return AD_OK;
}

static void untrack(struct ad_instance *in, const struct ad_record *r)
{
    for (size_t i = 0; i < in->nout; i++)
        if (in->out[i] == r) {
            if (in->owned[i]) {
                free((char *)r->domain);
                free((char *)r->name);
                free((char *)r->zone);
                free((char *)r->value);
                free((void *)r);
            }
            in->out[i] = in->out[--in->nout];
            in->owned[i] = in->owned[in->nout];
            return;
        }
}

ad_status ad_instance_present(struct ad_instances *s, struct ad_instance *in, struct ad_record **recs, size_t n,
                              ad_status *rcs)
{
    const char *pname = in->conf.name;
    size_t *idx = by_zone(recs, n);
    struct ad_record **batch = calloc(n ? n : 1, sizeof *batch);
    ad_status rc = AD_ERR_NOMEM;
    if (!idx || !batch)
        goto out;
    for (size_t i = 0; i < n; i++) {
        rcs[i] = AD_ERR_INTERRUPTED;
        if ((rc = track(in, recs[i], false)) != AD_OK)
            goto out;
    }
    if ((rc = save(s, in)) != AD_OK)
        goto out;
    for (size_t i = 0; i < n && !ad_is_interrupted();) {
        size_t j = i + 1;
        while (j < n && zone_cmp(recs[idx[i]], recs[idx[j]]) == 0)
            j++;
        for (size_t k = i; k < j; k++)
            batch[k - i] = recs[idx[k]];
        const char *zone = batch[0]->zone ? batch[0]->zone : "?";
        ad_info("adding %zu TXT record(s) in zone %s through %s", j - i, zone, pname);
        ad_status c = ad_provider_present(in->prov, batch, j - i);
        if (c != AD_OK && ad_is_interrupted())
            c = AD_ERR_INTERRUPTED;
        if (c != AD_OK && c != AD_ERR_INTERRUPTED) {
            ad_err("provider %s could not add the TXT records of zone %s", pname, zone);
            c = c == AD_ERR_AUTH || c == AD_ERR_NOMEM ? c : AD_ERR_PROVIDER;
        }
        for (size_t k = i; k < j; k++)
            rcs[idx[k]] = c;
        i = j;
    }
    rc = save(s, in); /* now with each record's provider data */
    if (rc == AD_OK && ad_is_interrupted())
        rc = AD_ERR_INTERRUPTED;
out:
    free(idx);
    free(batch);
    return rc;
}

ad_status ad_instance_cleanup(struct ad_instances *s, struct ad_instance *in, struct ad_record **recs, size_t n)
{
    size_t *idx = by_zone(recs, n);
    struct ad_record **batch = calloc(n ? n : 1, sizeof *batch);
    ad_status rc = AD_OK;
    if (!idx || !batch) {
        free(idx);
        free(batch);
        return AD_ERR_NOMEM;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && zone_cmp(recs[idx[i]], recs[idx[j]]) == 0)
            j++;
        for (size_t k = i; k < j; k++)
            batch[k - i] = recs[idx[k]];
        ad_info("removing %zu TXT record(s) in zone %s", j - i, batch[0]->zone ? batch[0]->zone : "?");
        ad_status c = ad_provider_cleanup(in->prov, batch, j - i);
        if (c == AD_OK)
            for (size_t k = 0; k < j - i; k++)
                untrack(in, batch[k]);
        else if (rc == AD_OK)
            rc = c == AD_ERR_AUTH ? c : AD_ERR_PROVIDER;
        i = j;
    }
    free(idx);
    free(batch);
    ad_status w = save(s, in);
    if (rc != AD_OK)
        ad_err("provider %s could not remove every TXT record: its journal in %s/journals keeps them, and the next "
               "run removes them",
               in->conf.name, s->state_dir);
    return rc != AD_OK ? rc : w;
}

/* The legacy journal (STATE/journal.json) names only a provider: remove
 * its records with this run's provider of that name, if there is one. */
static ad_status recover_legacy(struct ad_instances *s, struct ad_journal *j)
{
    struct ad_instance *in = NULL;
    for (size_t i = 0; i < s->n && !in; i++)
        if (s->v[i]->prov && strcmp(s->v[i]->conf.name, j->provider.name) == 0)
            in = s->v[i];
    if (!in) {
        ad_warn("an earlier run left %zu TXT record(s) through provider %s (%s); run acme-dns once with --provider "
                "%s to remove them",
                j->n, j->provider.name, j->path, j->provider.name);
        return AD_OK;
    }
    ad_info("removing %zu TXT record(s) that an interrupted run left behind", j->n);
    ad_status rc = AD_OK;
    size_t *idx = by_zone(j->recs, j->n);
    struct ad_record **batch = calloc(j->n, sizeof *batch);
    if (!idx || !batch) {
        free(idx);
        free(batch);
        return AD_ERR_NOMEM;
    }
    for (size_t i = 0; i < j->n;) {
        size_t k = i + 1;
        while (k < j->n && zone_cmp(j->recs[idx[i]], j->recs[idx[k]]) == 0)
            k++;
        for (size_t m = i; m < k; m++)
            batch[m - i] = j->recs[idx[m]];
        if (ad_provider_cleanup(in->prov, batch, k - i) != AD_OK)
            rc = AD_ERR_PROVIDER;
        i = k;
    }
    free(idx);
    free(batch);
    if (rc != AD_OK) {
        ad_err("could not remove the records an earlier run left behind (%s): fix the provider's problem above",
               j->path);
        return rc;
    }
    return ad_journal_remove(j);
}

ad_status ad_instances_recover(struct ad_instances *s)
{
    struct ad_journal *js = NULL;
    size_t n = 0;
    ad_status rc = ad_journals_load(s->state_dir, &js, &n);
    for (size_t i = 0; i < n && rc == AD_OK && !ad_is_interrupted(); i++) {
        struct ad_journal *j = &js[i];
        if (j->legacy) {
            rc = recover_legacy(s, j);
            continue;
        }
        struct ad_instance *in = ad_instances_get(s, &j->provider);
        if (!in) {
            rc = AD_ERR_NOMEM;
            break;
        }
        if (!in->prov) {
            ad_warn("%s lists %zu TXT record(s) of provider %s that cannot be removed now (%s): it is kept, and a "
                    "later run removes them",
                    j->path, j->n, j->provider.name, in->error ? in->error : ad_strerror(in->rc));
            continue;
        }
        ad_info("removing %zu TXT record(s) that an interrupted run left behind (%s)", j->n, j->path);
        /* The instance owns them from here: what cannot be removed stays in
         * its journal, which this run rewrites. */
        for (size_t k = 0; k < j->n && rc == AD_OK; k++) {
            if ((rc = track(in, j->recs[k], true)) == AD_OK)
                j->recs[k] = NULL;
        }
        if (rc != AD_OK)
            break;
        struct ad_record **mine = calloc(in->nout ? in->nout : 1, sizeof *mine);
        if (!mine) {
            rc = AD_ERR_NOMEM;
            break;
        }
        size_t m = 0;
        for (size_t k = 0; k < in->nout; k++)
            if (in->owned[k])
                mine[m++] = in->out[k];
        ad_status c = ad_instance_cleanup(s, in, mine, m);
        if (c == AD_OK) {
            rc = ad_journal_remove(j); /* gone already, unless an older layout named it otherwise */
        } else {
            /* Adding records on top of ones it cannot remove would only make
             * more: this provider sits this run out. */
            ad_err("could not remove the records an earlier run left behind (%s): fix the provider's problem above",
                   j->path);
            fail(in, c, ad_asprintf("provider %s could not remove the TXT records an earlier run left (%s); they "
                                    "stay in its journal",
                                    in->conf.name, j->path));
        }
        free(mine);
    }
    /* ad_journal_clear frees records still owned by the journal only. */
    ad_journals_free(js, n);
    return rc;
}
