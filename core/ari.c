#include "ari.h"

#include <errno.h>
#include <json-c/json.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"
#include "log.h"
#include "parse.h"
#include "store.h"
#include "util.h"
#include "walltime.h"

#define URL_MAX 2048


/* Parse BUF as one JSON object (nothing but white space after it). */
static json_object *parse_object(const char *buf, size_t len, size_t max, const char **err)
{
    json_object *o = NULL;
    json_tokener *t;
    *err = "it is empty or larger than allowed";
    if (!buf || len == 0 || len > max || len > INT32_MAX || !(t = json_tokener_new_ex(16)))
        return NULL;
    o = json_tokener_parse_ex(t, buf, (int)len);
    size_t end = (size_t)json_tokener_get_parse_end(t);
    if (json_tokener_get_error(t) != json_tokener_success || !o) {
        *err = "it is not JSON";
        json_object_put(o);
        o = NULL;
    } else if (!json_object_is_type(o, json_type_object) || !ad_only_blanks(buf + end, len - end)) {
        *err = "it is not one JSON object";
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(t);
    return o;
}

static const char *str_of(json_object *o, const char *key, size_t max)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    return n && n <= max && strlen(s) == n ? s : NULL;
}

static bool time_of(json_object *o, const char *key, int64_t *t)
{
    const char *s = str_of(o, key, 64);
    return s && ad_rfc3339_parse(s, t);
}

void ad_ari_window_clear(struct ad_ari_window *w)
{
    free(w->explanation);
    memset(w, 0, sizeof *w);
}

ad_status ad_ari_parse(const char *body, size_t len, struct ad_ari_window *w, char *why, size_t size)
{
    const char *err;
    json_object *o = parse_object(body, len, 64u << 10, &err), *win;
    ad_status rc = AD_ERR_PROTOCOL;
    memset(w, 0, sizeof *w);
    if (!o) {
        rc = ad_why(why, size, AD_ERR_PROTOCOL, "the renewal information is not valid: %s", err);
    } else if (!json_object_object_get_ex(o, "suggestedWindow", &win) || !time_of(win, "start", &w->start) ||
               !time_of(win, "end", &w->end)) {
        rc = ad_why(why, size, AD_ERR_PROTOCOL, "the renewal information has no suggestedWindow with RFC 3339 "
                                             "start and end");
    } else if (w->end <= w->start) {
        rc = ad_why(why, size, AD_ERR_PROTOCOL, "the suggested window ends before it starts");
    } else {
        const char *x = str_of(o, "explanationURL", URL_MAX);
        rc = x && !(w->explanation = strdup(x)) ? AD_ERR_NOMEM : AD_OK;
    }
    json_object_put(o);
    return rc;
}

static int64_t random_in(int64_t start, int64_t end)
{
    uint64_t r = 0, span = (uint64_t)(end - start);
    if (span == 0 || RAND_bytes((unsigned char *)&r, sizeof r) != 1)
        return start;
    return start + (int64_t)(r % span);
}

ad_status ad_ari_update(struct ad_renewal_state *st, const char *id, const struct ad_ari_window *w,
                        long retry_after, int64_t now)
{
    bool same = st->cert_id && strcmp(st->cert_id, id) == 0 && st->start == w->start && st->end == w->end &&
                st->selected >= w->start && st->selected < w->end;
    if (!same) {
        char *c = strdup(id);
        if (!c)
            return AD_ERR_NOMEM;
        free(st->cert_id);
        st->cert_id = c;
        st->start = w->start;
        st->end = w->end;
        st->selected = random_in(w->start, w->end);
    }
    free(st->explanation);
    st->explanation = NULL;
    if (w->explanation && !(st->explanation = strdup(w->explanation)))
        return AD_ERR_NOMEM;
    long ra = retry_after < 0 ? AD_ARI_RETRY_DEFAULT : retry_after;
    ra = ra < AD_ARI_RETRY_MIN ? AD_ARI_RETRY_MIN : ra > AD_ARI_RETRY_MAX ? AD_ARI_RETRY_MAX : ra;
    st->next_check = now + ra;
    return AD_OK;
}

int64_t ad_due_by_lifetime(int64_t not_before, int64_t not_after)
{
    int64_t life = not_after - not_before;
    if (life <= 0)
        return not_before;
    return not_after - (life < 10 * 86400 ? life / 2 : life / 3);
}

