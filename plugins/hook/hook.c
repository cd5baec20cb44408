/*
 * hook: a DNS provider that runs the user's own executable for each record,
 * in the calling convention of acme-dns or of another ACME client, so that
 * hook scripts written for those clients work unchanged (style option):
 *
 *   exec (default)   SCRIPT present|cleanup RECORD_NAME VALUE
 *   lego             SCRIPT present|cleanup RECORD_NAME. VALUE (lego's exec
 *                    provider: trailing dot, one value per name at a time)
 *   uacme            SCRIPT begin|done|failed dns-01 IDENT TOKEN AUTH, and the
 *                    same in UACME_* (one value per name at a time)
 *   certbot          AUTH_SCRIPT / CLEANUP_SCRIPT with CERTBOT_* variables
 *   dehydrated       SCRIPT deploy_challenge|clean_challenge DOMAIN TOKEN VALUE
 *                    (chain=yes: every triple of the batch in one call)
 *
 * The script is executed directly (posix_spawn, no shell), in its own
 * process group, with stdin on /dev/null and the inherited environment plus
 * the style's variables (README.md lists them).
 *
 * Exit status 0 means done.  Anything else fails the record with
 * AD_ERR_PROVIDER and the tail of the script's stderr in the log.  A script
 * that runs longer than `timeout` seconds is stopped (SIGTERM, then SIGKILL
 * to its whole process group) and fails with AD_ERR_TIMEOUT.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "acme-dns/plugin.h"
#include "clock.h"
#include "hook_tail.h"
#include "parse.h"

extern char **environ;

#define HOOK_DEFAULT_TIMEOUT 120u
#define HOOK_MAX_TIMEOUT 86400u
#define HOOK_KILL_GRACE_MS 2000      /* between SIGTERM and SIGKILL */
#define HOOK_POLL_MAX_MS 100         /* longest wait between exit/interrupt checks */

/* Variables the plugin may set; inherited ones of these names are always
 * dropped, so that a value never means something else in another style. */
static const char *const hook_vars[] = {
    "ACME_DNS_ACTION", "ACME_DNS_RECORD_NAME", "ACME_DNS_RECORD_VALUE", "ACME_DNS_DOMAIN",
    "ACME_DNS_ZONE", "ACME_DNS_TTL", "CERTBOT_DOMAIN", "CERTBOT_VALIDATION", "CERTBOT_TOKEN",
    "CERTBOT_ALL_DOMAINS", "CERTBOT_REMAINING_CHALLENGES", "CERTBOT_AUTH_OUTPUT", "UACME_METHOD",
    "UACME_TYPE", "UACME_IDENT", "UACME_TOKEN", "UACME_AUTH", "UACME_VERBOSE",
};
#define HOOK_NVARS (sizeof hook_vars / sizeof hook_vars[0])

enum hook_style { HOOK_EXEC, HOOK_LEGO, HOOK_UACME, HOOK_CERTBOT, HOOK_DEHYDRATED };
static const char *const hook_style_names[] = {"exec", "lego", "uacme", "certbot", "dehydrated"};

/* Record data the plugin keeps (ABI: "per-record data"), one tag per style:
 *   "t:TOKEN"  uacme, dehydrated: the token, for a cleanup after a crash
 *              (uacme: also "begin ran and accepted")
 *   "d:"       uacme: begin declined the challenge (no done/failed then)
 *   "o:TEXT"   certbot: the auth script's output, when it fits
 *   "O:"       certbot: the output was too long to keep here */
#define HOOK_DATA_TOKEN "t:"
#define HOOK_DATA_DECLINED "d:"
#define HOOK_DATA_OUTPUT "o:"
#define HOOK_DATA_LONG "O:"

/* certbot: an auth script's output, kept for the cleanup of its record. */
struct hook_output {
    char *name, *value, *text;
};

struct hook_state {
    const struct ad_host *host; /* borrowed until fini */
    enum hook_style style;
    char *script;               /* owned: absolute path (every style but certbot) */
    char *auth, *clean;         /* owned: certbot's auth-script and cleanup-script */
    bool chain;                 /* dehydrated's HOOK_CHAIN=yes */
    bool abi12;                 /* the host fills the ABI 1.2 record fields */
    unsigned timeout_s;
    struct hook_output *outs;   /* owned */
    size_t nouts;
};

/* The variables of one run, on top of the inherited environment. */
#define HOOK_ENV_MAX 16
struct hook_env {
    const char *name[HOOK_ENV_MAX];
    const char *value[HOOK_ENV_MAX];
    size_t n;
};

