#include "journal.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "util.h"

#define LEGACY_FILE "journal.json"
#define DIR_NAME "journals"

/* A reason in WHY, and AD_ERR_CONFIG. */
#define bad(why, size, ...) ad_why(why, size, AD_ERR_CONFIG, __VA_ARGS__)

static char *str_dup(json_object *o, const char *k, size_t max)
{
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    return n && n < max && strlen(s) == n ? strdup(s) : NULL;
}

static void free_rec(struct ad_record *r)
{
    if (!r)
        return;
    free((char *)r->domain);
    free((char *)r->name);
    free((char *)r->zone);
    free((char *)r->value);
    free(r);
}

void ad_journal_clear(struct ad_journal *j)
{
    ad_provider_conf_clear(&j->provider);
    free(j->path);
    for (size_t i = 0; i < j->n; i++)
        free_rec(j->recs[i]);
    free(j->recs);
    memset(j, 0, sizeof *j);
}

static ad_status parse_records(json_object *arr, struct ad_journal *j, char *why, size_t size)
{
    size_t total = json_object_array_length(arr);
    if (total > AD_JOURNAL_RECORDS_MAX)
        return bad(why, size, "it lists more than %d records", AD_JOURNAL_RECORDS_MAX);
    if (!(j->recs = calloc(total ? total : 1, sizeof *j->recs)))
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < total; i++) {
        json_object *r = json_object_array_get_idx(arr, i), *ttl, *zone;
        struct ad_record *rec = calloc(1, sizeof *rec);
        if (!rec)
            return AD_ERR_NOMEM;
        j->recs[j->n++] = rec;
        if (!json_object_is_type(r, json_type_object))
            return bad(why, size, "record %zu is not an object", i + 1);
        rec->domain = str_dup(r, "domain", 256);
        rec->name = str_dup(r, "name", 256);
        rec->value = str_dup(r, "value", 1024);
        if (!rec->domain || !rec->name || !rec->value)
            return bad(why, size, "record %zu lacks a domain, name or value", i + 1);
        if (json_object_object_get_ex(r, "zone", &zone) && !json_object_is_type(zone, json_type_null) &&
            !(rec->zone = str_dup(r, "zone", 256)))
            return bad(why, size, "record %zu has a zone that is not a name", i + 1);
        rec->ttl = 60;
        if (json_object_object_get_ex(r, "ttl", &ttl)) {
            int64_t t = json_object_get_int64(ttl);
            if (!json_object_is_type(ttl, json_type_int) || t < 0 || t > INT32_MAX)
                return bad(why, size, "record %zu has a TTL that is not a number of seconds", i + 1);
            rec->ttl = (uint32_t)t;
        }
        char *d = str_dup(r, "data", AD_RECORD_DATA_MAX);
        if (d)
            memcpy(rec->data, d, strlen(d) + 1);
        free(d);
    }
    return AD_OK;
}

ad_status ad_journal_parse(const char *buf, size_t len, struct ad_journal *j, char *why, size_t size)
{
    ad_status rc;
    json_object *root = NULL, *v, *arr;
    json_tokener *t = NULL;
    memset(j, 0, sizeof *j);
    if (why && size)
        why[0] = '\0';
    if (len == 0 || len > AD_JOURNAL_MAX || len > INT32_MAX)
        return bad(why, size, "it is empty or larger than %u bytes", AD_JOURNAL_MAX);
    if (!(t = json_tokener_new_ex(16)))
        return AD_ERR_NOMEM;
    root = json_tokener_parse_ex(t, buf, (int)len);
    if (json_tokener_get_error(t) != json_tokener_success || !json_object_is_type(root, json_type_object)) {
        rc = bad(why, size, "it is not a JSON object");
        goto out;
    }
    if (!json_object_object_get_ex(root, "records", &arr) || !json_object_is_type(arr, json_type_array)) {
        rc = bad(why, size, "it has no list of records");
        goto out;
    }
    if (json_object_object_get_ex(root, "provider", &v) && json_object_is_type(v, json_type_string) &&
        !json_object_object_get_ex(root, "version", NULL)) {
        j->legacy = true; /* {"provider": "NAME", "records": [...]} */
        rc = (j->provider.name = str_dup(root, "provider", 65)) ? AD_OK : bad(why, size, "its provider is not a name");
    } else if (!json_object_object_get_ex(root, "version", &v) || !json_object_is_type(v, json_type_int) ||
               json_object_get_int64(v) < 1 || json_object_get_int64(v) > AD_JOURNAL_VERSION) {
        rc = bad(why, size, "\"version\" is missing or larger than %d (written by a newer acme-dns?)",
                 AD_JOURNAL_VERSION);
    } else if (!json_object_object_get_ex(root, "provider", &v)) {
        rc = bad(why, size, "it names no provider");
    } else {
        rc = ad_provider_conf_from_json(v, &j->provider, why, size);
    }
    if (rc == AD_OK)
        rc = parse_records(arr, j, why, size);
out:
    json_object_put(root);
    json_tokener_free(t);
    return rc;
}

