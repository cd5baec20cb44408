/*
 * Cloudflare DNS provider (API v4).
 *
 * present():  find each record's zone (zone-id, or GET /zones?name=... from
 *             the record name upwards, longest match, cached), then
 *             POST /zones/{zone}/dns_records for all records concurrently.
 *             The cleanup datum is "ZONEID/RECORDID".
 * cleanup():  DELETE /zones/{zone}/dns_records/{id}; without an id, list the
 *             TXT records at the name and delete only those carrying our
 *             value.  Already gone counts as deleted.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acme-dns/plugin.h"
#include "cf_http.h"
#include "cf_util.h"
#include "credfile.h"
#include "ini.h"
#include "parse.h"

#ifndef AD_VERSION
#define AD_VERSION "0"
#endif

#define CF_DEFAULT_API "https://api.cloudflare.com/client/v4"
#define CF_DEFAULT_TTL 120
#define CF_PAGES_MAX 20
#define CF_MATCH_MAX 16
#define CF_TOKEN_FILE_MAX 4096

#define LOG(cf, lvl, ...) (cf)->host->log((cf)->host->ctx, (lvl), __VA_ARGS__)

struct cf_zone {
    char *name;  /* owned, lower case */
    char *id;    /* owned, NULL when no zone of that name is visible */
};

struct cf {
    const struct ad_host *host;  /* borrowed until fini */
    struct ad_cf_http *http;     /* owned */
    char *api;                   /* owned, no trailing slash */
    char *zone_id;               /* owned, from the zone-id option, or NULL */
    struct curl_slist *zone_headers; /* owned: the zone look-ups' headers (lego's split
                                        token, CF_ZONE_API_TOKEN), or NULL: the engine's */
    long ttl;
    bool rejected;  /* the credentials were rejected: make no further calls */
    struct cf_zone *zones;       /* owned: every name looked up this run (a batch's names and their parents) */
    size_t nzones, zcap;
};

enum cf_op { CF_OP_ZONE_READ, CF_OP_DNS_READ, CF_OP_DNS_WRITE };

static const struct ad_plugin_option cf_options[] = {
    {"api-token", "API token (Zone:DNS:Edit, plus Zone:Zone:Read unless zone-id is given); "
                  "default $CLOUDFLARE_DNS_API_TOKEN or $CF_DNS_API_TOKEN", AD_OPT_SECRET},
    {"api-token-file", "file holding the API token (a trailing newline is ignored)", 0},
    {"email", "account email for the legacy global API key; default $CLOUDFLARE_EMAIL or $CF_API_EMAIL", 0},
    {"api-key", "legacy global API key (use an API token instead); default $CLOUDFLARE_API_KEY or $CF_API_KEY",
     AD_OPT_SECRET},
    {"zone-id", "zone ID; skips the zone look-up (needed for tokens without Zone:Zone:Read)", 0},
    {"ttl", "TTL of the TXT records in seconds, 30..86400, or 1 for automatic (default 120)", 0},
    {"api-url", "API base URL (default " CF_DEFAULT_API "); http:// only for loopback", 0},
    {"ca-bundle", "CA certificates (PEM file) to verify the API's TLS certificate", 0},
    {"zone-api-token", "a second API token for the zone look-ups alone (Zone:Zone:Read; lego's split token); "
                       "default $CLOUDFLARE_ZONE_API_TOKEN or $CF_ZONE_API_TOKEN", AD_OPT_SECRET},
    {"credentials", "certbot's cloudflare.ini (dns_cloudflare_api_token, or dns_cloudflare_email and "
                    "dns_cloudflare_api_key), absolute path", 0},
    {NULL, NULL, 0}};

/* ---------------------------------------------------------------- helpers */

static ad_status worse(ad_status a, ad_status b)
{
    if (a == AD_ERR_AUTH || b == AD_ERR_AUTH)
        return AD_ERR_AUTH;
    return a != AD_OK ? a : b;
}

static char *cat_url(const char *a, const char *b, const char *c, const char *d)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s%s", a, b, c, d);
    return s;
}

static char *escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    char *copy = e ? strdup(e) : NULL;
    curl_free(e);
    return copy;
}