static void env_add(struct hook_env *e, const char *name, const char *value)
{
    if (e->n < HOOK_ENV_MAX && value) {
        e->name[e->n] = name;
        e->value[e->n++] = value;
    }
}

/* Has the user asked acme-dns to stop?  (Hosts older than the callback: never.) */
static bool hook_interrupted(const struct ad_host *h)
{
    if (h->struct_size < offsetof(struct ad_host, interrupted) + sizeof h->interrupted ||
        !h->interrupted)
        return false;
    return h->interrupted(h->ctx) != 0;
}

#define HLOG(st, lvl, ...) (st)->host->log((st)->host->ctx, (lvl), __VA_ARGS__)

/* core/common's monotonic clock, signed for the deadline arithmetic here. */
static long long hook_now_ms(void)
{
    return (long long)ad_now_ms();
}

/* "NAME=VALUE" in a new string, or NULL; caller frees. */
static char *hook_envvar(const char *name, const char *value)
{
    size_t n = strlen(name) + 1 + strlen(value) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s=%s", name, value);
    return s;
}

static bool hook_is_ours(const char *entry)
{
    for (size_t i = 0; i < HOOK_NVARS; i++) {
        size_t n = strlen(hook_vars[i]);
        if (strncmp(entry, hook_vars[i], n) == 0 && entry[n] == '=')
            return true;
    }
    return false;
}

/* Build the child's environment: VARS, then the inherited variables not of
 * hook_vars.  *ENVP is a NULL-terminated array whose first *NOWN strings
 * are owned (caller frees them and the array); the rest are borrowed from
 * environ. */
static ad_status hook_make_env(const struct hook_env *vars, char ***envp, size_t *nown)
{
    ad_status rc = AD_ERR_NOMEM;
    size_t ninherit = 0, k = 0;
    char **env = NULL;

    for (char **e = environ; e && *e; e++)
        ninherit++;
    env = calloc(ninherit + vars->n + 1, sizeof *env);
    if (!env)
        goto out;
    for (size_t i = 0; i < vars->n; i++) {
        env[k] = hook_envvar(vars->name[i], vars->value[i]);
        if (!env[k])
            goto out;
        k++;
    }
    *nown = k;
    for (char **e = environ; e && *e; e++)
        if (!hook_is_ours(*e))
            env[k++] = *e;
    env[k] = NULL;
    *envp = env;
    env = NULL;
    rc = AD_OK;
out:
    if (env) {
        for (size_t i = 0; i < k; i++)
            free(env[i]);
        free(env);
    }
    return rc;
}

/* Read what is available on *FD into T; closes the fd and sets it to -1 at
 * end of file or on a read error. */
