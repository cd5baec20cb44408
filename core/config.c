#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "credfile.h"
#include "log.h"

/* The commands a top-level key applies to: only those that would otherwise
 * default it (renew and revoke take the certificate's saved settings). */
enum {
    C_ISSUE = 1, C_CHECK = 2, C_RENEW = 4, C_CERTS = 8, C_DIRECTORY = 16, C_REVOKE = 32, C_ACCOUNT = 64,
    C_PLUGINS = 128, C_ALL = 255
};

static const struct key {
    const char *name, *opt;
    unsigned cmds;
    bool flag; /* a yes/no value, the option without argument when yes */
} keys[] = {
    {"server", "--server", C_ISSUE | C_DIRECTORY | C_ACCOUNT, false},
    {"email", "--email", C_ISSUE, false},
    {"agree-tos", "--agree-tos", C_ISSUE, true},
    {"eab-kid", "--eab-kid", C_ISSUE, false},
    {"eab-hmac-key-file", "--eab-hmac-key-file", C_ISSUE, false},
    {"key-type", "--key-type", C_ISSUE, false},
    {"account-key-type", "--account-key-type", C_ISSUE, false},
    {"state-dir", "--state-dir", C_ALL, false},
    {"provider", "--provider", C_ISSUE | C_CHECK, false},
    {"plugin-dir", "--plugin-dir", C_ISSUE | C_CHECK | C_PLUGINS, false},
    {"ca-bundle", "--ca-bundle", C_ISSUE | C_CHECK | C_DIRECTORY | C_ACCOUNT, false},
    {"dns-resolver", "--dns-resolver", C_ISSUE | C_CHECK, false},
    {"propagation-timeout", "--propagation-timeout", C_ISSUE | C_CHECK, false},
    {"http-timeout", "--http-timeout", C_ISSUE | C_RENEW | C_DIRECTORY | C_REVOKE | C_ACCOUNT, false},
    {"deploy-hook", "--deploy-hook", C_ISSUE, false},
    {"profile", "--profile", C_ISSUE, false},
    {"preferred-chain", "--preferred-chain", C_ISSUE, false},
    {"reuse-key", "--reuse-key", C_ISSUE, true},
};
#define NKEYS (sizeof keys / sizeof *keys)

struct entry {
    char *key, *value;
    unsigned line;
};

struct section {
    char *name;
    unsigned line;
    struct entry *e;
    size_t n;
};

struct ad_config {
    char *source;
    struct entry *top;
    size_t ntop;
    struct section *sec;
    size_t nsec;
    size_t total;
    unsigned *inj_line; /* ad_config_argv: the line of each injected argument (index 1..) */
};

static const struct key *key_find(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

/* yes/no as a config file writes it: 1, 0, or -1 when neither. */
static int yes_no(const char *v)
{
    static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0)
            return 1;
        if (strcmp(v, no[i]) == 0)
            return 0;
    }
    return -1;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* A key we may print: a word of lower-case letters, digits and '-', at most
 * 40 characters (a secret pasted alone on a line reads as a key). */
static bool key_showable(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 40)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || k[i] == '-' || (i && k[i] >= '0' && k[i] <= '9')))
            return false;
    return true;
}

static void entries_free(struct entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].key);
        if (e[i].value) {
            memset(e[i].value, 0, strlen(e[i].value)); /* a provider option may be a secret */
            free(e[i].value);
        }
    }
    free(e);
}

void ad_config_free(struct ad_config *cfg)
{
    if (!cfg)
        return;
    entries_free(cfg->top, cfg->ntop);
    for (size_t s = 0; s < cfg->nsec; s++) {
        free(cfg->sec[s].name);
        entries_free(cfg->sec[s].e, cfg->sec[s].n);
    }
    free(cfg->sec);
    free(cfg->source);
    free(cfg->inj_line);
    free(cfg);
}

static ad_status entry_add(struct entry **e, size_t *n, const char *key, size_t klen, const char *value,
                           size_t vlen, unsigned line)
{
    struct entry *a = realloc(*e, (*n + 1) * sizeof *a);
    if (!a)
        return AD_ERR_NOMEM;
    *e = a;
    a[*n] = (struct entry){NULL, NULL, line};
    if (!(a[*n].key = malloc(klen + 1)) || !(a[*n].value = malloc(vlen + 1))) {
        free(a[*n].key);
        return AD_ERR_NOMEM;
    }
    memcpy(a[*n].key, key, klen);
    a[*n].key[klen] = '\0';
    memcpy(a[*n].value, value, vlen);
    a[*n].value[vlen] = '\0';
    (*n)++;
    return AD_OK;
}

