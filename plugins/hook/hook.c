/*
 * hook: a DNS provider that runs the user's own executable for each record.
 *
 *     SCRIPT present RECORD_NAME VALUE
 *     SCRIPT cleanup RECORD_NAME VALUE
 *
 * The script is executed directly (posix_spawn, no shell), in its own
 * process group, with stdin on /dev/null and the inherited environment plus
 * ACME_DNS_ACTION, ACME_DNS_RECORD_NAME, ACME_DNS_RECORD_VALUE,
 * ACME_DNS_DOMAIN, ACME_DNS_ZONE (when known), ACME_DNS_TTL and, for
 * certbot manual hooks, CERTBOT_DOMAIN and CERTBOT_VALIDATION.
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

/* Variables the plugin sets; inherited ones of the same name are dropped. */
static const char *const hook_vars[] = {
    "ACME_DNS_ACTION", "ACME_DNS_RECORD_NAME", "ACME_DNS_RECORD_VALUE", "ACME_DNS_DOMAIN",
    "ACME_DNS_ZONE",   "ACME_DNS_TTL",         "CERTBOT_DOMAIN",        "CERTBOT_VALIDATION",
};
#define HOOK_NVARS (sizeof hook_vars / sizeof hook_vars[0])

struct hook_state {
    const struct ad_host *host; /* borrowed until fini */
    char *script;               /* owned: absolute path of the executable */
    unsigned timeout_s;
};

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

/* Build the child's environment.  *ENVP is a NULL-terminated array whose
 * first *NOWN strings are owned (caller frees them and the array);
 * the rest are borrowed from environ. */
