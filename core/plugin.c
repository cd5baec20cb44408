#include "plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

struct ad_provider {
    void *dl;
    const struct ad_plugin *plugin;
    char *path;
    char *prefix;
    struct ad_host host;
    void *state;
    int initialised;
    uint32_t flags;        /* the started plugin's AD_PROVIDER_* (ABI 1.2) */
    unsigned signals_seen; /* signals that arrived before the current cleanup */
};

static bool name_ok(const char *n)
{
    size_t l = strlen(n);
    if (l == 0 || l > 64)
        return false;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9') || *n == '-' || *n == '_'))
            return false;
    return true;
}

/* As root, a plugin file or its folder that others can write is refused. */
/* During cleanup only a further signal interrupts: the records must go. */
static int host_interrupted(void *ctx)
{
    struct ad_provider *p = ctx;
    return ad_signal_count() > p->signals_seen ? 1 : 0;
}

static ad_status check_perms(const char *path, char **why)
{
    struct stat st;
    char *dir = NULL, *slash;
    ad_status rc = AD_ERR_PLUGIN;
    if (geteuid() != 0)
        return AD_OK;
    if (stat(path, &st) != 0) {
        *why = ad_asprintf("cannot read plugin %s: %s", path, strerror(errno));
        goto out;
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) || (st.st_uid != 0)) {
        *why = ad_asprintf("refusing plugin %s: running as root, and the file is not owned by root or is writable by "
                           "others (fix with chown root and chmod go-w)",
                           path);
        goto out;
    }
    if (!(dir = strdup(path))) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    if ((slash = strrchr(dir, '/')))
        *(slash == dir ? slash + 1 : slash) = '\0';
    if (stat(dir, &st) != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) || st.st_uid != 0) {
        *why = ad_asprintf("refusing plugin %s: running as root, and its folder %s is not owned by root or is "
                           "writable by others (fix with chown root and chmod go-w)",
                           path, dir);
        goto out;
    }
    rc = AD_OK;
out:
    free(dir);
    return rc;
}

static void host_log(void *ctx, enum ad_log_level level, const char *fmt, ...)
{
    struct ad_provider *p = ctx;
    va_list ap;
    va_start(ap, fmt);
    ad_logv(level, p->prefix, fmt, ap);
    va_end(ap);
}

static void host_add_secret(void *ctx, const char *secret)
{
    (void)ctx;
    ad_log_add_secret(secret);
}

/* Load the plugin file PATH (taken over).  On failure *WHY (caller frees)
 * says why, in the words ad_provider_load logs. */
static ad_status load_file(char *path, struct ad_provider **out, char **why)
{
    ad_status rc = AD_ERR_PLUGIN;
    struct ad_provider *p = calloc(1, sizeof *p);
    *why = NULL;
    if (!p) {
        free(path);
        return AD_ERR_NOMEM;
    }
    p->path = path;
    if ((rc = check_perms(p->path, why)) != AD_OK)
        goto out;
    rc = AD_ERR_PLUGIN;
    if (!(p->dl = dlopen(p->path, RTLD_NOW | RTLD_LOCAL))) {
        *why = ad_asprintf("cannot load plugin %s: %s", p->path, dlerror());
        goto out;
    }
    p->plugin = dlsym(p->dl, AD_PLUGIN_SYMBOL);
    if (!p->plugin) {
        *why = ad_asprintf("%s is not an acme-dns plugin: it has no '%s' symbol (declare it with AD_PLUGIN_DECLARE)",
                           p->path, AD_PLUGIN_SYMBOL);
        goto out;
    }
    if (AD_PLUGIN_ABI_MAJOR_OF(p->plugin->abi_version) != AD_PLUGIN_ABI_MAJOR) {
        *why = ad_asprintf("plugin %s was built for plugin ABI %u, this acme-dns speaks ABI %u: rebuild the plugin "
                           "against this version's <acme-dns/plugin.h>",
                           p->path, AD_PLUGIN_ABI_MAJOR_OF(p->plugin->abi_version), AD_PLUGIN_ABI_MAJOR);
        goto out;
    }
    /* ABI 1.0 descriptors end before the env table (1.1). */
    if (p->plugin->struct_size < offsetof(struct ad_plugin, env)) {
        *why = ad_asprintf("plugin %s has a descriptor of %zu bytes, smaller than the %zu this acme-dns needs: "
                           "rebuild it",
                           p->path, p->plugin->struct_size, offsetof(struct ad_plugin, env));
        goto out;
    }
    if (!p->plugin->name || !p->plugin->init || !p->plugin->present || !p->plugin->cleanup || !p->plugin->options) {
        *why = ad_asprintf("plugin %s has an incomplete descriptor (name, options, init, present and cleanup are "
                           "required)",
                           p->path);
        goto out;
    }
    if (!(p->prefix = strdup(p->plugin->name))) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    *out = p;
    p = NULL;
    rc = AD_OK;
out:
    if (rc != AD_OK && rc != AD_ERR_NOMEM && !*why)
        rc = AD_ERR_NOMEM;
    ad_provider_free(p);
    return rc;
}