/* The value part of a line (P to END, after '='): quoted or up to a " #"
 * comment, white space removed.  *V and *VLEN point into the line. */
static const char *value_of(const char *p, const char *end, const char **v, size_t *vlen)
{
    while (p < end && blank(*p))
        p++;
    if (p < end && (*p == '"' || *p == '\'')) {
        const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));
        if (!q)
            return "the quoted value has no closing quote: add it";
        *v = p + 1;
        *vlen = (size_t)(q - p - 1);
        for (q++; q < end && blank(*q); q++)
            ;
        if (q < end && *q != '#')
            return "there is something after the quoted value: put a comment after a '#'";
        return NULL;
    }
    const char *e = p;
    while (e < end && !(*e == '#' && (e == p || blank(e[-1]))))
        e++;
    while (e > p && blank(e[-1]))
        e--;
    *v = p;
    *vlen = (size_t)(e - p);
    return NULL;
}

ad_status ad_config_parse(const char *source, const char *buf, size_t len, struct ad_config **out, char *err,
                          size_t errlen)
{
    ad_status rc = AD_ERR_CONFIG;
    struct ad_config *cfg = calloc(1, sizeof *cfg);
    const char *p = buf, *end = buf + len;
    unsigned line = 0;
    char what[160];
    *out = NULL;
    if (errlen)
        err[0] = '\0';
    if (!cfg || !(cfg->source = strdup(source))) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end, *next = nl ? nl + 1 : end;
        line++;
        if (le > p && le[-1] == '\r')
            le--;
        if ((size_t)(le - p) > AD_CONFIG_LINE_MAX) {
            snprintf(err, errlen, "%s:%u: the line is longer than %d characters: shorten it (a long value belongs "
                     "in a file that an option names)", source, line, AD_CONFIG_LINE_MAX);
            goto out;
        }
        if (memchr(p, '\0', (size_t)(le - p))) {
            snprintf(err, errlen, "%s:%u: the line holds a NUL byte: the config file is text", source, line);
            goto out;
        }
        while (p < le && blank(*p))
            p++;
        while (le > p && blank(le[-1]))
            le--;
        if (p == le || *p == '#') {
            p = next;
            continue;
        }
        if (*p == '[') {
            /* [provider NAME] */
            const char *q = p + 1, *name;
            size_t nlen = 0;
            while (q < le && blank(*q))
                q++;
            bool ok = le[-1] == ']' && (size_t)(le - q) > 9 && memcmp(q, "provider", 8) == 0 && blank(q[8]);
            if (ok) {
                for (q += 9; q < le && blank(*q); q++)
                    ;
                for (name = q; q < le - 1 && name_char(*q); q++)
                    ;
                nlen = (size_t)(q - name);
                while (q < le - 1 && blank(*q))
                    q++;
                ok = nlen > 0 && nlen <= 64 && q == le - 1;
            }
            if (!ok) {
                snprintf(err, errlen, "%s:%u: not a section: a section is [provider NAME] (NAME: letters, digits, "
                         "'-', '_', '.'), with that provider's options below it", source, line);
                goto out;
            }
            for (size_t s = 0; s < cfg->nsec; s++)
                if (strlen(cfg->sec[s].name) == nlen && memcmp(cfg->sec[s].name, name, nlen) == 0) {
                    snprintf(err, errlen, "%s:%u: [provider %s] is given twice (first at line %u): merge them",
                             source, line, cfg->sec[s].name, cfg->sec[s].line);
                    goto out;
                }
            struct section *a = realloc(cfg->sec, (cfg->nsec + 1) * sizeof *a);
            if (!a) {
                rc = AD_ERR_NOMEM;
                goto out;
            }
            cfg->sec = a;
            a[cfg->nsec] = (struct section){NULL, line, NULL, 0};
            if (!(a[cfg->nsec].name = malloc(nlen + 1))) {
                rc = AD_ERR_NOMEM;
                goto out;
            }
            memcpy(a[cfg->nsec].name, name, nlen);
            a[cfg->nsec++].name[nlen] = '\0';
            p = next;
            continue;
        }
        /* key = value */
        const char *k = p, *v = NULL, *why;
        size_t vlen = 0;
        while (p < le && name_char(*p))
            p++;
        size_t klen = (size_t)(p - k);
        while (p < le && blank(*p))
            p++;
        if (klen == 0 || klen > 64 || p == le || *p != '=') {
            snprintf(err, errlen, "%s:%u: not a setting: write key = value (or [provider NAME], or a # comment)",
                     source, line);
            goto out;
        }
        if ((why = value_of(p + 1, le, &v, &vlen))) {
            snprintf(err, errlen, "%s:%u: %s", source, line, why);
            goto out;
        }
        if (++cfg->total > AD_CONFIG_MAX_ENTRIES) {
            snprintf(err, errlen, "%s:%u: more than %d settings: a config file holds defaults, keep it short",
                     source, line, AD_CONFIG_MAX_ENTRIES);
            goto out;
        }
        struct section *sec = cfg->nsec ? &cfg->sec[cfg->nsec - 1] : NULL;
        struct entry **es = sec ? &sec->e : &cfg->top;
        size_t *n = sec ? &sec->n : &cfg->ntop;
        if ((rc = entry_add(es, n, k, klen, v, vlen, line)) != AD_OK)
            goto out;
        rc = AD_ERR_CONFIG;
        const struct entry *e = &(*es)[*n - 1];
        snprintf(what, sizeof what, key_showable(e->key) ? "%s" : "this key", e->key);
        for (size_t i = 0; i + 1 < *n; i++)
            if (strcmp((*es)[i].key, e->key) == 0) {
                snprintf(err, errlen, "%s:%u: %s is given twice (first at line %u): keep one", source, line, what,
                         (*es)[i].line);
                goto out;
            }
        if (!sec) {
            const struct key *kk = key_find(e->key);
            if (!kk && strcmp(e->key, "eab-hmac-key") == 0) {
                snprintf(err, errlen, "%s:%u: the EAB HMAC key never goes into the config file: put it alone in a file "
                         "(mode 0600) and give eab-hmac-key-file = FILE", source, line);
                goto out;
            }
            if (!kk) {
                snprintf(err, errlen, "%s:%u: %s is not a setting of the config file: the settings are server, email, "
                         "agree-tos, eab-kid, eab-hmac-key-file, key-type, account-key-type, state-dir, provider, "
                         "plugin-dir, ca-bundle, dns-resolver, propagation-timeout, http-timeout, deploy-hook, profile, "
                         "preferred-chain and reuse-key; a provider's options go in a [provider NAME] section",
                         source, line, what);
                goto out;
            }
            if (!e->value[0]) {
                snprintf(err, errlen, "%s:%u: %s has no value: give one or remove the line", source, line, what);
                goto out;
            }
            if (kk->flag && yes_no(e->value) < 0) {
                snprintf(err, errlen, "%s:%u: %s is yes or no", source, line, what);
                goto out;
            }
            if (strcmp(kk->name, "server") == 0 && strncmp(e->value, "https://", 8) != 0) {
                snprintf(err, errlen, "%s:%u: server: the ACME directory must be an https:// URL", source, line);
                goto out;
            }
        }
        p = next;
    }
    *out = cfg;
    cfg = NULL;
    rc = AD_OK;