static void hook_drain(int *fd, struct hook_tail *t)
{
    char chunk[4096];
    ssize_t n = read(*fd, chunk, sizeof chunk);
    if (n > 0) {
        hook_tail_add(t, chunk, (size_t)n);
        return;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    close(*fd);
    *fd = -1;
}

/* A pipe whose ends close on exec; the read end does not block. */
static int hook_pipe(int p[2])
{
    if (pipe(p) != 0)
        return -1;
    if (fcntl(p[0], F_SETFD, FD_CLOEXEC) != 0 || fcntl(p[1], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(p[0], F_SETFL, O_NONBLOCK) != 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        p[0] = p[1] = -1;
        errno = e;
        return -1;
    }
    return 0;
}

/* Has PID exited?  Reaps nothing (WNOWAIT), so its PID and process group
 * stay reserved until hook_reap. */
static bool hook_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno == ECHILD; /* not ours any more: treat as gone */
    return si.si_pid == pid;
}

static int hook_reap(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return status;
}

/* Stop the script's process group: SIGTERM, a grace period, SIGKILL for
 * whatever is left of the group, then reap the script. */
static void hook_kill(pid_t pid)
{
    long long until;
    int delay = 5;

    kill(-pid, SIGTERM);
    until = hook_now_ms() + HOOK_KILL_GRACE_MS;
    while (!hook_exited(pid) && hook_now_ms() < until) {
        poll(NULL, 0, delay);
        if (delay < 100)
            delay *= 2;
    }
    /* The unreaped leader keeps the group id from being reused. */
    kill(-pid, SIGKILL);
    hook_reap(pid);
}

/* Run ARGV (argv[0]: the executable) once with the variables VARS.  WHAT
 * names the run in messages ("present NAME (value V)").  OUT, when not NULL,
 * receives what it wrote on stdout (the last HOOK_TAIL_MAX bytes).
 * *STATUS (when not NULL) is its exit status, or -1 when it did not exit
 * by itself.  Returns AD_OK when it exited 0, AD_ERR_INTERRUPTED when the
 * host reports an interrupt while it runs (the script is then stopped like
 * on a timeout). */
static ad_status hook_run(struct hook_state *st, char *const *argv, const struct hook_env *vars,
                          const char *what, struct hook_tail *out, int *exit_status)
{
    ad_status rc = AD_ERR_INTERNAL;
    char **envp = NULL;
    size_t nown = 0;
    int outp[2] = {-1, -1}, errp[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    bool fa_ok = false, attr_ok = false;
    pid_t pid = -1;
    struct hook_tail *out_t = NULL, *err_t = NULL;
    const char *script = argv[0];
    sigset_t none, defaults;
    int e, status;
    long long deadline;
    int delay = 5, drains = 0;
    bool timed_out = false, interrupted = false;

    if (exit_status)
        *exit_status = -1;
    out_t = out ? out : calloc(1, sizeof *out_t);
    err_t = calloc(1, sizeof *err_t);
    if (!out_t || !err_t) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    memset(out_t, 0, sizeof *out_t);
    rc = hook_make_env(vars, &envp, &nown);
    if (rc != AD_OK)
        goto out;
    rc = AD_ERR_INTERNAL;

    if (hook_pipe(outp) != 0 || hook_pipe(errp) != 0) {
        HLOG(st, AD_LOG_ERROR, "cannot create a pipe for %s: %s", script, strerror(errno));
        goto out;
    }
    if ((e = posix_spawn_file_actions_init(&fa)) != 0)
        goto spawn_err;
    fa_ok = true;
    if ((e = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0)) != 0 ||
        (e = posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO)) != 0 ||
        (e = posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO)) != 0)
        goto spawn_err;
    if ((e = posix_spawnattr_init(&attr)) != 0)
        goto spawn_err;
    attr_ok = true;
    /* Own process group (so a timeout can stop all it started), no blocked
     * signals, and default dispositions for everything the core may catch. */
    sigemptyset(&none);
    sigfillset(&defaults);
    if ((e = posix_spawnattr_setpgroup(&attr, 0)) != 0 ||
        (e = posix_spawnattr_setsigmask(&attr, &none)) != 0 ||
        (e = posix_spawnattr_setsigdefault(&attr, &defaults)) != 0 ||
        (e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                 POSIX_SPAWN_SETSIGDEF)) != 0)
        goto spawn_err;

    HLOG(st, AD_LOG_DEBUG, "running %s (%s)", script, what);
    e = posix_spawn(&pid, script, &fa, &attr, argv, envp);
    if (e != 0) {
        pid = -1;
        HLOG(st, AD_LOG_ERROR, "cannot run hook script %s: %s", script, strerror(e));
        rc = AD_ERR_PROVIDER;
        goto out;
    }
    close(outp[1]);
    outp[1] = -1;
    close(errp[1]);
    errp[1] = -1;

    /* Collect output until the script exits (or the deadline passes). */
    deadline = hook_now_ms() + (long long)st->timeout_s * 1000;
    for (;;) {
        struct pollfd pfd[2];
        nfds_t n = 0;
        bool exited = hook_exited(pid);
        long long left = deadline - hook_now_ms();
        int wait_ms;

        if (exited && outp[0] < 0 && errp[0] < 0)
            break;
        if (!exited && left <= 0) {
            timed_out = true;
            break;
        }
        if (!exited && hook_interrupted(st->host)) {
            interrupted = true;
            break;
        }
        if (outp[0] >= 0)
            pfd[n++] = (struct pollfd){.fd = outp[0], .events = POLLIN};
        if (errp[0] >= 0)
            pfd[n++] = (struct pollfd){.fd = errp[0], .events = POLLIN};
        /* Once the script has exited, take what is buffered and stop: a
         * background process it left may hold the pipes open. */
        wait_ms = exited ? 0 : (int)(left < delay ? left : delay);
        if (poll(n ? pfd : NULL, n, wait_ms) < 0) {
            if (errno == EINTR)
                continue;
            HLOG(st, AD_LOG_ERROR, "poll: %s", strerror(errno));
            timed_out = true; /* cannot watch it any more: stop it */
            break;
        }
        bool got = false;
        for (nfds_t i = 0; i < n; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            got = true;
            if (pfd[i].fd == outp[0])
                hook_drain(&outp[0], out_t);
            else
                hook_drain(&errp[0], err_t);
        }
        /* after the exit, bounded: a left-behind process may keep writing */
        if (exited && (!got || ++drains > 64))
            break;
        if (!got && delay < HOOK_POLL_MAX_MS)
            delay *= 2;
    }

    if (interrupted) {
        hook_kill(pid);
        pid = -1;
        HLOG(st, AD_LOG_WARN, "interrupted: stopped hook script %s (%s)", script, what);
        rc = AD_ERR_INTERRUPTED;
        goto out;
    }
    if (timed_out) {
        hook_kill(pid);
        pid = -1;
        HLOG(st, AD_LOG_ERROR,
             "hook script %s timed out after %u s (%s) and was stopped; if it needs longer, "
             "raise the limit with --provider-opt timeout=SECONDS",
             script, st->timeout_s, what);
        hook_tail_log(st->host, AD_LOG_DEBUG, "stdout", out_t);
        hook_tail_log(st->host, AD_LOG_ERROR, "stderr", err_t);
        rc = AD_ERR_TIMEOUT;
        goto out;
    }

    status = hook_reap(pid);
    pid = -1;
    if (exit_status && status >= 0 && WIFEXITED(status))
        *exit_status = WEXITSTATUS(status);
    if (status == 0) {
        hook_tail_log(st->host, AD_LOG_DEBUG, "stdout", out_t);
        hook_tail_log(st->host, AD_LOG_DEBUG, "stderr", err_t);
        rc = AD_OK;
        goto out;
    }
    if (status > 0 && WIFEXITED(status))
        HLOG(st, AD_LOG_ERROR, "hook script %s failed (%s): exit status %d", script, what,
             WEXITSTATUS(status));
    else if (status > 0 && WIFSIGNALED(status))
        HLOG(st, AD_LOG_ERROR, "hook script %s failed (%s): killed by signal %d (%s)", script, what,
             WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        HLOG(st, AD_LOG_ERROR, "hook script %s (%s): cannot get its exit status", script, what);
    hook_tail_log(st->host, AD_LOG_DEBUG, "stdout", out_t);
    hook_tail_log(st->host, AD_LOG_ERROR, "stderr", err_t);
    rc = AD_ERR_PROVIDER;
    goto out;

spawn_err:
    HLOG(st, AD_LOG_ERROR, "cannot prepare to run %s: %s", script, strerror(e));
    rc = AD_ERR_INTERNAL;
out:
    if (pid > 0)
        hook_kill(pid);
    if (attr_ok)
        posix_spawnattr_destroy(&attr);
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    if (envp) {
        for (size_t i = 0; i < nown; i++)
            free(envp[i]);
        free(envp);
    }
    if (out_t != out)
        free(out_t);
    free(err_t);
    return rc;
}