void ad_state_clear(struct ad_renewal_state *st)
{
    free(st->cert_id);
    free(st->explanation);
    free(st->last_error);
    free(st->revoked_serial);
    free(st->revoked_reason);
    memset(st, 0, sizeof *st);
}

/* "revoked" of a state object O (a malformed one is passed over: the
 * certificate is then judged by its window or lifetime). */
static ad_status revoked_parse(json_object *o, struct ad_renewal_state *st)
{
    json_object *r;
    int64_t at;
    if (!json_object_object_get_ex(o, "revoked", &r))
        return AD_OK;
    const char *serial = str_of(r, "serial", 128), *reason = str_of(r, "reason", 64);
    if (!serial || strspn(serial, "0123456789abcdef") != strlen(serial) || !time_of(r, "at", &at))
        return AD_OK;
    if (!(st->revoked_serial = strdup(serial)) || (reason && !(st->revoked_reason = strdup(reason))))
        return AD_ERR_NOMEM;
    st->revoked_at = at;
    return AD_OK;
}

ad_status ad_state_parse(const char *buf, size_t len, struct ad_renewal_state *st, char *why, size_t size)
{
    const char *err;
    json_object *o = parse_object(buf, len, AD_STATE_MAX, &err), *v, *ari;
    ad_status rc = AD_ERR_CONFIG;
    memset(st, 0, sizeof *st);
    if (!o) {
        rc = ad_why(why, size, AD_ERR_CONFIG, "%s", err);
        goto out;
    }
    if (!json_object_object_get_ex(o, "version", &v) || !json_object_is_type(v, json_type_int) ||
        json_object_get_int64(v) < 1 || json_object_get_int64(v) > AD_STATE_VERSION) {
        rc = ad_why(why, size, AD_ERR_CONFIG, "\"version\" is missing or not %d", AD_STATE_VERSION);
        goto out;
    }
    if (json_object_object_get_ex(o, "ari", &ari)) {
        const char *id = str_of(ari, "cert_id", 1024), *x = str_of(ari, "explanation_url", URL_MAX);
        if (!id || !time_of(ari, "window_start", &st->start) || !time_of(ari, "window_end", &st->end) ||
            !time_of(ari, "selected", &st->selected) || !time_of(ari, "next_check", &st->next_check) ||
            st->end <= st->start) {
            rc = ad_why(why, size, AD_ERR_CONFIG, "\"ari\" lacks a certificate id or a valid window and times");
            goto out;
        }
        rc = AD_ERR_NOMEM;
        if (!(st->cert_id = strdup(id)) || (x && !(st->explanation = strdup(x))))
            goto out;
    }
    if (json_object_object_get_ex(o, "failures", &v)) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
            json_object_get_int64(v) > 1000000) {
            rc = ad_why(why, size, AD_ERR_CONFIG, "\"failures\" is not a count");
            goto out;
        }
        st->failures = (unsigned)json_object_get_int64(v);
    }
    time_of(o, "last_failure", &st->last_failure);
    const char *le = str_of(o, "last_error", 1024);
    if (le && !(st->last_error = strdup(le))) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    if ((rc = revoked_parse(o, st)) != AD_OK)
        goto out;
    rc = AD_OK;
out:
    if (rc != AD_OK) {
        ad_state_clear(st);
        memset(st, 0, sizeof *st);
    }
    json_object_put(o);
    return rc;
}

static void add_time(json_object *o, const char *key, int64_t t)
{
    char buf[AD_RFC3339_LEN];
    ad_rfc3339_format(t, buf, sizeof buf);
    json_object_object_add(o, key, json_object_new_string(buf));
}

ad_status ad_state_format(const struct ad_renewal_state *st, char **json)
{
    ad_status rc = AD_ERR_NOMEM;
    json_object *o = json_object_new_object();
    if (!o)
        return rc;
    json_object_object_add(o, "version", json_object_new_int(AD_STATE_VERSION));
    if (st->cert_id) {
        json_object *ari = json_object_new_object();
        if (!ari)
            goto out;
        json_object_object_add(ari, "cert_id", json_object_new_string(st->cert_id));
        add_time(ari, "window_start", st->start);
        add_time(ari, "window_end", st->end);
        add_time(ari, "selected", st->selected);
        add_time(ari, "next_check", st->next_check);
        if (st->explanation)
            json_object_object_add(ari, "explanation_url", json_object_new_string(st->explanation));
        json_object_object_add(o, "ari", ari);
    }
    json_object_object_add(o, "failures", json_object_new_int((int)st->failures));
    if (st->revoked_serial) {
        json_object *r = json_object_new_object();
        if (!r)
            goto out;
        json_object_object_add(r, "serial", json_object_new_string(st->revoked_serial));
        add_time(r, "at", st->revoked_at);
        if (st->revoked_reason)
            json_object_object_add(r, "reason", json_object_new_string(st->revoked_reason));
        json_object_object_add(o, "revoked", r);
    }
    if (st->failures) {
        add_time(o, "last_failure", st->last_failure);
        if (st->last_error)
            json_object_object_add(o, "last_error", json_object_new_string(st->last_error));
    }
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (s && (*json = ad_asprintf("%s\n", s)))
        rc = AD_OK;
out:
    json_object_put(o);
    return rc;
}