/* Log why request R (doing WHAT) failed and return the status for it. */
static ad_status cf_fail(struct cf *cf, const struct ad_cf_req *r, enum cf_op op, const char *what,
                         const char *zone)
{
    if (r->failed) {
        LOG(cf, AD_LOG_ERROR, "%s: %s", what, r->err);
        return AD_ERR_PROVIDER;
    }
    char errs[600];
    ad_cf_env_errors(r->json, errs, sizeof(errs));
    struct json_object *j = r->json;
    if (r->http == 401 || ad_cf_env_has_code(j, 9109) || ad_cf_env_has_code(j, 6003) ||
        ad_cf_env_has_code(j, 6111) || ad_cf_env_has_code(j, 6103) || ad_cf_env_has_code(j, 9103) ||
        ad_cf_env_has_code(j, 9106) || ad_cf_env_has_code(j, 9107) || ad_cf_env_has_code(j, 1000)) {
        LOG(cf, AD_LOG_ERROR,
            "%s: Cloudflare rejected the credentials (HTTP %ld: %s): check the API token "
            "(api-token, api-token-file, CLOUDFLARE_DNS_API_TOKEN) or the global API key and email",
            what, r->http, errs);
        cf->rejected = true;
        return AD_ERR_AUTH;
    }
    if (r->http == 403 || ad_cf_env_has_code(j, 10000)) {
        switch (op) {
        case CF_OP_ZONE_READ:
            LOG(cf, AD_LOG_ERROR,
                "%s: permission denied (HTTP %ld: %s): the token needs Zone:Zone:Read to look "
                "zones up; grant it, or give --provider-opt zone-id=ID",
                what, r->http, errs);
            break;
        case CF_OP_DNS_READ:
        case CF_OP_DNS_WRITE:
            LOG(cf, AD_LOG_ERROR,
                "%s: permission denied (HTTP %ld: %s): the token lacks Zone:DNS:Edit for zone %s, "
                "or that zone is outside the token's zone resources; edit the token in the "
                "Cloudflare dashboard (My Profile > API Tokens)",
                what, r->http, errs, zone ? zone : "?");
            break;
        }
        return AD_ERR_AUTH;
    }
    if (op != CF_OP_ZONE_READ &&
        (ad_cf_env_has_code(j, 1003) || ad_cf_env_has_code(j, 7003) ||
         ad_cf_env_has_code(j, 7000) || ad_cf_env_has_code(j, 1001))) {
        LOG(cf, AD_LOG_ERROR,
            "%s: Cloudflare does not know zone %s (HTTP %ld: %s): check zone-id (the zone's ID "
            "from its Overview page) and that the zone is in this account",
            what, zone ? zone : "?", r->http, errs);
        return AD_ERR_PROVIDER;
    }
    LOG(cf, AD_LOG_ERROR, "%s: Cloudflare API error (HTTP %ld: %s)", what, r->http, errs);
    return AD_ERR_PROVIDER;
}

static bool answer_ok(const struct ad_cf_req *r)
{
    return !r->failed && r->http >= 200 && r->http < 300 && ad_cf_env_success(r->json);
}

/* ------------------------------------------------------------------ zones */

static struct cf_zone *zone_cached(struct cf *cf, const char *name)
{
    for (size_t i = 0; i < cf->nzones; i++)
        if (strcasecmp(cf->zones[i].name, name) == 0)
            return &cf->zones[i];
    return NULL;
}

/* Remember what Cloudflare said about NAME (ID NULL: no such zone).  The
 * cache grows with the names of the run's batches (bounded by the core's
 * limits on names), so that any number of subdomains works; the strings
 * handed out stay where they are when it grows. */
static ad_status zone_remember(struct cf *cf, const char *name, const char *id)
{
    if (cf->nzones == cf->zcap) {
        size_t cap = cf->zcap ? cf->zcap * 2 : 16;
        struct cf_zone *z = realloc(cf->zones, cap * sizeof(*z));
        if (!z)
            goto nomem;
        cf->zones = z;
        cf->zcap = cap;
    }
    struct cf_zone *z = &cf->zones[cf->nzones];
    z->name = strdup(name);
    z->id = id ? strdup(id) : NULL;
    if (!z->name || (id && !z->id)) {
        free(z->name);
        free(z->id);
        goto nomem;
    }
    cf->nzones++;
    return AD_OK;
nomem:
    LOG(cf, AD_LOG_ERROR, "out of memory while remembering Cloudflare zone %s", name);
    return AD_ERR_NOMEM;
}

/* Ask Cloudflare for a zone named exactly CAND, following pagination.
 * *id_out is a new string (caller frees) or NULL when there is none. */
static ad_status zone_query(struct cf *cf, const char *cand, char **id_out)
{
    ad_status rc = AD_ERR_PROVIDER;
    char *esc = escape(cand);
    struct ad_cf_req *r = NULL;
    struct ad_cf_zone_pick z;
    memset(&z, 0, sizeof z);
    *id_out = NULL;
    if (!esc) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    for (int page = 1, pages = 1; page <= pages && !z.id[0]; page++) {
        char tail[64];
        snprintf(tail, sizeof(tail), "&per_page=50&page=%d", page);
        r = ad_cf_req_new("GET", cat_url(cf->api, "/zones?name=", esc, tail), NULL);
        if (!r) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
        r->headers = cf->zone_headers;
        ad_cf_http_run(cf->http, &r, 1);
        if (!answer_ok(r)) {
            char what[400];
            snprintf(what, sizeof(what), "looking up Cloudflare zone %s%s", cand,
                     cf->zone_headers ? " with the zone token" : "");
            rc = cf_fail(cf, r, CF_OP_ZONE_READ, what, cand);
            goto out;
        }
        pages = ad_cf_total_pages(r->json, CF_PAGES_MAX);
        ad_cf_zone_pick(r->json, cand, &z);
        ad_cf_req_free(r);
        r = NULL;
    }
    if (!z.id[0] && z.other[0]) {
        LOG(cf, AD_LOG_WARN, "Cloudflare zone %s is %s, not active; using it anyway", cand,
            z.other_status[0] ? z.other_status : "?");
        memcpy(z.id, z.other, sizeof z.id);
    }
    rc = AD_OK;
    if (z.id[0] && !(*id_out = strdup(z.id)))
        rc = AD_ERR_NOMEM;
out:
    ad_cf_req_free(r);
    free(esc);
    return rc;
}