/* ------------------------------------------------------------ the styles */

/* The variables every style but dehydrated's chain sets for record R. */
static void env_record(struct hook_env *e, const char *action, const struct ad_record *r, char ttl[16])
{
    snprintf(ttl, 16, "%u", (unsigned)r->ttl);
    env_add(e, "ACME_DNS_ACTION", action);
    env_add(e, "ACME_DNS_RECORD_NAME", r->name);
    env_add(e, "ACME_DNS_RECORD_VALUE", r->value);
    env_add(e, "ACME_DNS_DOMAIN", r->domain);
    env_add(e, "ACME_DNS_TTL", ttl);
    if (r->zone && r->zone[0])
        env_add(e, "ACME_DNS_ZONE", r->zone);
}

/* The record's token: the core's, else the one kept in its data, else "". */
static const char *hook_token(const struct hook_state *st, const struct ad_record *r)
{
    if (st->abi12 && r->token)
        return r->token;
    if (strncmp(r->data, HOOK_DATA_TOKEN, 2) == 0 && memchr(r->data, '\0', sizeof r->data))
        return r->data + 2;
    return "";
}

static void keep_token(const struct hook_state *st, struct ad_record *r)
{
    const char *t = st->abi12 && r->token ? r->token : "";
    if (strlen(t) + 3 <= sizeof r->data)
        snprintf(r->data, sizeof r->data, "%s%s", HOOK_DATA_TOKEN, t);
}

/* exec and lego: SCRIPT present|cleanup NAME VALUE. */
static ad_status run_exec(struct hook_state *st, const char *action, const struct ad_record *r)
{
    struct hook_env e = {.n = 0};
    char ttl[16], what[400], name[300];
    snprintf(name, sizeof name, "%s%s", r->name, st->style == HOOK_LEGO ? "." : "");
    env_record(&e, action, r, ttl);
    env_add(&e, "CERTBOT_DOMAIN", r->domain);
    env_add(&e, "CERTBOT_VALIDATION", r->value);
    snprintf(what, sizeof what, "%s %s (value %s)", action, r->name, r->value);
    char *argv[] = {st->script, (char *)action, name, (char *)r->value, NULL};
    return hook_run(st, argv, &e, what, NULL, NULL);
}

