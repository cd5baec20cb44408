#include "account.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acme.h"
#include "b64.h"
#include "jws.h"
#include "log.h"
#include "store.h"
#include "util.h"
#include "walltime.h"

#define ACCOUNT_FILE_MAX 65536
#define EAB_KEY_FILE_MAX 4096

/* The files of one account. */
struct paths {
    char *dir, *key, *url, *deactivated, *key_new;
};

static void paths_clear(struct paths *p)
{
    free(p->dir);
    free(p->key);
    free(p->url);
    free(p->deactivated);
    free(p->key_new);
    memset(p, 0, sizeof *p);
}

/* The folder name of SERVER's accounts: its URL without the scheme, every
 * character other than letters, digits, '.' and '-' as '_'. */
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

static ad_status paths_make(struct paths *p, const char *state_dir, const char *server)
{
    char *s = slug(server);
    memset(p, 0, sizeof *p);
    if (s && (p->dir = ad_asprintf("%s/accounts/%s", state_dir, s)))
        if ((p->key = ad_asprintf("%s/account.key", p->dir)) && (p->url = ad_asprintf("%s/account.url", p->dir)) &&
            (p->deactivated = ad_asprintf("%s/deactivated", p->dir)))
            p->key_new = ad_asprintf("%s/account.key.new", p->dir);
    free(s);
    return p->key_new ? AD_OK : AD_ERR_NOMEM;
}

/* The key in PATH: AD_OK; AD_ERR_IO with errno ENOENT when there is none
 * (not said); other failures said. */
static ad_status key_read(const char *path, EVP_PKEY **key)
{
    char *pem = NULL;
    size_t len = 0;
    ad_status rc = ad_store_read(path, ACCOUNT_FILE_MAX, &pem, &len);
    if (rc != AD_OK) {
        int e = errno;
        if (e != ENOENT)
            ad_err("cannot read the account key %s: %s", path, strerror(e));
        errno = e;
        return AD_ERR_IO;
    }
    rc = ad_key_from_pem(pem, len, key);
    OPENSSL_cleanse(pem, len);
    free(pem);
    if (rc != AD_OK)
        ad_err("the account key %s is not a PEM private key: restore it or move the folder away to make a new "
               "account",
               path);
    return rc;
}

static ad_status key_write(const char *path, EVP_PKEY *key)
{
    char *pem = NULL;
    size_t len = 0;
    ad_status rc = ad_key_to_pem(key, &pem, &len);
    if (rc == AD_OK)
        rc = ad_store_write(path, pem, len, 0600);
    if (pem)
        OPENSSL_cleanse(pem, len);
    free(pem);
    return rc;
}