ad_status ad_journal_save(const char *state_dir, const char *key, const struct ad_provider_conf *c,
                          struct ad_record *const *recs, size_t n)
{
    ad_status rc = AD_ERR_NOMEM;
    char *dir = ad_asprintf("%s/%s", state_dir, DIR_NAME), *path = ad_asprintf("%s/%s/%s.json", state_dir, DIR_NAME, key);
    json_object *root = NULL, *arr = NULL;
    if (!dir || !path)
        goto out;
    if (n == 0) {
        rc = ad_store_unlink(path);
        goto out;
    }
    if (!(root = json_object_new_object()) || !(arr = json_object_new_array()))
        goto out;
    json_object_object_add(root, "version", json_object_new_int(AD_JOURNAL_VERSION));
    json_object *p = ad_provider_conf_json(c);
    if (!p)
        goto out;
    json_object_object_add(root, "provider", p);
    for (size_t i = 0; i < n; i++) {
        json_object *r = json_object_new_object();
        if (!r)
            goto out;
        json_object_object_add(r, "domain", json_object_new_string(recs[i]->domain));
        json_object_object_add(r, "name", json_object_new_string(recs[i]->name));
        if (recs[i]->zone)
            json_object_object_add(r, "zone", json_object_new_string(recs[i]->zone));
        json_object_object_add(r, "value", json_object_new_string(recs[i]->value));
        json_object_object_add(r, "ttl", json_object_new_int64(recs[i]->ttl));
        json_object_object_add(r, "data", json_object_new_string(recs[i]->data));
        json_object_array_add(arr, r);
    }
    json_object_object_add(root, "records", arr);
    arr = NULL;
    const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!s)
        goto out;
    if ((rc = ad_store_mkdirs(dir, 0700)) == AD_OK)
        rc = ad_store_write(path, s, strlen(s), 0600);
out:
    json_object_put(root);
    json_object_put(arr);
    free(dir);
    free(path);
    return rc;
}

/* Load PATH into a new entry of *JS; a missing file is no entry, a damaged
 * one is reported and left alone. */
static ad_status load_one(const char *path, struct ad_journal **js, size_t *n, size_t *cap)
{
    char *data = NULL, why[256];
    size_t len = 0;
    struct ad_journal j;
    if (ad_store_read(path, AD_JOURNAL_MAX, &data, &len) != AD_OK) {
        if (errno != ENOENT)
            ad_err("cannot read the journal %s: %s", path, strerror(errno));
        return errno == ENOENT ? AD_OK : AD_ERR_IO;
    }
    ad_status rc = ad_journal_parse(data, len, &j, why, sizeof why);
    free(data);
    if (rc == AD_ERR_CONFIG) {
        ad_err("the journal %s is damaged (%s): it is left as it is; remove the _acme-challenge TXT records it "
               "lists by hand, then the file",
               path, why);
        ad_journal_clear(&j);
        return AD_OK;
    }
    if (rc != AD_OK || j.n == 0) {
        ad_journal_clear(&j);
        return rc;
    }
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        struct ad_journal *m = realloc(*js, c * sizeof *m);
        if (!m) {
            ad_journal_clear(&j);
            return AD_ERR_NOMEM;
        }
        *js = m;
        *cap = c;
    }
    if (!(j.path = strdup(path))) {
        ad_journal_clear(&j);
        return AD_ERR_NOMEM;
    }
    (*js)[(*n)++] = j;
    return AD_OK;
}

ad_status ad_journals_load(const char *state_dir, struct ad_journal **js, size_t *n)
{
    ad_status rc = AD_ERR_NOMEM;
    size_t cap = 0;
    char *path = NULL, *dir = ad_asprintf("%s/%s", state_dir, DIR_NAME);
    DIR *d = NULL;
    *js = NULL;
    *n = 0;
    if (!dir || !(path = ad_asprintf("%s/%s", state_dir, LEGACY_FILE)))
        goto out;
    if ((rc = load_one(path, js, n, &cap)) != AD_OK)
        goto out;
    if (!(d = ad_store_opendir(dir))) {
        rc = errno == ENOENT ? AD_OK : AD_ERR_IO;
        goto out;
    }
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
            continue; /* temporary files of an interrupted write end in .tmp.XXXXXX */
        free(path);
        if (!(path = ad_asprintf("%s/%s", dir, e->d_name))) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
        if ((rc = load_one(path, js, n, &cap)) != AD_OK)
            goto out;
    }
    rc = AD_OK;
out:
    if (d)
        closedir(d);
    free(dir);
    free(path);
    return rc;
}

void ad_journals_free(struct ad_journal *js, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ad_journal_clear(&js[i]);
    free(js);
}

ad_status ad_journal_remove(const struct ad_journal *j)
{
    return j->path ? ad_store_unlink(j->path) : AD_OK;
}