/* uacme: SCRIPT METHOD dns-01 IDENT TOKEN AUTH, and UACME_* the same. */
static ad_status run_uacme(struct hook_state *st, const char *method, const char *action, struct ad_record *r,
                           int *status)
{
    struct hook_env e = {.n = 0};
    char ttl[16], what[400], verbose[16];
    const char *token = hook_token(st, r);
    snprintf(verbose, sizeof verbose, "%d", st->host->verbosity > 1 ? st->host->verbosity - 1 : 0);
    env_add(&e, "UACME_METHOD", method);
    env_add(&e, "UACME_TYPE", "dns-01");
    env_add(&e, "UACME_IDENT", r->domain);
    env_add(&e, "UACME_TOKEN", token);
    env_add(&e, "UACME_AUTH", r->value);
    env_add(&e, "UACME_VERBOSE", verbose);
    env_record(&e, action, r, ttl);
    snprintf(what, sizeof what, "%s dns-01 %s (value %s)", method, r->domain, r->value);
    char *argv[] = {st->script, (char *)method, "dns-01", (char *)r->domain, (char *)token, (char *)r->value, NULL};
    return hook_run(st, argv, &e, what, NULL, status);
}

/* certbot's kept output of the auth script for R, or NULL. */
static struct hook_output *output_of(struct hook_state *st, const struct ad_record *r)
{
    for (size_t i = 0; i < st->nouts; i++)
        if (strcmp(st->outs[i].name, r->name) == 0 && strcmp(st->outs[i].value, r->value) == 0)
            return &st->outs[i];
    return NULL;
}

static void output_drop(struct hook_state *st, struct hook_output *o)
{
    free(o->name);
    free(o->value);
    free(o->text);
    *o = st->outs[--st->nouts];
}

/* Keep TEXT as the auth output of R: in memory for this run, and in R's
 * data (so in the journal) when it fits. */
static ad_status output_keep(struct hook_state *st, struct ad_record *r, const char *text)
{
    struct hook_output *o = output_of(st, r);
    if (o)
        output_drop(st, o);
    o = realloc(st->outs, (st->nouts + 1) * sizeof *o);
    if (!o)
        return AD_ERR_NOMEM;
    st->outs = o;
    o = &st->outs[st->nouts];
    o->name = strdup(r->name);
    o->value = strdup(r->value);
    o->text = strdup(text);
    if (!o->name || !o->value || !o->text) {
        free(o->name);
        free(o->value);
        free(o->text);
        return AD_ERR_NOMEM;
    }
    st->nouts++;
    if (strlen(text) + 3 <= sizeof r->data)
        snprintf(r->data, sizeof r->data, "%s%s", HOOK_DATA_OUTPUT, text);
    else
        snprintf(r->data, sizeof r->data, "%s", HOOK_DATA_LONG);
    return AD_OK;
}

/* "a,b,c": the domains of RECS as certbot's CERTBOT_ALL_DOMAINS; caller frees. */
static char *all_domains(struct ad_record *const *recs, size_t count)
{
    size_t n = 1;
    for (size_t i = 0; i < count; i++)
        n += strlen(recs[i]->domain) + 1;
    char *s = malloc(n), *p = s;
    if (!s)
        return NULL;
    *p = '\0';
    for (size_t i = 0; i < count; i++)
        p += sprintf(p, "%s%s", i ? "," : "", recs[i]->domain);
    return s;
}