ad_status ad_state_load(const char *dir, struct ad_renewal_state *st)
{
    char *path = ad_asprintf("%s/%s", dir, AD_STATE_FILE), *data = NULL, why[200];
    size_t len;
    memset(st, 0, sizeof *st);
    if (!path)
        return AD_ERR_NOMEM;
    ad_status rc = ad_store_read(path, AD_STATE_MAX, &data, &len);
    if (rc != AD_OK) {
        if (errno != ENOENT)
            ad_warn("cannot read %s (%s): asking the CA again", path, strerror(errno));
        rc = AD_OK;
    } else if ((rc = ad_state_parse(data, len, st, why, sizeof why)) == AD_ERR_CONFIG) {
        ad_warn("%s is damaged (%s): starting it afresh", path, why);
        rc = AD_OK;
    }
    free(data);
    free(path);
    return rc;
}

ad_status ad_state_save(const char *dir, const struct ad_renewal_state *st)
{
    char *path = ad_asprintf("%s/%s", dir, AD_STATE_FILE), *json = NULL, *old = NULL;
    size_t len = 0;
    ad_status rc = AD_ERR_NOMEM;
    if (path && (rc = ad_state_format(st, &json)) == AD_OK) {
        /* Unchanged (a renewal after a renewal, no ARI): no write, no flush. */
        if (ad_store_read(path, AD_STATE_MAX, &old, &len) != AD_OK || len != strlen(json) || memcmp(old, json, len))
            rc = ad_store_write(path, json, strlen(json), 0644);
    }
    free(old);
    free(json);
    free(path);
    return rc;
}

ad_status ad_ari_check(struct ad_acme *a, struct ad_ari_item *items, size_t n, int64_t now)
{
    struct ad_ari_fetch *f = calloc(n ? n : 1, sizeof *f);
    ad_status rc = AD_ERR_NOMEM;
    if (!f)
        return rc;
    for (size_t i = 0; i < n; i++)
        f[i].id = items[i].id;
    rc = ad_acme_fetch_renewal_info(a, f, n);
    for (size_t i = 0; i < n; i++) {
        struct ad_ari_item *it = &items[i];
        struct ad_ari_window w = {0};
        char why[200] = "";
        ad_status p = f[i].rc;
        if (p == AD_OK && f[i].resp.status != 200) {
            snprintf(why, sizeof why, "HTTP %ld", f[i].resp.status);
            p = AD_ERR_PROTOCOL;
        }
        if (p == AD_OK)
            p = ad_ari_parse(f[i].resp.body, f[i].resp.len, &w, why, sizeof why);
        if (p == AD_OK)
            p = ad_ari_update(it->st, it->id, &w, f[i].resp.retry_after, now);
        it->ok = p == AD_OK;
        if (p == AD_OK) {
            char x[AD_RFC3339_LEN], y[AD_RFC3339_LEN];
            ad_rfc3339_format(w.start, x, sizeof x);
            ad_rfc3339_format(w.end, y, sizeof y);
            ad_debug("%s: the CA suggests renewing between %s and %s%s%s", it->name, x, y, w.explanation ? ": " : "",
                     w.explanation ? w.explanation : "");
            if (ad_state_save(it->dir, it->st) != AD_OK)
                ad_warn("%s: the renewal window could not be kept; the next run asks again", it->name);
        } else if (p == AD_ERR_NOMEM) {
            rc = p;
        } else {
            ad_warn("%s: no usable renewal information from the CA (%s): going by its lifetime", it->name,
                    why[0] ? why : ad_strerror(p));
        }
        ad_ari_window_clear(&w);
        ad_http_response_clear(&f[i].resp);
    }
    free(f);
    return rc == AD_ERR_NOMEM || rc == AD_ERR_INTERRUPTED ? rc : AD_OK;
}