ad_status ad_provider_load(const char *name, const char *const *dirs, size_t ndirs, struct ad_provider **out)
{
    ad_status rc = AD_ERR_PLUGIN;
    char *tried = NULL, *path = NULL, *why = NULL;

    if (!name_ok(name)) {
        ad_err("provider name '%s' is not valid: use lower-case letters, digits, '-' and '_'", name);
        return AD_ERR_USAGE;
    }
    if (!(tried = strdup("")))
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < ndirs && !path; i++) {
        char *t;
        if (!(path = ad_asprintf("%s/%s.so", dirs[i], name))) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
        if (access(path, F_OK) == 0)
            break;
        t = ad_asprintf("%s%s%s", tried, *tried ? ", " : "", path);
        free(path);
        path = NULL;
        free(tried);
        if (!(tried = t)) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
    }
    if (!path) {
        ad_err("provider '%s' not found: looked for %s; check --provider or --plugin-dir", name, tried);
        goto out;
    }
    if ((rc = load_file(path, out, &why)) == AD_OK)
        ad_debug("loaded provider %s from %s", (*out)->plugin->name, (*out)->path);
    else if (why)
        ad_err("%s", why);
out:
    free(why);
    free(tried);
    return rc;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

ad_status ad_plugins_list(const char *const *dirs, size_t ndirs, FILE *out, size_t *found, size_t *failed)
{
    ad_status rc = AD_OK;
    char **seen = NULL; /* provider names found so far: the loader takes the first */
    size_t nseen = 0;
    *found = *failed = 0;
    for (size_t d = 0; d < ndirs && rc == AD_OK; d++) {
        DIR *dir = opendir(dirs[d]);
        char **files = NULL;
        size_t nfiles = 0;
        if (!dir) {
            if (out)
                fprintf(out, "%s: no plugins (%s)\n", dirs[d], strerror(errno));
            continue;
        }
        for (struct dirent *e; rc == AD_OK && (e = readdir(dir));) {
            size_t l = strlen(e->d_name);
            if (l <= 3 || strcmp(e->d_name + l - 3, ".so") != 0)
                continue;
            char **f = nfiles < 10000 ? realloc(files, (nfiles + 1) * sizeof *f) : NULL;
            if (!f || !(f[nfiles] = ad_strndup(e->d_name, l - 3))) {
                files = f ? f : files;
                rc = AD_ERR_NOMEM;
                break;
            }
            files = f;
            nfiles++;
        }
        closedir(dir);
        if (nfiles)
            qsort(files, nfiles, sizeof *files, str_cmp);
        if (out)
            fprintf(out, "%s:%s\n", dirs[d], nfiles ? "" : " no plugins");
        for (size_t i = 0; i < nfiles && rc == AD_OK; i++) {
            struct ad_provider *p = NULL;
            char *why = NULL, *path = ad_asprintf("%s/%s.so", dirs[d], files[i]);
            bool shadowed = false;
            for (size_t k = 0; k < nseen; k++)
                shadowed = shadowed || strcmp(seen[k], files[i]) == 0;
            if (!path) {
                rc = AD_ERR_NOMEM;
                break;
            }
            if (!name_ok(files[i])) {
                why = ad_asprintf("%s is not a provider name (lower-case letters, digits, '-' and '_'): "
                                  "--provider cannot name it",
                                  files[i]);
                free(path);
                rc = why ? AD_ERR_PLUGIN : AD_ERR_NOMEM;
            } else {
                rc = load_file(path, &p, &why);
            }
            if (rc == AD_ERR_NOMEM) {
                free(why);
                break;
            }
            if (rc == AD_OK) {
                const struct ad_plugin *pl = p->plugin;
                (*found)++;
                if (out) {
                    fprintf(out, "  %-16s %s\n", files[i], pl->description ? pl->description : "(no description)");
                    fprintf(out, "  %-16s file %s, plugin ABI %u.%u", "", p->path, AD_PLUGIN_ABI_MAJOR_OF(pl->abi_version),
                            (unsigned)(pl->abi_version & 0xffffu));
                    if (strcmp(pl->name, files[i]) != 0)
                        fprintf(out, ", calls itself %s", pl->name);
                    fprintf(out, "%s\n", shadowed ? "; not used: a folder above has this provider" : "");
                }
            } else {
                (*failed)++;
                if (out)
                    fprintf(out, "  %-16s cannot be loaded: %s\n", files[i], why);
                else
                    ad_err("%s", why);
            }
            rc = AD_OK;
            free(why);
            ad_provider_free(p);
            char **sv = realloc(seen, (nseen + 1) * sizeof *sv);
            if (!sv || !(sv[nseen] = strdup(files[i]))) {
                seen = sv ? sv : seen;
                rc = AD_ERR_NOMEM;
                break;
            }
            seen = sv;
            nseen++;
        }
        ad_strv_free(files, nfiles);
    }
    ad_strv_free(seen, nseen);
    if (out)
        fflush(out);
    return rc;
}