/* certbot: AUTH_SCRIPT or CLEANUP_SCRIPT for RECS[I] with CERTBOT_*. */
static ad_status run_certbot(struct hook_state *st, bool auth, struct ad_record *const *recs, size_t count, size_t i,
                             const char *domains)
{
    struct ad_record *r = recs[i];
    struct hook_env e = {.n = 0};
    char ttl[16], what[400], remaining[24];
    struct hook_tail *out = NULL;
    char *text = NULL;
    ad_status rc;
    snprintf(remaining, sizeof remaining, "%zu", count - i - 1);
    env_add(&e, "CERTBOT_DOMAIN", r->domain);
    env_add(&e, "CERTBOT_VALIDATION", r->value);
    env_add(&e, "CERTBOT_ALL_DOMAINS", domains);
    env_add(&e, "CERTBOT_REMAINING_CHALLENGES", remaining);
    if (!auth) {
        const struct hook_output *o = output_of(st, r);
        if (o)
            env_add(&e, "CERTBOT_AUTH_OUTPUT", o->text);
        else if (strncmp(r->data, HOOK_DATA_OUTPUT, 2) == 0 && memchr(r->data, '\0', sizeof r->data))
            env_add(&e, "CERTBOT_AUTH_OUTPUT", r->data + 2);
        else {
            if (strcmp(r->data, HOOK_DATA_LONG) == 0)
                HLOG(st, AD_LOG_WARN, "the auth script's output for %s was too long to keep in the journal: "
                     "CERTBOT_AUTH_OUTPUT is empty for its cleanup", r->domain);
            env_add(&e, "CERTBOT_AUTH_OUTPUT", "");
        }
    }
    env_record(&e, auth ? "present" : "cleanup", r, ttl);
    snprintf(what, sizeof what, "%s for %s (value %s)", auth ? "auth-script" : "cleanup-script", r->domain,
             r->value);
    char *argv[] = {auth ? st->auth : st->clean, NULL};
    if (!auth)
        return hook_run(st, argv, &e, what, NULL, NULL);
    if (!(out = calloc(1, sizeof *out)) || !(text = malloc(sizeof out->buf + 1))) {
        free(out);
        return AD_ERR_NOMEM;
    }
    rc = hook_run(st, argv, &e, what, out, NULL);
    hook_output_text(out->buf, out->len, text, sizeof out->buf + 1);
    if (out->truncated)
        HLOG(st, AD_LOG_WARN, "the auth script wrote more than %u bytes on stdout for %s: CERTBOT_AUTH_OUTPUT "
             "keeps the last %u", HOOK_TAIL_MAX, r->domain, HOOK_TAIL_MAX);
    ad_status k = output_keep(st, r, text);
    free(out);
    free(text);
    return rc == AD_OK ? k : rc;
}

/* dehydrated: SCRIPT HANDLER DOMAIN TOKEN VALUE [DOMAIN TOKEN VALUE ...]
 * for RECS[FROM..TO). */
static ad_status run_dehydrated(struct hook_state *st, const char *handler, struct ad_record *const *recs,
                                size_t from, size_t to)
{
    struct hook_env e = {.n = 0};
    char ttl[16], what[400];
    size_t n = to - from, k = 0;
    char **argv = calloc(2 + 3 * n + 1, sizeof *argv);
    if (!argv)
        return AD_ERR_NOMEM;
    argv[k++] = st->script;
    argv[k++] = (char *)handler;
    for (size_t i = from; i < to; i++) {
        argv[k++] = (char *)recs[i]->domain;
        argv[k++] = (char *)hook_token(st, recs[i]);
        argv[k++] = (char *)recs[i]->value;
    }
    if (n == 1) {
        env_record(&e, strcmp(handler, "deploy_challenge") == 0 ? "present" : "cleanup", recs[from], ttl);
        snprintf(what, sizeof what, "%s %s (value %s)", handler, recs[from]->domain, recs[from]->value);
    } else {
        env_add(&e, "ACME_DNS_ACTION", strcmp(handler, "deploy_challenge") == 0 ? "present" : "cleanup");
        snprintf(what, sizeof what, "%s for %zu records, %s first", handler, n, recs[from]->domain);
    }
    ad_status rc = hook_run(st, argv, &e, what, NULL, NULL);
    free(argv);
    return rc;
}

/* ------------------------------------------------------- the callbacks */

static ad_status hook_present(void *state, struct ad_record *const *records, size_t count)
{
    struct hook_state *st = state;
    char *domains = NULL;
    ad_status rc = AD_OK;
    if (st->style == HOOK_DEHYDRATED && st->chain && count > 0) {
        for (size_t i = 0; i < count; i++)
            keep_token(st, records[i]);
        return run_dehydrated(st, "deploy_challenge", records, 0, count);
    }
    if (st->style == HOOK_CERTBOT && !(domains = all_domains(records, count)))
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < count && rc == AD_OK; i++) {
        struct ad_record *r = records[i];
        int status = -1;
        if (hook_interrupted(st->host)) {
            rc = AD_ERR_INTERRUPTED;
            break;
        }
        switch (st->style) {
        case HOOK_EXEC:
        case HOOK_LEGO:
            rc = run_exec(st, "present", r);
            break;
        case HOOK_UACME:
            keep_token(st, r); /* begin ran: done or failed follows */
            rc = run_uacme(st, "begin", "present", r, &status);
            if (rc != AD_OK && status > 0) {
                /* uacme: a declined challenge gets neither done nor failed */
                snprintf(r->data, sizeof r->data, "%s", HOOK_DATA_DECLINED);
                HLOG(st, AD_LOG_ERROR, "the uacme hook declined the dns-01 challenge for %s (begin exited %d), "
                     "and acme-dns offers no other challenge type", r->domain, status);
            }
            break;
        case HOOK_CERTBOT:
            rc = run_certbot(st, true, records, count, i, domains);
            break;
        case HOOK_DEHYDRATED:
            keep_token(st, r);
            rc = run_dehydrated(st, "deploy_challenge", records, i, i + 1);
            break;
        }
    }
    free(domains);
    return rc;
}

