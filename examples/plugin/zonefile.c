/*
 * An out-of-tree acme-dns provider plugin: writes the TXT records into a
 * zone-file fragment (one line each) that a DNS server includes, then runs
 * nothing: reloading the server is left to the reader.  A starting point
 * for a plugin of your own.
 *
 *   cc -std=c17 -shared -fPIC -fvisibility=hidden $(pkg-config --cflags acme-dns-plugin) \
 *      -o zonefile.so zonefile.c
 *   acme-dns --plugin-dir . --provider zonefile --provider-opt path=/etc/bind/acme.inc ...
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <acme-dns/plugin.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct state {
    const struct ad_host *host;
    char *path;
};

static const struct ad_plugin_option options[] = {
    {"path", "zone-file fragment to write the records into", AD_OPT_REQUIRED},
    {NULL, NULL, 0},
};

static ad_status zf_init(const struct ad_host *host, const struct ad_option_value *opts, size_t n, void **out)
{
    struct state *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(ad_option_get(opts, n, "path")))) {
        free(s);
        return AD_ERR_NOMEM;
    }
    s->host = host;
    *out = s;
    return AD_OK;
}

/* Rewrite the file with every line except those of RECS, then (when ADD) RECS. */
static ad_status rewrite(struct state *s, struct ad_record *const *recs, size_t n, int add)
{
    char line[1024], tmp[4096];
    FILE *in = fopen(s->path, "r"), *out;
    snprintf(tmp, sizeof tmp, "%s.tmp", s->path);
    if (!(out = fopen(tmp, "w"))) {
        s->host->log(s->host->ctx, AD_LOG_ERROR, "cannot write %s: %s", tmp, strerror(errno));
        if (in)
            fclose(in);
        return AD_ERR_PROVIDER;
    }
    while (in && fgets(line, sizeof line, in)) {
        int ours = 0;
        for (size_t i = 0; i < n; i++)
            ours |= strstr(line, recs[i]->value) != NULL;
        if (!ours)
            fputs(line, out);
    }
    for (size_t i = 0; add && i < n; i++)
        fprintf(out, "%s. %u IN TXT \"%s\"\n", recs[i]->name, (unsigned)recs[i]->ttl, recs[i]->value);
    if (in)
        fclose(in);
    if (fclose(out) != 0 || rename(tmp, s->path) != 0) {
        s->host->log(s->host->ctx, AD_LOG_ERROR, "cannot replace %s: %s", s->path, strerror(errno));
        return AD_ERR_PROVIDER;
    }
    s->host->log(s->host->ctx, AD_LOG_INFO, "%s %zu record(s) in %s", add ? "wrote" : "removed", n, s->path);
    return AD_OK;
}

static ad_status zf_present(void *st, struct ad_record *const *recs, size_t n)
{
    return rewrite(st, recs, n, 1);
}

static ad_status zf_cleanup(void *st, struct ad_record *const *recs, size_t n)
{
    return rewrite(st, recs, n, 0);
}

static void zf_fini(void *st)
{
    struct state *s = st;
    if (s)
        free(s->path);
    free(s);
}

AD_PLUGIN_DECLARE(zonefile, "Example: TXT records in a zone-file fragment", options, zf_init, zf_present,
                  zf_cleanup, zf_fini);