/* Zone of record REC: its id and a name for messages (both borrowed from the
 * plugin state). */
static ad_status zone_for(struct cf *cf, const struct ad_record *rec, const char **id,
                          const char **zname, bool quiet)
{
    if (cf->zone_id) {
        *id = cf->zone_id;
        *zname = rec->zone ? rec->zone : cf->zone_id;
        return AD_OK;
    }
    char tried[512];
    size_t used = 0;
    tried[0] = '\0';
    for (const char *cand = rec->name; cand && strchr(cand, '.'); cand = strchr(cand, '.') + 1) {
        struct cf_zone *z = zone_cached(cf, cand);
        if (!z) {
            char *zid = NULL;
            ad_status st = zone_query(cf, cand, &zid);
            if (st != AD_OK)
                return st;
            st = zone_remember(cf, cand, zid);
            free(zid);
            if (st != AD_OK)
                return st;
            z = &cf->zones[cf->nzones - 1];
        }
        if (z->id) {
            LOG(cf, AD_LOG_DEBUG, "%s is in Cloudflare zone %s (%s)", rec->name, z->name, z->id);
            *id = z->id;
            *zname = z->name;
            return AD_OK;
        }
        int k = snprintf(tried + used, sizeof(tried) - used, "%s%s", used ? ", " : "", cand);
        if (k > 0 && (size_t)k < sizeof(tried) - used)
            used += (size_t)k;
    }
    if (quiet)
        return AD_ERR_DNS;
    LOG(cf, AD_LOG_ERROR,
        "no Cloudflare zone holds %s (looked for %s): add the zone to this Cloudflare account, "
        "include it in the token's zone resources (with Zone:Zone:Read), or give "
        "--provider-opt zone-id=ID",
        rec->name, tried[0] ? tried : "nothing");
    return AD_ERR_PROVIDER;
}

/* ------------------------------------------------------ finding by content */

/* Find the ids of the TXT records at NAME in zone ZID whose content is VALUE. */
struct cf_find {
    const char *zid, *zname, *name, *value;  /* borrowed */
    int page, pages;
    bool done;
    ad_status st;
    char ids[CF_MATCH_MAX][AD_CF_ID_MAX + 1];
    size_t nids;
};

static void find_run(struct cf *cf, struct cf_find *f, size_t n)
{
    struct ad_cf_req **reqs = calloc(n ? n : 1, sizeof(*reqs));
    size_t *which = calloc(n ? n : 1, sizeof(*which));
    if (!reqs || !which) {
        for (size_t i = 0; i < n; i++)
            f[i].st = AD_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        f[i].page = 1;
        f[i].pages = 1;
        f[i].done = false;
        f[i].st = AD_OK;
        f[i].nids = 0;
    }
    for (;;) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (f[i].done)
                continue;
            char *en = escape(f[i].name);
            char tail[64];
            snprintf(tail, sizeof(tail), "&per_page=100&page=%d", f[i].page);
            char *url = NULL;
            if (en) {
                char *mid = cat_url("/zones/", f[i].zid, "/dns_records?type=TXT&name=", en);
                url = mid ? cat_url(cf->api, mid, tail, "") : NULL;
                free(mid);
            }
            free(en);
            reqs[k] = ad_cf_req_new("GET", url, NULL);
            if (!reqs[k]) {
                f[i].st = AD_ERR_NOMEM;
                f[i].done = true;
                continue;
            }
            which[k++] = i;
        }
        if (k == 0)
            break;
        ad_cf_http_run(cf->http, reqs, k);
        for (size_t j = 0; j < k; j++) {
            struct cf_find *x = &f[which[j]];
            struct ad_cf_req *r = reqs[j];
            if (!answer_ok(r)) {
                char what[400];
                snprintf(what, sizeof(what), "listing TXT records at %s in zone %s", x->name,
                         x->zname);
                x->st = cf_fail(cf, r, CF_OP_DNS_READ, what, x->zname);
                x->done = true;
            } else {
                x->pages = ad_cf_total_pages(r->json, CF_PAGES_MAX);
                ad_cf_records_match(r->json, x->name, x->value, x->ids, CF_MATCH_MAX, &x->nids);
                if (++x->page > x->pages)
                    x->done = true;
            }
            ad_cf_req_free(r);
            reqs[j] = NULL;
        }
    }
out:
    free(reqs);
    free(which);
}

/* ---------------------------------------------------------------- present */