void ad_provider_free(struct ad_provider *p)
{
    if (!p)
        return;
    if (p->initialised && p->plugin->fini)
        p->plugin->fini(p->state);
    if (p->dl)
        dlclose(p->dl);
    free(p->path);
    free(p->prefix);
    free(p);
}

const struct ad_plugin *ad_provider_plugin(const struct ad_provider *p)
{
    return p->plugin;
}

const struct ad_plugin_env *ad_provider_env(const struct ad_provider *p)
{
    const struct ad_plugin *pl = p->plugin;
    if (pl->struct_size < offsetof(struct ad_plugin, env) + sizeof pl->env)
        return NULL;
    return pl->env;
}

static const struct ad_plugin_option *find_opt(const struct ad_plugin *pl, const char *name)
{
    for (const struct ad_plugin_option *o = pl->options; o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

ad_status ad_provider_init(struct ad_provider *p, const struct ad_option_value *opts, size_t nopts,
                           const char *ca_bundle, int verbosity)
{
    const struct ad_plugin *pl = p->plugin;
    for (size_t i = 0; i < nopts; i++) {
        const struct ad_plugin_option *o = find_opt(pl, opts[i].name);
        if (!o) {
            ad_err("provider %s has no option '%s': see acme-dns --provider %s --help", pl->name, opts[i].name,
                   pl->name);
            return AD_ERR_CONFIG;
        }
        if (o->flags & AD_OPT_SECRET)
            ad_log_add_secret(opts[i].value);
        for (size_t j = 0; j < i; j++)
            if (strcmp(opts[j].name, opts[i].name) == 0) {
                ad_err("provider option '%s' is given twice", opts[i].name);
                return AD_ERR_CONFIG;
            }
    }
    for (const struct ad_plugin_option *o = pl->options; o->name; o++)
        if ((o->flags & AD_OPT_REQUIRED) && !ad_option_get(opts, nopts, o->name)) {
            ad_err("provider %s needs the option '%s' (%s): add --provider-opt %s=VALUE", pl->name, o->name,
                   o->help ? o->help : "", o->name);
            return AD_ERR_CONFIG;
        }
    p->host.abi_version = AD_PLUGIN_ABI_VERSION;
    p->host.struct_size = sizeof p->host;
    p->host.ctx = p;
    p->host.log = host_log;
    p->host.add_secret = host_add_secret;
    p->host.ca_bundle = ca_bundle;
    p->host.verbosity = verbosity;
    p->host.interrupted = host_interrupted;
    ad_status rc = pl->init(&p->host, opts, nopts, &p->state);
    if (rc != AD_OK) {
        ad_err("provider %s could not start (%s)", pl->name, rc == AD_ERR_CONFIG ? "check its options" : "see above");
        return rc == AD_ERR_NOMEM || rc == AD_ERR_AUTH ? rc : AD_ERR_CONFIG;
    }
    p->initialised = 1;
    if (pl->struct_size >= offsetof(struct ad_plugin, flags) + sizeof pl->flags && pl->flags)
        p->flags = pl->flags(p->state);
    return AD_OK;
}

uint32_t ad_provider_flags(const struct ad_provider *p)
{
    return p->flags;
}

ad_status ad_provider_present(struct ad_provider *p, struct ad_record *const *recs, size_t n)
{
    p->signals_seen = 0;
    return p->plugin->present(p->state, recs, n);
}

ad_status ad_provider_cleanup(struct ad_provider *p, struct ad_record *const *recs, size_t n)
{
    p->signals_seen = ad_signal_count();
    ad_status rc = p->plugin->cleanup(p->state, recs, n);
    p->signals_seen = 0;
    return rc;
}

void ad_provider_help(const struct ad_provider *p, FILE *f)
{
    const struct ad_plugin *pl = p->plugin;
    fprintf(f, "provider %s: %s\n(%s)\n\noptions (--provider-opt NAME=VALUE):\n", pl->name,
            pl->description ? pl->description : "", p->path);
    for (const struct ad_plugin_option *o = pl->options; o->name; o++)
        fprintf(f, "  %-20s %s%s%s\n", o->name, o->help ? o->help : "",
                (o->flags & AD_OPT_REQUIRED) ? " (required)" : "", (o->flags & AD_OPT_SECRET) ? " (secret)" : "");
    const struct ad_plugin_env *env = ad_provider_env(p);
    if (env && env->option) {
        fprintf(f, "\nenvironment (read when the option is not given, in this order):\n");
        for (; env->option; env++)
            fprintf(f, "  %-32s as %s\n", env->variable, env->option);
    }
}