/* When the account was deactivated (the text of the marker), or NULL. */
static char *deactivated_at(const struct paths *p)
{
    char *when = NULL;
    size_t len;
    if (ad_store_read(p->deactivated, 256, &when, &len) != AD_OK)
        return NULL;
    when[strcspn(when, "\r\n")] = '\0';
    for (char *c = when; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
    return when;
}

ad_status ad_eab_key(const struct ad_eab *eab, uint8_t **key, size_t *len)
{
    char *text = NULL;
    size_t n = 0;
    const char *env = eab->key_env ? eab->key_env : AD_EAB_KEY_ENV;
    ad_status rc;
    if (eab->key_file) {
        struct stat st;
        if (ad_store_read(eab->key_file, EAB_KEY_FILE_MAX, &text, &n) != AD_OK) {
            ad_err("--eab-hmac-key-file %s: cannot read it: %s", eab->key_file, strerror(errno));
            return AD_ERR_IO;
        }
        if (stat(eab->key_file, &st) == 0 && (st.st_mode & 0077))
            ad_warn("--eab-hmac-key-file %s: others than its owner can read it: chmod 600 it", eab->key_file);
    } else {
        const char *v = getenv(env);
        if (!v || !*v) {
            ad_err("--eab-kid %s: no HMAC key: set the environment variable %s to it, or give --eab-hmac-key-file "
                   "FILE",
                   eab->kid, env);
            return AD_ERR_USAGE;
        }
        if (!(text = strdup(v)))
            return AD_ERR_NOMEM;
        n = strlen(text);
    }
    /* The first line, without the blanks around it. */
    char *s = text + strspn(text, " \t\r\n");
    size_t l = strcspn(s, "\r\n");
    while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
        l--;
    s[l] = '\0';
    ad_log_add_secret(s);
    if (l == 0 || ad_b64_decode(s, l, key, len) != 0 || *len == 0) {
        ad_err("the HMAC key of --eab-kid %s (%s) is %s: give it as the CA handed it out (base64url)", eab->kid,
               eab->key_file ? eab->key_file : env, l ? "not base64url" : "empty");
        rc = AD_ERR_USAGE;
    } else {
        rc = AD_OK;
    }
    OPENSSL_cleanse(text, n);
    free(text);
    return rc;
}

/* A key roll-over was killed after it wrote P->key_new: if the CA knows the
 * account at URL by that key, it accepted the change, and the new key takes
 * the old one's place; if not, it is forgotten.  CA signs with the key
 * that holds from here on. */
static ad_status finish_rollover(struct ad_ca *ca, const struct paths *p, const char *url)
{
    EVP_PKEY *k = NULL;
    char *found = NULL;
    ad_status rc = key_read(p->key_new, &k);
    if (rc != AD_OK) {
        ad_warn("%s, left by a key roll-over that did not finish, is not a key: removing it", p->key_new);
        unlink(p->key_new);
        return rc == AD_ERR_NOMEM ? rc : AD_OK;
    }
    ad_acme_set_key(ca->acme, k);
    rc = ad_acme_account_find(ca->acme, &found);
    if (rc == AD_OK && strcmp(found, url) == 0) {
        ad_warn("a key roll-over of the account %s was interrupted after the CA accepted it: its new key (%s) "
                "now replaces %s",
                url, p->key_new, p->key);
        if ((rc = key_write(p->key, k)) == AD_OK) {
            unlink(p->key_new);
            EVP_PKEY_free(ca->account_key);
            ca->account_key = k;
            k = NULL;
        }
    } else if (rc == AD_OK || rc == AD_ERR_ACME) {
        ad_warn("a key roll-over of the account %s was interrupted before the CA took the new key: %s is removed",
                url, p->key_new);
        unlink(p->key_new);
        rc = AD_OK;
    }
    ad_acme_set_key(ca->acme, ca->account_key);
    free(found);
    EVP_PKEY_free(k);
    return rc;
}

/* Make EMAIL the contact of the account when it has another. */
static ad_status update_contact(struct ad_ca *ca, const char *url, const char *email)
{
    struct ad_account_info info = {0};
    char *mailto = ad_asprintf("mailto:%s", email), *was = NULL;
    ad_status rc = mailto ? ad_acme_account_fetch(ca->acme, &info) : AD_ERR_NOMEM;
    if (rc != AD_OK)
        goto out;
    if (info.ncontact == 1 && strcmp(info.contact[0], mailto) == 0)
        goto out;
    if (!(was = strdup(info.ncontact ? info.contact[0] : "none")))
        goto out;
    ad_account_info_clear(&info);
    const char *c[] = {mailto};
    if ((rc = ad_acme_account_update(ca->acme, c, 1, false, &info)) == AD_OK)
        ad_info("the contact of the account %s is now %s (it was %s)", url, mailto, was);
out:
    ad_account_info_clear(&info);
    free(mailto);
    free(was);
    return rc;
}

/* The refusal of a deactivated account. */
static ad_status refuse_deactivated(const struct ad_ca *ca, const struct paths *p, const char *when)
{
    ad_err("the account at %s was deactivated (%s, by acme-dns account deactivate) and the CA will not take it "
           "again: to use this CA, move the folder %s away; the next run makes a new account",
           ca->server, when, p->dir);
    return AD_ERR_ACME;
}

ad_status ad_account_open(struct ad_ca *ca, const char *state_dir, const struct ad_account_opts *o)
{
    struct paths p;
    char *url = NULL, *when = NULL;
    size_t len;
    bool have_key = false, created = false;
    uint8_t *eab = NULL;
    size_t eablen = 0;
    ad_status rc;

    if (ca->have_account)
        return AD_OK;
    if ((rc = paths_make(&p, state_dir, ca->server)) != AD_OK)
        goto out;
    if ((when = deactivated_at(&p))) {
        rc = refuse_deactivated(ca, &p, when);
        goto out;
    }
    if (!o->create && access(p.key, F_OK) != 0) {
        ad_err("no account at %s in %s: acme-dns issue makes one (check --server)", ca->server, p.dir);
        rc = AD_ERR_USAGE;
        goto out;
    }
    if (o->create && (rc = ad_store_mkdirs(p.dir, 0700)) != AD_OK)
        goto out;
    rc = key_read(p.key, &ca->account_key);
    if (rc == AD_OK) {
        have_key = true;
    } else if (rc != AD_ERR_IO || errno != ENOENT) {
        goto out;
    } else if ((rc = ad_key_generate((enum ad_key_type)o->key_type, &ca->account_key)) != AD_OK ||
               (rc = key_write(p.key, ca->account_key)) != AD_OK) {
        goto out;
    } else {
        ad_debug("new account key in %s", p.key);
    }
    ad_acme_set_key(ca->acme, ca->account_key);
    if (have_key && ad_store_read(p.url, 4096, &url, &len) == AD_OK && len > 8 && strncmp(url, "https://", 8) == 0) {
        url[strcspn(url, "\r\n")] = '\0';
        if (access(p.key_new, F_OK) == 0 && (rc = finish_rollover(ca, &p, url)) != AD_OK)
            goto out;
    } else if (!o->create) {
        ad_err("the account URL %s is missing or damaged: run acme-dns issue once to find the account again", p.url);
        rc = AD_ERR_IO;
        goto out;
    } else {
        free(url);
        url = NULL;
        if (o->eab.kid && ((rc = ad_eab_key(&o->eab, &eab, &eablen)) != AD_OK ||
                           (rc = ad_acme_set_eab(ca->acme, o->eab.kid, eab, eablen)) != AD_OK))
            goto out;
        if ((rc = ad_acme_account(ca->acme, o->email, o->agree_tos, have_key, &url, &created)) != AD_OK)
            goto out;
        if ((rc = ad_store_write(p.url, url, strlen(url), 0600)) != AD_OK)
            goto out;
        ad_info("%s account %s", created ? "created" : "found", url);
    }
    if ((rc = ad_jwk_thumbprint(ca->account_key, &ca->thumbprint)) != AD_OK ||
        (rc = ad_acme_set_kid(ca->acme, url)) != AD_OK)
        goto out;
    ca->have_account = true;
    if (!created && o->update_email && o->email)
        rc = update_contact(ca, url, o->email);
out:
    if (eab)
        OPENSSL_cleanse(eab, eablen);
    free(eab);
    paths_clear(&p);
    free(url);
    free(when);
    return rc;
}

/* ------------------------------------------------------------ the account command */

static void show(const struct ad_ca *ca, const struct paths *p, const char *url, const struct ad_account_info *info,
                 const char *deactivated)
{
    int t = ca->account_key ? ad_key_type_of(ca->account_key) : -1;
    printf("account %s\n", url ? url : "(unknown)");
    printf("  server:   %s\n", ca->server);
    if (deactivated)
        printf("  status:   deactivated (%s, by acme-dns account deactivate)\n", deactivated);
    else
        printf("  status:   %s\n", info->status ? info->status : "(not given by the CA)");
    for (size_t i = 0; info && i < info->ncontact; i++)
        printf("  %-9s %s\n", i ? "" : "contact:", info->contact[i]);
    if (!deactivated && !info->ncontact)
        printf("  contact:  (none)\n");
    if (ca->account_key)
        printf("  key:      %s (%s), %s\n", t < 0 ? "?" : ad_key_type_name((enum ad_key_type)t),
               ad_jws_alg(ca->account_key) ? ad_jws_alg(ca->account_key) : "?", p->key);
    if (ca->thumbprint)
        printf("  key thumbprint: %s\n", ca->thumbprint);
    if (info && info->orders)
        printf("  orders:   %s\n", info->orders);
    fflush(stdout);
}

/* account show on a deactivated account: what is kept (the CA refuses
 * every request of the account). */
static ad_status show_deactivated(struct ad_ca *ca, const struct paths *p, const char *when)
{
    char *url = NULL;
    size_t len;
    struct ad_account_info none = {0};
    if (ad_store_read(p->url, 4096, &url, &len) == AD_OK)
        url[strcspn(url, "\r\n")] = '\0';
    if (key_read(p->key, &ca->account_key) == AD_OK && ad_jwk_thumbprint(ca->account_key, &ca->thumbprint) != AD_OK)
        ca->thumbprint = NULL;
    show(ca, p, url, &none, when);
    free(url);
    return AD_OK;
}

static ad_status key_rollover(const struct ad_cli *cli, struct ad_ca *ca, const struct paths *p, const char *url)
{
    EVP_PKEY *k = NULL;
    char *thumb = NULL;
    int type = cli->account_key_type_given ? cli->account_key_type : ad_key_type_of(ca->account_key);
    ad_status rc = ad_key_generate(type < 0 ? AD_KEY_EC256 : (enum ad_key_type)type, &k);
    if (rc != AD_OK || (rc = ad_jwk_thumbprint(k, &thumb)) != AD_OK)
        goto out;
    /* On disk before the CA hears of it: a run killed in between finds it. */
    if ((rc = key_write(p->key_new, k)) != AD_OK)
        goto out;
    rc = ad_acme_key_change(ca->acme, k);
    if (rc == AD_ERR_ACME) { /* the CA said no: the old key stands */
        unlink(p->key_new);
        ad_err("the account key was not changed: %s still holds the key the CA knows", p->key);
        goto out;
    }
    if (rc != AD_OK) { /* the CA may have taken it: the next run asks */
        ad_err("the CA's answer to the key roll-over did not come: the new key stays in %s, and the next run "
               "asks the CA which key it knows and keeps that one",
               p->key_new);
        goto out;
    }
    if ((rc = key_write(p->key, k)) != AD_OK) {
        ad_err("the CA took the new key, but it could not be written to %s: it is in %s; the next run puts it "
               "in place",
               p->key, p->key_new);
        goto out;
    }
    unlink(p->key_new);
    printf("account %s: new %s key in %s (thumbprint %s); the CA no longer takes the old one\n", url,
           ad_key_type_name((enum ad_key_type)ad_key_type_of(k)), p->key, thumb);
    fflush(stdout);
out:
    free(thumb);
    EVP_PKEY_free(k);
    return rc;
}

ad_status ad_account_run(const struct ad_cli *cli, const char *state_dir)
{
    struct ad_ca *ca = NULL;
    struct paths p = {0};
    struct ad_account_info info = {0};
    char *when = NULL, *url = NULL, *mailto = NULL;
    size_t len;
    const char *sub = cli->subcommand;
    ad_status rc = paths_make(&p, state_dir, cli->server);
    if (rc != AD_OK)
        goto out;
    if ((rc = ad_ca_open(cli->server, cli->ca_bundle, cli->http_timeout, &ca)) != AD_OK)
        goto out;
    if ((when = deactivated_at(&p))) {
        rc = strcmp(sub, "show") == 0 ? show_deactivated(ca, &p, when) : refuse_deactivated(ca, &p, when);
        goto out;
    }
    const struct ad_account_opts o = {.key_type = cli->account_key_type};
    if ((rc = ad_account_open(ca, state_dir, &o)) != AD_OK)
        goto out;
    if ((rc = ad_store_read(p.url, 4096, &url, &len)) != AD_OK)
        goto out;
    url[strcspn(url, "\r\n")] = '\0';
    if (strcmp(sub, "show") == 0) {
        if ((rc = ad_acme_account_fetch(ca->acme, &info)) == AD_OK)
            show(ca, &p, url, &info, NULL);
    } else if (strcmp(sub, "update") == 0) {
        if (!(mailto = ad_asprintf("mailto:%s", cli->email))) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
        const char *c[] = {mailto};
        if ((rc = ad_acme_account_update(ca->acme, c, 1, false, &info)) == AD_OK)
            show(ca, &p, url, &info, NULL);
    } else if (strcmp(sub, "deactivate") == 0) {
        char now[AD_RFC3339_LEN];
        if ((rc = ad_acme_account_update(ca->acme, NULL, 0, true, &info)) != AD_OK)
            goto out;
        ad_rfc3339_format(ad_wall_now(), now, sizeof now);
        if (ad_store_write(p.deactivated, now, strlen(now), 0600) != AD_OK)
            ad_warn("the account is deactivated, but %s could not be written: later runs learn it from the CA",
                    p.deactivated);
        printf("account %s: deactivated (status %s): the CA takes no request of it any more; the next run makes "
               "a new account once %s is moved away\n",
               url, info.status ? info.status : "not given", p.dir);
        fflush(stdout);
    } else {
        rc = key_rollover(cli, ca, &p, url);
    }
out:
    ad_account_info_clear(&info);
    paths_clear(&p);
    free(when);
    free(url);
    free(mailto);
    ad_ca_free(ca);
    return rc;
}