static ad_status cf_present(void *state, struct ad_record *const *recs, size_t count)
{
    struct cf *cf = state;
    ad_status rc = AD_OK;
    if (cf->rejected) {
        LOG(cf, AD_LOG_ERROR, "not adding records: Cloudflare rejected the credentials earlier");
        return AD_ERR_AUTH;
    }
    struct ad_cf_req **reqs = calloc(count ? count : 1, sizeof(*reqs));
    const char **zid = calloc(count ? count : 1, sizeof(*zid));
    const char **zname = calloc(count ? count : 1, sizeof(*zname));
    struct cf_find *finds = calloc(count ? count : 1, sizeof(*finds));
    size_t *find_rec = calloc(count ? count : 1, sizeof(*find_rec));
    size_t nfind = 0;
    if (!reqs || !zid || !zname || !finds || !find_rec) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        rc = zone_for(cf, recs[i], &zid[i], &zname[i], false);
        if (rc != AD_OK)
            goto out;
    }
    for (size_t i = 0; i < count; i++) {
        char *quoted = ad_cf_txt_quote(recs[i]->value);
        struct json_object *o = json_object_new_object();
        char *body = NULL;
        if (quoted && o &&
            json_object_object_add(o, "type", json_object_new_string("TXT")) == 0 &&
            json_object_object_add(o, "name", json_object_new_string(recs[i]->name)) == 0 &&
            json_object_object_add(o, "content", json_object_new_string(quoted)) == 0 &&
            json_object_object_add(o, "ttl", json_object_new_int64(cf->ttl)) == 0)
            body = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        if (o)
            json_object_put(o);
        free(quoted);
        reqs[i] = ad_cf_req_new("POST", cat_url(cf->api, "/zones/", zid[i], "/dns_records"), body);
        if (!body || !reqs[i]) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
        recs[i]->data[0] = '\0';
    }
    ad_cf_http_run(cf->http, reqs, count);
    for (size_t i = 0; i < count; i++) {
        struct ad_cf_req *r = reqs[i];
        if (answer_ok(r)) {
            const char *id = ad_cf_created_id(r->json);
            if (id) {
                snprintf(recs[i]->data, sizeof(recs[i]->data), "%s/%s", zid[i], id);
                LOG(cf, AD_LOG_INFO, "added TXT %s in zone %s (record %s)", recs[i]->name,
                    zname[i], id);
                continue;
            }
            LOG(cf, AD_LOG_WARN, "added TXT %s in zone %s, but the answer carried no record id",
                recs[i]->name, zname[i]);
        } else if (!r->failed &&
                   (ad_cf_env_has_code(r->json, 81058) || ad_cf_env_has_code(r->json, 81057))) {
            LOG(cf, AD_LOG_DEBUG, "TXT %s with this value already exists in zone %s", recs[i]->name,
                zname[i]);
        } else {
            char what[400];
            snprintf(what, sizeof(what), "adding TXT %s in zone %s", recs[i]->name, zname[i]);
            rc = worse(rc, cf_fail(cf, r, CF_OP_DNS_WRITE, what, zname[i]));
            continue;
        }
        /* Exists, but its id is unknown: look it up so cleanup deletes exactly it. */
        finds[nfind] = (struct cf_find){.zid = zid[i], .zname = zname[i], .name = recs[i]->name,
                                        .value = recs[i]->value};
        find_rec[nfind++] = i;
    }
    if (nfind) {
        find_run(cf, finds, nfind);
        for (size_t k = 0; k < nfind; k++) {
            struct ad_record *rec = recs[find_rec[k]];
            if (finds[k].st == AD_OK && finds[k].nids > 0)
                snprintf(rec->data, sizeof(rec->data), "%s/%s", finds[k].zid, finds[k].ids[0]);
            else
                LOG(cf, AD_LOG_DEBUG, "id of TXT %s not found; cleanup will search by content",
                    rec->name);
        }
    }
out:
    if (reqs)
        for (size_t i = 0; i < count; i++)
            ad_cf_req_free(reqs[i]);
    free(reqs);
    free(zid);
    free(zname);
    free(finds);
    free(find_rec);
    return rc;
}

/* ---------------------------------------------------------------- cleanup */

struct cf_del {
    char zid[AD_CF_ID_MAX + 1], rid[AD_CF_ID_MAX + 1];
    const char *name, *zname;  /* borrowed */
};