/* Remove the records; every one is tried, the first failure is returned.
 * The host's interrupt flag is raised here only by a signal that came after
 * cleanup began: then the user insists, and the rest is skipped. */
static ad_status hook_cleanup(void *state, struct ad_record *const *records, size_t count)
{
    struct hook_state *st = state;
    ad_status first = AD_OK;
    char *domains = NULL;
    if (st->style == HOOK_DEHYDRATED && st->chain)
        return count ? run_dehydrated(st, "clean_challenge", records, 0, count) : AD_OK;
    if (st->style == HOOK_CERTBOT && !(domains = all_domains(records, count)))
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < count; i++) {
        struct ad_record *r = records[i];
        ad_status rc = AD_OK;
        switch (st->style) {
        case HOOK_EXEC:
        case HOOK_LEGO:
            rc = run_exec(st, "cleanup", r);
            break;
        case HOOK_UACME:
            /* Declined, or never begun in this run (the core knows its
             * token, the data says nothing): uacme calls nothing then. */
            if (strcmp(r->data, HOOK_DATA_DECLINED) == 0 || (r->data[0] == '\0' && st->abi12 && r->token))
                continue;
            rc = run_uacme(st, st->abi12 && r->validated ? "done" : "failed", "cleanup", r, NULL);
            break;
        case HOOK_CERTBOT: {
            rc = run_certbot(st, false, records, count, i, domains);
            struct hook_output *o = output_of(st, r);
            if (o && rc == AD_OK)
                output_drop(st, o);
            break;
        }
        case HOOK_DEHYDRATED:
            rc = run_dehydrated(st, "clean_challenge", records, i, i + 1);
            break;
        }
        if (rc == AD_ERR_INTERRUPTED) {
            first = rc;
            break;
        }
        if (rc != AD_OK && first == AD_OK)
            first = rc;
    }
    free(domains);
    return first;
}

static void hook_fini(void *state)
{
    struct hook_state *st = state;
    if (!st)
        return;
    while (st->nouts)
        output_drop(st, &st->outs[0]);
    free(st->outs);
    free(st->script);
    free(st->auth);
    free(st->clean);
    free(st);
}

static uint32_t hook_flags(void *state)
{
    const struct hook_state *st = state;
    /* uacme's and lego's scripts may expect a name to hold their value alone */
    return st->style == HOOK_UACME || st->style == HOOK_LEGO ? AD_PROVIDER_ONE_VALUE_PER_NAME : 0;
}

/* Check that OPT=PATH names an executable file; *OUT is its absolute path
 * (caller frees). */
static ad_status hook_executable(struct hook_state *st, const char *opt, const char *path, char **out)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        HLOG(st, AD_LOG_ERROR, "%s=%s: %s: give the path of an executable file", opt, path, strerror(errno));
        return AD_ERR_CONFIG;
    }
    if (!S_ISREG(sb.st_mode)) {
        HLOG(st, AD_LOG_ERROR, "%s=%s is not a regular file: give the path of an executable%s", opt, path,
             strchr(path, ' ') ? " (no arguments: acme-dns runs no shell; put a command line in a script)" : "");
        return AD_ERR_CONFIG;
    }
    if (access(path, X_OK) != 0) {
        HLOG(st, AD_LOG_ERROR, "%s=%s is not executable (%s): chmod +x it", opt, path, strerror(errno));
        return AD_ERR_CONFIG;
    }
    /* An absolute path, so that a later change of directory does not matter. */
    if (!(*out = realpath(path, NULL))) {
        HLOG(st, AD_LOG_ERROR, "%s=%s: %s", opt, path, strerror(errno));
        return errno == ENOMEM ? AD_ERR_NOMEM : AD_ERR_CONFIG;
    }
    return AD_OK;
}