out:
    if (rc == AD_ERR_NOMEM)
        snprintf(err, errlen, "%s: out of memory", source);
    ad_config_free(cfg);
    return rc;
}

ad_status ad_config_load(const char *path, bool must_exist, struct ad_config **out, char *err, size_t errlen)
{
    ad_status rc = AD_ERR_CONFIG;
    char *b = NULL;
    size_t n = 0;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    *out = NULL;
    if (fd < 0 && errno == ENOENT && !must_exist)
        return AD_OK;
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the config file %s: %s%s", path, strerror(errno),
                 errno == ENOENT ? ": give an existing file to --config" : "");
        return AD_ERR_CONFIG;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "the config file %s is not a regular file", path);
        goto out;
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        snprintf(err, errlen, "the config file %s belongs to uid %u, neither root nor you: it may name programs "
                 "that acme-dns runs, so chown it to root (or to you)", path, (unsigned)st.st_uid);
        goto out;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(err, errlen, "the config file %s can be written by %s (mode %04o): it may name programs that "
                 "acme-dns runs: chmod go-w %s", path, st.st_mode & S_IWOTH ? "every user" : "its group",
                 (unsigned)(st.st_mode & 07777), path);
        goto out;
    }
    if ((uintmax_t)st.st_size > AD_CONFIG_FILE_MAX) {
        snprintf(err, errlen, "the config file %s is larger than %u bytes", path, AD_CONFIG_FILE_MAX);
        goto out;
    }
    if ((rc = ad_cred_read_fd(fd, "the config file", path, AD_CONFIG_FILE_MAX, &b, &n, err, errlen)) != AD_OK)
        goto out;
    rc = ad_config_parse(path, b, n, out, err, errlen);