static ad_status cf_cleanup(void *state, struct ad_record *const *recs, size_t count)
{
    struct cf *cf = state;
    ad_status rc = AD_OK;
    if (cf->rejected) {
        LOG(cf, AD_LOG_WARN, "not removing records: Cloudflare rejected the credentials earlier");
        return AD_ERR_AUTH;
    }
    size_t cap = count * CF_MATCH_MAX + 1, ndel = 0, nfind = 0;
    struct cf_del *dels = calloc(cap, sizeof(*dels));
    struct cf_find *finds = calloc(count ? count : 1, sizeof(*finds));
    struct ad_cf_req **reqs = calloc(cap, sizeof(*reqs));
    if (!dels || !finds || !reqs) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        struct cf_del *d = &dels[ndel];
        if (recs[i]->data[0] && ad_cf_data_split(recs[i]->data, d->zid, d->rid)) {
            d->name = recs[i]->name;
            d->zname = recs[i]->zone ? recs[i]->zone : d->zid;
            ndel++;
            continue;
        }
        if (recs[i]->data[0])
            LOG(cf, AD_LOG_WARN, "ignoring unreadable cleanup data for %s; searching by content",
                recs[i]->name);
        const char *zid, *zname;
        ad_status st = zone_for(cf, recs[i], &zid, &zname, true);
        if (st == AD_ERR_DNS) {
            LOG(cf, AD_LOG_DEBUG, "no Cloudflare zone holds %s: nothing to delete", recs[i]->name);
            continue;
        }
        if (st != AD_OK) {
            rc = worse(rc, st);
            continue;
        }
        finds[nfind++] = (struct cf_find){.zid = zid, .zname = zname, .name = recs[i]->name,
                                          .value = recs[i]->value};
    }
    if (nfind) {
        find_run(cf, finds, nfind);
        for (size_t k = 0; k < nfind; k++) {
            if (finds[k].st != AD_OK) {
                rc = worse(rc, finds[k].st);
                continue;
            }
            if (finds[k].nids == 0)
                LOG(cf, AD_LOG_DEBUG, "no TXT %s with our value in zone %s: nothing to delete",
                    finds[k].name, finds[k].zname);
            for (size_t j = 0; j < finds[k].nids && ndel < cap; j++) {
                struct cf_del *d = &dels[ndel++];
                snprintf(d->zid, sizeof(d->zid), "%s", finds[k].zid);
                snprintf(d->rid, sizeof(d->rid), "%s", finds[k].ids[j]);
                d->name = finds[k].name;
                d->zname = finds[k].zname;
            }
        }
    }
    for (size_t i = 0; i < ndel; i++) {
        char *mid = cat_url("/zones/", dels[i].zid, "/dns_records/", dels[i].rid);
        reqs[i] = ad_cf_req_new("DELETE", mid ? cat_url(cf->api, mid, "", "") : NULL, NULL);
        free(mid);
        if (!reqs[i]) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
    }
    ad_cf_http_run(cf->http, reqs, ndel);
    for (size_t i = 0; i < ndel; i++) {
        struct ad_cf_req *r = reqs[i];
        if (answer_ok(r)) {
            LOG(cf, AD_LOG_INFO, "removed TXT %s (record %s)", dels[i].name, dels[i].rid);
        } else if (!r->failed && (r->http == 404 || ad_cf_env_has_code(r->json, 81044))) {
            LOG(cf, AD_LOG_DEBUG, "TXT %s (record %s) was already gone", dels[i].name,
                dels[i].rid);
        } else {
            char what[400];
            snprintf(what, sizeof(what), "removing TXT %s (record %s)", dels[i].name, dels[i].rid);
            rc = worse(rc, cf_fail(cf, r, CF_OP_DNS_WRITE, what, dels[i].zname));
        }
    }
out:
    if (reqs)
        for (size_t i = 0; i < cap; i++)
            ad_cf_req_free(reqs[i]);
    free(reqs);
    free(dels);
    free(finds);
    return rc;
}

/* ------------------------------------------------------------ init / fini */

static void cf_fini(void *state)
{
    struct cf *cf = state;
    if (!cf)
        return;
    ad_cf_http_free(cf->http);
    for (size_t i = 0; i < cf->nzones; i++) {
        free(cf->zones[i].name);
        free(cf->zones[i].id);
    }
    free(cf->zones);
    free(cf->api);
    free(cf->zone_id);
    for (struct curl_slist *h = cf->zone_headers; h; h = h->next)
        explicit_bzero(h->data, strlen(h->data));
    curl_slist_free_all(cf->zone_headers);
    free(cf);
    curl_global_cleanup();
}

/* Read the token from PATH into a new string (caller wipes and frees). */
static ad_status read_token_file(struct cf *cf, const char *what, const char *path, char **out)
{
    char err[600], warn[600];
    size_t len = 0;
    ad_status rc = ad_cred_read(what, path, CF_TOKEN_FILE_MAX, out, &len, warn, sizeof warn, err, sizeof err);
    if (warn[0])
        LOG(cf, AD_LOG_WARN, "%s", warn);
    if (rc != AD_OK)
        LOG(cf, AD_LOG_ERROR, "%s", err);
    return rc;
}

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* Append "NAME: VALUE" to *list; wipes the temporary copy. */
static bool add_header(struct curl_slist **list, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *h = malloc(n);
    if (!h)
        return false;
    snprintf(h, n, "%s: %s", name, value);
    struct curl_slist *nl = curl_slist_append(*list, h);
    explicit_bzero(h, n);
    free(h);
    if (!nl)
        return false;
    *list = nl;
    return true;
}

/* "Authorization: Bearer TOKEN" appended to *LIST; wipes its copies. */
static bool add_bearer(struct curl_slist **list, const char *token)
{
    size_t n = strlen(token) + 8;
    char *bearer = malloc(n);
    if (!bearer)
        return false;
    snprintf(bearer, n, "Bearer %s", token);
    bool ok = add_header(list, "Authorization", bearer);
    explicit_bzero(bearer, n);
    free(bearer);
    return ok;
}

/* The credentials of a run, in new strings (wiped and freed by cf_init). */
struct cf_creds {
    char *token, *zone_token, *email, *key;
    char source[600];        /* where they came from, for messages */
    const char *zone_source; /* where the zone token came from */
};