static ad_status hook_make_env(const char *action, const struct ad_record *r, char ***envp,
                               size_t *nown)
{
    ad_status rc = AD_ERR_NOMEM;
    size_t ninherit = 0, k = 0;
    char **env = NULL;
    char ttl[16];
    const char *names[HOOK_NVARS], *values[HOOK_NVARS];
    size_t nv = 0;
    const char *domain = r->domain ? r->domain : "";

    if (strncmp(domain, "*.", 2) == 0)
        domain += 2;
    for (char **e = environ; e && *e; e++)
        ninherit++;
    env = calloc(ninherit + HOOK_NVARS + 1, sizeof *env);
    if (!env)
        goto out;

    snprintf(ttl, sizeof ttl, "%u", (unsigned)r->ttl);
    names[nv] = "ACME_DNS_ACTION", values[nv++] = action;
    names[nv] = "ACME_DNS_RECORD_NAME", values[nv++] = r->name;
    names[nv] = "ACME_DNS_RECORD_VALUE", values[nv++] = r->value;
    names[nv] = "ACME_DNS_DOMAIN", values[nv++] = domain;
    names[nv] = "ACME_DNS_TTL", values[nv++] = ttl;
    names[nv] = "CERTBOT_DOMAIN", values[nv++] = domain;
    names[nv] = "CERTBOT_VALIDATION", values[nv++] = r->value;
    if (r->zone && r->zone[0])
        names[nv] = "ACME_DNS_ZONE", values[nv++] = r->zone;

    for (size_t i = 0; i < nv; i++) {
        env[k] = hook_envvar(names[i], values[i]);
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

/* Run the script once for record R.  Returns AD_OK when it exited 0,
 * AD_ERR_INTERRUPTED when the host reports an interrupt while it runs (the
 * script is then stopped like on a timeout). */
static ad_status hook_run(struct hook_state *st, const char *action, const struct ad_record *r)
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
    char *argv[5];
    sigset_t none, defaults;
    int e, status;
    long long deadline;
    int delay = 5, drains = 0;
    bool timed_out = false, interrupted = false;

    out_t = calloc(1, sizeof *out_t);
    err_t = calloc(1, sizeof *err_t);
    if (!out_t || !err_t) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    rc = hook_make_env(action, r, &envp, &nown);
    if (rc != AD_OK)
        goto out;
    rc = AD_ERR_INTERNAL;

    if (hook_pipe(outp) != 0 || hook_pipe(errp) != 0) {
        HLOG(st, AD_LOG_ERROR, "cannot create a pipe for %s: %s", st->script, strerror(errno));
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

    argv[0] = st->script;
    argv[1] = (char *)action;
    argv[2] = (char *)r->name;
    argv[3] = (char *)r->value;
    argv[4] = NULL;
    HLOG(st, AD_LOG_DEBUG, "running %s %s %s %s", st->script, action, r->name, r->value);
    e = posix_spawn(&pid, st->script, &fa, &attr, argv, envp);
    if (e != 0) {
        pid = -1;
        HLOG(st, AD_LOG_ERROR, "cannot run hook script %s: %s", st->script, strerror(e));
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
        HLOG(st, AD_LOG_WARN, "interrupted: stopped hook script %s (%s %s)", st->script, action,
             r->name);
        rc = AD_ERR_INTERRUPTED;
        goto out;
    }
    if (timed_out) {
        hook_kill(pid);
        pid = -1;
        HLOG(st, AD_LOG_ERROR,
             "hook script %s timed out after %u s (%s %s) and was stopped; if it needs longer, "
             "raise the limit with --provider-opt timeout=SECONDS",
             st->script, st->timeout_s, action, r->name);
        hook_tail_log(st->host, AD_LOG_DEBUG, "stdout", out_t);
        hook_tail_log(st->host, AD_LOG_ERROR, "stderr", err_t);
        rc = AD_ERR_TIMEOUT;
        goto out;
    }

    status = hook_reap(pid);
    pid = -1;
    if (status == 0) {
        hook_tail_log(st->host, AD_LOG_DEBUG, "stdout", out_t);
        hook_tail_log(st->host, AD_LOG_DEBUG, "stderr", err_t);
        rc = AD_OK;
        goto out;
    }
    if (status > 0 && WIFEXITED(status))
        HLOG(st, AD_LOG_ERROR, "hook script %s failed to %s %s (value %s): exit status %d",
             st->script, action, r->name, r->value, WEXITSTATUS(status));
    else if (status > 0 && WIFSIGNALED(status))
        HLOG(st, AD_LOG_ERROR, "hook script %s failed to %s %s (value %s): killed by signal %d (%s)",
             st->script, action, r->name, r->value, WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        HLOG(st, AD_LOG_ERROR, "hook script %s: %s %s: cannot get its exit status", st->script,
             action, r->name);
    hook_tail_log(st->host, AD_LOG_DEBUG, "stdout", out_t);
    hook_tail_log(st->host, AD_LOG_ERROR, "stderr", err_t);
    rc = AD_ERR_PROVIDER;
    goto out;

spawn_err:
    HLOG(st, AD_LOG_ERROR, "cannot prepare to run %s: %s", st->script, strerror(e));
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
    free(out_t);
    free(err_t);
    return rc;
}

static ad_status hook_init(const struct ad_host *host, const struct ad_option_value *opts,
                           size_t nopts, void **state)
{
    ad_status rc = AD_ERR_CONFIG;
    struct hook_state *st = NULL;
    const char *script = ad_option_get(opts, nopts, "script");
    const char *timeout = ad_option_get(opts, nopts, "timeout");
    struct stat sb;

    st = calloc(1, sizeof *st);
    if (!st) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    st->host = host;
    st->timeout_s = HOOK_DEFAULT_TIMEOUT;

    if (!script || !script[0]) {
        HLOG(st, AD_LOG_ERROR, "no script given: use --provider-opt script=PATH");
        goto out;
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
    if (stat(script, &sb) != 0) {
        HLOG(st, AD_LOG_ERROR, "script=%s: %s: give the path of an executable file", script,
             strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        HLOG(st, AD_LOG_ERROR, "script=%s is not a regular file: give the path of an executable",
             script);
        goto out;
    }
    if (access(script, X_OK) != 0) {
        HLOG(st, AD_LOG_ERROR, "script=%s is not executable (%s): chmod +x it", script,
             strerror(errno));
        goto out;
    }
    /* An absolute path, so that a later change of directory does not matter. */
    st->script = realpath(script, NULL);
    if (!st->script) {
        HLOG(st, AD_LOG_ERROR, "script=%s: %s", script, strerror(errno));
        goto out;
    }
    *state = st;
    st = NULL;
    rc = AD_OK;
out:
    if (st) {
        free(st->script);
        free(st);
    }
    return rc;
}

static ad_status hook_present(void *state, struct ad_record *const *records, size_t count)
{
    struct hook_state *st = state;
    for (size_t i = 0; i < count; i++) {
        if (hook_interrupted(st->host))
            return AD_ERR_INTERRUPTED;
        ad_status rc = hook_run(st, "present", records[i]);
        if (rc != AD_OK)
            return rc;
    }
    return AD_OK;
}

static ad_status hook_cleanup(void *state, struct ad_record *const *records, size_t count)
{
    struct hook_state *st = state;
    ad_status first = AD_OK;
    /* The host's interrupt flag is raised here only by a signal that came
     * after cleanup began: then the user insists, and the rest is skipped. */
    for (size_t i = 0; i < count; i++) {
        ad_status rc = hook_run(st, "cleanup", records[i]);
        if (rc == AD_ERR_INTERRUPTED)
            return rc;
        if (rc != AD_OK && first == AD_OK)
            first = rc;
    }
    return first;
}

static void hook_fini(void *state)
{
    struct hook_state *st = state;
    if (!st)
        return;
    free(st->script);
    free(st);
}

static const struct ad_plugin_option hook_options[] = {
    {"script", "executable run as: SCRIPT present|cleanup RECORD_NAME VALUE", AD_OPT_REQUIRED},
    {"timeout", "seconds one run of the script may take before it is stopped (default 120)", 0},
    {NULL, NULL, 0},
};

AD_PLUGIN_DECLARE(hook, "Run your own executable to add and remove each TXT record", hook_options,
                  hook_init, hook_present, hook_cleanup, hook_fini);