out:
    ad_cred_free(b, n);
    close(fd);
    return rc;
}

size_t ad_config_count(const struct ad_config *cfg)
{
    return cfg ? cfg->ntop : 0;
}

const char *ad_config_entry(const struct ad_config *cfg, size_t i, const char **value, unsigned *line)
{
    *value = cfg->top[i].value;
    *line = cfg->top[i].line;
    return cfg->top[i].key;
}

const char *ad_config_get(const struct ad_config *cfg, const char *key)
{
    for (size_t i = 0; cfg && i < cfg->ntop; i++)
        if (strcmp(cfg->top[i].key, key) == 0)
            return cfg->top[i].value;
    return NULL;
}

size_t ad_config_sections(const struct ad_config *cfg)
{
    return cfg ? cfg->nsec : 0;
}

const char *ad_config_section(const struct ad_config *cfg, size_t s, size_t *nentries)
{
    *nentries = cfg->sec[s].n;
    return cfg->sec[s].name;
}

const char *ad_config_section_entry(const struct ad_config *cfg, size_t s, size_t i, const char **value,
                                    unsigned *line)
{
    *value = cfg->sec[s].e[i].value;
    *line = cfg->sec[s].e[i].line;
    return cfg->sec[s].e[i].key;
}

/* ------------------------------------------------------------------ the command line */

static unsigned command_bit(const char *cmd)
{
    static const struct {
        const char *name;
        unsigned bit;
    } cmds[] = {{"issue", C_ISSUE},         {"check", C_CHECK},   {"renew", C_RENEW},     {"certificates", C_CERTS},
                {"directory", C_DIRECTORY}, {"revoke", C_REVOKE}, {"account", C_ACCOUNT}, {"plugins", C_PLUGINS}};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (strcmp(cmds[i].name, cmd) == 0)
            return cmds[i].bit;
    return C_ISSUE; /* an unknown command: the parser says so */
}

/* What the command line gives: the options by name, --config's value, the command. */
struct scan {
    bool given[128];
    const char *config;
    unsigned cmd;
};

static ad_status scan_args(int argc, char **argv, const struct option *longopts, size_t nlong, struct scan *sc)
{
    char optstring[64] = ":";
    size_t o = 1;
    char **copy = calloc((size_t)argc + 1, sizeof *copy);
    if (!copy)
        return AD_ERR_NOMEM;
    memcpy(copy, argv, (size_t)argc * sizeof *copy);
    for (size_t i = 0; i < nlong && o + 3 < sizeof optstring; i++)
        if (longopts[i].val > 0 && longopts[i].val < 128) {
            optstring[o++] = (char)longopts[i].val;
            if (longopts[i].has_arg == required_argument)
                optstring[o++] = ':';
        }
    optstring[o] = '\0';
    opterr = 0;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, copy, optstring, longopts, NULL)) != -1)
        for (size_t i = 0; i < nlong && i < sizeof sc->given; i++)
            if (longopts[i].val == c) {
                sc->given[i] = true;
                if (strcmp(longopts[i].name, "config") == 0)
                    sc->config = optarg;
            }
    sc->cmd = optind < argc ? command_bit(copy[optind]) : C_ISSUE;
    free(copy);
    optind = 0;
    return AD_OK;
}

static bool given(const struct scan *sc, const struct option *longopts, size_t nlong, const char *name)
{
    for (size_t i = 0; i < nlong && i < sizeof sc->given; i++)
        if (strcmp(longopts[i].name, name) == 0)
            return sc->given[i];
    return false;
}