/* The first of A and B that is set and not empty (its name in *WHICH). */
static const char *env2(const char *a, const char *b, const char **which)
{
    const char *v = getenv(a);
    if (v && *v) {
        *which = a;
        return v;
    }
    v = getenv(b);
    if (v && *v) {
        *which = b;
        return v;
    }
    return NULL;
}

static void warn_line(void *ctx, const char *message)
{
    struct cf *cf = ctx;
    LOG(cf, AD_LOG_WARN, "%s", message);
}

static char *dup_set(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

/* certbot-dns-cloudflare's credentials file: dns_cloudflare_api_token, or
 * dns_cloudflare_email and dns_cloudflare_api_key, as certbot checks them. */
static ad_status cf_certbot_file(struct cf *cf, const char *path, struct cf_creds *c)
{
    static const char *const known[] = {"dns_cloudflare_api_token", "dns_cloudflare_email",
                                        "dns_cloudflare_api_key", NULL};
    char err[600], warn[600];
    struct ad_ini *ini = NULL;
    ad_status rc = ad_cred_ini_load(path, CF_TOKEN_FILE_MAX, &ini, warn, sizeof warn, err, sizeof err);
    if (warn[0])
        LOG(cf, AD_LOG_WARN, "%s", warn);
    if (rc != AD_OK) {
        LOG(cf, AD_LOG_ERROR, "%s", err);
        return rc;
    }
    ad_ini_unknown_keys(ini, path, "certbot's cloudflare plugin (dns_cloudflare_...)", known, warn_line, cf);
    const char *t = ad_ini_get(ini, "dns_cloudflare_api_token"), *e = ad_ini_get(ini, "dns_cloudflare_email"),
               *k = ad_ini_get(ini, "dns_cloudflare_api_key");
    for (size_t i = 0; i < 2; i++) {
        const char *secret = i ? k : t;
        if (secret && *secret)
            cf->host->add_secret(cf->host->ctx, secret);
    }
    rc = AD_ERR_CONFIG;
    snprintf(c->source, sizeof c->source, "credentials file %s", path);
    if (t && *t && ((e && *e) || (k && *k)))
        LOG(cf, AD_LOG_ERROR, "credentials file %s: dns_cloudflare_email and dns_cloudflare_api_key are not "
            "needed with dns_cloudflare_api_token: keep the token alone", path);
    else if (t && *t)
        rc = (c->token = strdup(t)) ? AD_OK : AD_ERR_NOMEM;
    else if ((e && *e) != (k && *k))
        LOG(cf, AD_LOG_ERROR, "credentials file %s: the global API key needs both dns_cloudflare_email and "
            "dns_cloudflare_api_key", path);
    else if (e && *e)
        rc = (c->email = strdup(e)) && (c->key = strdup(k)) ? AD_OK : AD_ERR_NOMEM;
    else
        LOG(cf, AD_LOG_ERROR, "credentials file %s sets neither dns_cloudflare_api_token (recommended) nor "
            "dns_cloudflare_email and dns_cloudflare_api_key", path);
    ad_ini_free(ini);
    return rc;
}

/* Credentials: options (one kind), certbot's file, then the environment
 * (ours and lego's names); a zone token for the look-ups with a token. */
static ad_status cf_credentials(struct cf *cf, const struct ad_option_value *opts, size_t nopts,
                                struct cf_creds *c)
{
    const char *o_token = ad_option_get(opts, nopts, "api-token");
    const char *o_tfile = ad_option_get(opts, nopts, "api-token-file");
    const char *o_email = ad_option_get(opts, nopts, "email");
    const char *o_key = ad_option_get(opts, nopts, "api-key");
    const char *o_creds = ad_option_get(opts, nopts, "credentials");
    const char *o_ztoken = ad_option_get(opts, nopts, "zone-api-token");
    const char *w = NULL, *we = NULL, *wk = NULL;
    ad_status rc;

    if (o_token && o_tfile) {
        LOG(cf, AD_LOG_ERROR, "give either api-token or api-token-file, not both");
        return AD_ERR_CONFIG;
    }
    if ((o_token || o_tfile) && (o_email || o_key)) {
        LOG(cf, AD_LOG_ERROR, "give either an API token or the global API key (email + api-key), not both");
        return AD_ERR_CONFIG;
    }
    if (o_creds && (o_token || o_tfile || o_email || o_key)) {
        LOG(cf, AD_LOG_ERROR, "credentials=%s gives the credentials: leave out %s", o_creds,
            o_token ? "api-token" : o_tfile ? "api-token-file" : o_email ? "email" : "api-key");
        return AD_ERR_CONFIG;
    }
    if (!o_email != !o_key) {
        LOG(cf, AD_LOG_ERROR, "the global API key needs both email and api-key");
        return AD_ERR_CONFIG;
    }
    if (o_token) {
        c->token = strdup(o_token);
        snprintf(c->source, sizeof c->source, "api-token");
    } else if (o_tfile) {
        if ((rc = read_token_file(cf, "API token file", o_tfile, &c->token)) != AD_OK)
            return rc;
        snprintf(c->source, sizeof c->source, "api-token-file");
    } else if (o_email) {
        c->email = strdup(o_email);
        c->key = strdup(o_key);
        snprintf(c->source, sizeof c->source, "email and api-key");
    } else if (o_creds) {
        if ((rc = cf_certbot_file(cf, o_creds, c)) != AD_OK)
            return rc;
    } else {
        const char *t = env2("CLOUDFLARE_DNS_API_TOKEN", "CF_DNS_API_TOKEN", &w);
        const char *e = env2("CLOUDFLARE_EMAIL", "CF_API_EMAIL", &we), *k = env2("CLOUDFLARE_API_KEY", "CF_API_KEY", &wk);
        if (t) {
            c->token = strdup(t);
            snprintf(c->source, sizeof c->source, "%s", w);
        } else if (e && k) {
            c->email = strdup(e);
            c->key = strdup(k);
            snprintf(c->source, sizeof c->source, "%s and %s", we, wk);
        } else if (e || k) {
            LOG(cf, AD_LOG_ERROR, "the global API key needs both CLOUDFLARE_EMAIL (or CF_API_EMAIL) and "
                "CLOUDFLARE_API_KEY (or CF_API_KEY); %s is set alone", e ? we : wk);
            return AD_ERR_CONFIG;
        } else if (o_ztoken || env2("CLOUDFLARE_ZONE_API_TOKEN", "CF_ZONE_API_TOKEN", &w)) {
            LOG(cf, AD_LOG_ERROR, "%s serves the zone look-ups only: give the token for the DNS edits too "
                "(CLOUDFLARE_DNS_API_TOKEN or CF_DNS_API_TOKEN, or api-token-file), allowed Zone:DNS:Edit",
                o_ztoken ? "zone-api-token" : w);
            return AD_ERR_CONFIG;
        } else {
            LOG(cf, AD_LOG_ERROR,
                "no Cloudflare credentials: set CLOUDFLARE_DNS_API_TOKEN (or lego's CF_DNS_API_TOKEN) or give "
                "--provider-opt api-token-file=FILE, with an API token allowed Zone:DNS:Edit (and "
                "Zone:Zone:Read unless zone-id is given), or certbot's --provider-opt credentials=FILE");
            return AD_ERR_CONFIG;
        }
    }
    if ((!c->token && !c->email) || (c->email && !c->key))
        return AD_ERR_NOMEM;
    /* lego's split token: the zone look-ups with a token of their own. */
    if (o_ztoken) {
        if (!c->token) {
            LOG(cf, AD_LOG_ERROR, "zone-api-token goes with an API token for the DNS edits, not with the global "
                "API key");
            return AD_ERR_CONFIG;
        }
        c->zone_source = "zone-api-token";
        return (c->zone_token = strdup(o_ztoken)) ? AD_OK : AD_ERR_NOMEM;
    }
    const char *z = env2("CLOUDFLARE_ZONE_API_TOKEN", "CF_ZONE_API_TOKEN", &w);
    if (z && !c->token) {
        LOG(cf, AD_LOG_DEBUG, "%s is not used with the global API key", w);
        return AD_OK;
    }
    if (z) {
        c->zone_source = w;
        return (c->zone_token = dup_set(z)) ? AD_OK : AD_ERR_NOMEM;
    }
    return AD_OK;
}

static ad_status cf_init(const struct ad_host *host, const struct ad_option_value *opts,
                         size_t nopts, void **state)
{
    ad_status rc = AD_ERR_CONFIG;
    char *token = NULL, *email = NULL, *key = NULL, *zone_token = NULL;
    struct curl_slist *headers = NULL;
    struct cf *cf = NULL;
    if (!host || host->struct_size < offsetof(struct ad_host, ca_bundle) || !host->log)
        return AD_ERR_PLUGIN;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return AD_ERR_INTERNAL;
    cf = calloc(1, sizeof(*cf));
    if (!cf) {
        curl_global_cleanup();
        return AD_ERR_NOMEM;
    }
    cf->host = host;
    const char *host_ca = host->struct_size >= offsetof(struct ad_host, verbosity) ? host->ca_bundle
                                                                                   : NULL;
    const char *o_zone = ad_option_get(opts, nopts, "zone-id");
    const char *o_ttl = ad_option_get(opts, nopts, "ttl");
    const char *o_url = ad_option_get(opts, nopts, "api-url");
    const char *o_ca = ad_option_get(opts, nopts, "ca-bundle");
    struct cf_creds c = {0};

    rc = cf_credentials(cf, opts, nopts, &c);
    token = c.token, email = c.email, key = c.key, zone_token = c.zone_token; /* freed at out */
    if (rc != AD_OK)
        goto out;
    rc = AD_ERR_CONFIG;
    const char *source = c.source;
    if (zone_token) {
        ad_cf_trim(zone_token);
        if (zone_token[0])
            host->add_secret(host->ctx, zone_token);
        if (!ad_cf_secret_ok(zone_token)) {
            LOG(cf, AD_LOG_ERROR, "the zone API token from %s is empty or contains spaces or control characters",
                c.zone_source);
            goto out;
        }
        if (!add_bearer(&cf->zone_headers, zone_token) ||
            !add_header(&cf->zone_headers, "Content-Type", "application/json") ||
            !add_header(&cf->zone_headers, "Accept", "application/json")) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
        LOG(cf, AD_LOG_DEBUG, "zone look-ups with the token from %s", c.zone_source);
    }
    if (token) {
        ad_cf_trim(token);
        if (token[0])
            host->add_secret(host->ctx, token);
        if (!ad_cf_secret_ok(token)) {
            LOG(cf, AD_LOG_ERROR, "the API token from %s is empty or contains spaces or control "
                                  "characters", source);
            goto out;
        }
        if (!add_bearer(&headers, token)) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
    } else {
        ad_cf_trim(key);
        ad_cf_trim(email);
        if (key[0])
            host->add_secret(host->ctx, key);
        if (!ad_cf_secret_ok(key) || !ad_cf_secret_ok(email)) {
            LOG(cf, AD_LOG_ERROR, "the global API key or email from %s is empty or contains spaces "
                                  "or control characters", source);
            goto out;
        }
        if (!add_header(&headers, "X-Auth-Email", email) ||
            !add_header(&headers, "X-Auth-Key", key)) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
    }
    if (!add_header(&headers, "Content-Type", "application/json") ||
        !add_header(&headers, "Accept", "application/json")) {
        rc = AD_ERR_NOMEM;
        goto out;
    }

    /* Zone, TTL, API URL, CA. */
    if (o_zone) {
        if (!ad_cf_id_ok(o_zone)) {
            LOG(cf, AD_LOG_ERROR, "zone-id must be the zone's ID (letters and digits), as shown on "
                                  "its Overview page in the Cloudflare dashboard");
            goto out;
        }
        cf->zone_id = strdup(o_zone);
        if (!cf->zone_id) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
    }
    cf->ttl = CF_DEFAULT_TTL;
    if (o_ttl) {
        unsigned long v = 0;
        if (!ad_parse_uint(o_ttl, 1, 86400, &v) || (v != 1 && v < 30)) {
            LOG(cf, AD_LOG_ERROR, "ttl must be 1 (automatic) or 30..86400 seconds, not \"%s\"",
                o_ttl);
            goto out;
        }
        cf->ttl = (long)v;
    }
    const char *url = o_url ? o_url : CF_DEFAULT_API;
    char why[160];
    if (!ad_cf_url_ok(url, why, sizeof(why))) {
        LOG(cf, AD_LOG_ERROR, "api-url %s: %s", url, why);
        goto out;
    }
    cf->api = strdup(url);
    if (!cf->api) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    for (size_t n = strlen(cf->api); n > 0 && cf->api[n - 1] == '/'; n--)
        cf->api[n - 1] = '\0';
    const char *ca = o_ca ? o_ca : host_ca;
    if (ca && access(ca, R_OK) != 0) {
        LOG(cf, AD_LOG_ERROR, "%s %s cannot be read: %s", o_ca ? "ca-bundle" : "--ca-bundle", ca,
            strerror(errno));
        goto out;
    }

    char ua[64];
    snprintf(ua, sizeof(ua), "acme-dns/%s cloudflare", AD_VERSION);
    struct ad_cf_http_cfg hc = {.host = host, .api = cf->api, .ca_bundle = ca, .user_agent = ua,
                                .headers = headers};
    headers = NULL; /* owned by the engine from here, also on failure */
    rc = ad_cf_http_new(&hc, &cf->http);
    if (rc != AD_OK)
        goto out;
    LOG(cf, AD_LOG_DEBUG, "using %s at %s%s%s, TTL %ld", source, cf->api,
        cf->zone_id ? ", zone " : "", cf->zone_id ? cf->zone_id : "", cf->ttl);
    *state = cf;
    cf = NULL;
    rc = AD_OK;
out:
    if (headers) {
        for (struct curl_slist *s = headers; s; s = s->next)
            explicit_bzero(s->data, strlen(s->data));
        curl_slist_free_all(headers);
    }
    wipe_free(token);
    wipe_free(key);
    wipe_free(zone_token);
    free(email);
    cf_fini(cf);
    return rc;
}

/* The variables cf_credentials reads when no credential option is given:
 * ours (lego's aliases) first, then lego's. */
static const struct ad_plugin_env cf_env[] = {
    {"api-token", "CLOUDFLARE_DNS_API_TOKEN"},
    {"api-token", "CF_DNS_API_TOKEN"},
    {"zone-api-token", "CLOUDFLARE_ZONE_API_TOKEN"},
    {"zone-api-token", "CF_ZONE_API_TOKEN"},
    {"email", "CLOUDFLARE_EMAIL"},
    {"email", "CF_API_EMAIL"},
    {"api-key", "CLOUDFLARE_API_KEY"},
    {"api-key", "CF_API_KEY"},
    {NULL, NULL},
};

AD_PLUGIN_DECLARE_ENV(cloudflare, "Cloudflare DNS (API v4) with an API token", cf_options, cf_env, cf_init,
                      cf_present, cf_cleanup, cf_fini);