static ad_status hook_init(const struct ad_host *host, const struct ad_option_value *opts,
                           size_t nopts, void **state)
{
    ad_status rc = AD_ERR_CONFIG;
    struct hook_state *st = NULL;
    const char *script = ad_option_get(opts, nopts, "script");
    const char *auth = ad_option_get(opts, nopts, "auth-script");
    const char *clean = ad_option_get(opts, nopts, "cleanup-script");
    const char *style = ad_option_get(opts, nopts, "style");
    const char *chain = ad_option_get(opts, nopts, "chain");
    const char *timeout = ad_option_get(opts, nopts, "timeout");
    size_t k;

    st = calloc(1, sizeof *st);
    if (!st) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    st->host = host;
    st->timeout_s = HOOK_DEFAULT_TIMEOUT;
    st->abi12 = ad_host_abi_minor(host) >= 2;

    for (k = 0; style && k < sizeof hook_style_names / sizeof *hook_style_names; k++)
        if (strcmp(style, hook_style_names[k]) == 0)
            break;
    if (style && k == sizeof hook_style_names / sizeof *hook_style_names) {
        HLOG(st, AD_LOG_ERROR, "style=%s: use exec (the default), lego, uacme, certbot or dehydrated", style);
        goto out;
    }
    st->style = style ? (enum hook_style)k : HOOK_EXEC;
    if (st->style != HOOK_EXEC && st->style != HOOK_CERTBOT && !st->abi12) {
        HLOG(st, AD_LOG_ERROR, "style=%s needs acme-dns with plugin ABI 1.2 or later", style);
        goto out;
    }
    if (st->style == HOOK_CERTBOT) {
        if (script) {
            HLOG(st, AD_LOG_ERROR, "style=certbot takes auth-script and cleanup-script (certbot's "
                 "--manual-auth-hook and --manual-cleanup-hook), not script");
            goto out;
        }
        if (!auth || !clean) {
            HLOG(st, AD_LOG_ERROR, "style=certbot needs both auth-script=PATH and cleanup-script=PATH (certbot's "
                 "--manual-auth-hook and --manual-cleanup-hook): acme-dns removes every record it adds");
            goto out;
        }
        if ((rc = hook_executable(st, "auth-script", auth, &st->auth)) != AD_OK ||
            (rc = hook_executable(st, "cleanup-script", clean, &st->clean)) != AD_OK)
            goto out;
        rc = AD_ERR_CONFIG;
    } else {
        if (auth || clean) {
            HLOG(st, AD_LOG_ERROR, "auth-script and cleanup-script go with style=certbot; style=%s takes script",
                 hook_style_names[st->style]);
            goto out;
        }
        if (!script || !script[0]) {
            HLOG(st, AD_LOG_ERROR, "no script given: use --provider-opt script=PATH");
            goto out;
        }
        if ((rc = hook_executable(st, "script", script, &st->script)) != AD_OK)
            goto out;
        rc = AD_ERR_CONFIG;
    }
    if (chain) {
        if (st->style != HOOK_DEHYDRATED) {
            HLOG(st, AD_LOG_ERROR, "chain goes with style=dehydrated (its HOOK_CHAIN)");
            goto out;
        }
        if (strcmp(chain, "yes") != 0 && strcmp(chain, "no") != 0) {
            HLOG(st, AD_LOG_ERROR, "chain=%s: use yes or no", chain);
            goto out;
        }
        st->chain = strcmp(chain, "yes") == 0;
    }
    if (timeout) {
        unsigned long v;
        if (!ad_parse_uint(timeout, 1, HOOK_MAX_TIMEOUT, &v)) {
            HLOG(st, AD_LOG_ERROR, "timeout=%s: give a whole number of seconds from 1 to %u",
                 timeout, HOOK_MAX_TIMEOUT);
            goto out;
        }
        st->timeout_s = (unsigned)v;
    }
    *state = st;
    st = NULL;
    rc = AD_OK;
out:
    hook_fini(st);
    return rc;
}

static const struct ad_plugin_option hook_options[] = {
    {"script", "executable run for each record (style exec: SCRIPT present|cleanup RECORD_NAME VALUE)", 0},
    {"timeout", "seconds one run of a script may take before it is stopped (default 120)", 0},
    {"style", "calling convention: exec (default), lego, uacme, certbot or dehydrated", 0},
    {"auth-script", "style=certbot: certbot's --manual-auth-hook (an executable)", 0},
    {"cleanup-script", "style=certbot: certbot's --manual-cleanup-hook (an executable)", 0},
    {"chain", "style=dehydrated: yes passes every record of a batch in one call (HOOK_CHAIN=yes); default no", 0},
    {NULL, NULL, 0},
};

AD_PLUGIN_DECLARE_FLAGS(hook, "Run your own executable to add and remove each TXT record", hook_options, NULL,
                        hook_flags, hook_init, hook_present, hook_cleanup, hook_fini);