ad_status ad_config_argv(int argc, char **argv, const struct option *longopts, struct ad_config **cfg, int *nargc,
                         char ***nargv, int *ninjected)
{
    struct scan sc = {0};
    size_t nlong = 0;
    char err[1024];
    ad_status rc;
    *cfg = NULL;
    *nargv = NULL;
    *nargc = 0;
    *ninjected = 0;
    while (longopts[nlong].name)
        nlong++;
    if ((rc = scan_args(argc, argv, longopts, nlong, &sc)) != AD_OK)
        return rc;
    bool quick = given(&sc, longopts, nlong, "help") || given(&sc, longopts, nlong, "version");
    if (sc.config || !quick) {
        rc = ad_config_load(sc.config ? sc.config : AD_CONFIG_DEFAULT, sc.config != NULL, cfg, err, sizeof err);
        if (rc != AD_OK) {
            ad_err("%s", err);
            return rc;
        }
    }
    /* --help and --version take nothing from the file (it was checked when named). */
    size_t ntop = quick ? 0 : ad_config_count(*cfg), max = (size_t)argc + 2 * ntop + 1;
    char **a = calloc(max, sizeof *a);
    unsigned *lines = calloc(max, sizeof *lines);
    int k = 0;
    if (!a || !lines) {
        free(a);
        free(lines);
        return AD_ERR_NOMEM;
    }
    a[k++] = argc > 0 ? argv[0] : "acme-dns";
    for (size_t i = 0; i < ntop; i++) {
        const struct entry *e = &(*cfg)->top[i];
        const struct key *kk = key_find(e->key);
        if (!(kk->cmds & sc.cmd) || given(&sc, longopts, nlong, kk->name))
            continue;
        if (strcmp(kk->name, "server") == 0 && given(&sc, longopts, nlong, "staging"))
            continue;
        if (strcmp(kk->name, "eab-hmac-key-file") == 0 && given(&sc, longopts, nlong, "eab-kid"))
            continue; /* the key ID and its key go together */
        if (kk->flag && yes_no(e->value) != 1)
            continue;
        lines[k] = e->line;
        a[k++] = (char *)kk->opt;
        if (!kk->flag) {
            lines[k] = e->line;
            a[k++] = e->value;
        }
    }
    *ninjected = k - 1;
    for (int i = 1; i < argc; i++)
        a[k++] = argv[i];
    a[k] = NULL;
    if (*cfg) {
        (*cfg)->inj_line = lines;
        lines = NULL;
    }
    free(lines);
    *nargv = a;
    *nargc = k;
    return AD_OK;
}

ad_status ad_config_blame(const struct ad_config *cfg, int at, int ninjected, ad_status rc)
{
    if (rc != AD_ERR_USAGE || !cfg || !cfg->inj_line || at < 2 || at - 1 > ninjected)
        return rc;
    ad_err("%s:%u: this setting of the config file gave it: fix it there (an option on the command line overrides "
           "it)", cfg->source, cfg->inj_line[at - 1]);
    return AD_ERR_CONFIG;
}

ad_status ad_config_provider_opts(const struct ad_config *cfg, struct ad_cli *cli)
{
    for (size_t k = 0; cfg && k < cli->nproviders; k++) {
        struct ad_cli_provider *g = &cli->providers[k];
        for (size_t s = 0; g->name && s < cfg->nsec; s++) {
            if (strcmp(cfg->sec[s].name, g->name) != 0)
                continue;
            for (size_t i = 0; i < cfg->sec[s].n; i++) {
                const struct entry *e = &cfg->sec[s].e[i];
                bool have = false;
                for (size_t j = 0; j < g->npopts && !have; j++)
                    have = strcmp(g->popts[j].name, e->key) == 0;
                if (have)
                    continue; /* the command line's wins */
                struct ad_option_value *o = realloc(g->popts, (g->npopts + 1) * sizeof *o);
                if (!o)
                    return AD_ERR_NOMEM;
                g->popts = o;
                o[g->npopts++] = (struct ad_option_value){strdup(e->key), strdup(e->value)};
                if (!o[g->npopts - 1].name || !o[g->npopts - 1].value)
                    return AD_ERR_NOMEM; /* ad_cli_clear frees them */
            }
        }
    }
    return AD_OK;
}
