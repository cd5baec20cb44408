#include "deploy.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

extern char **environ;

#define KILL_GRACE_MS 2000

static const char *const our_vars[] = {"RENEWED_LINEAGE=", "RENEWED_DOMAINS=", "ACME_DNS_CERT_NAME=",
                                       "ACME_DNS_CERT_DIR=", "ACME_DNS_DOMAINS="};
#define NVARS (sizeof our_vars / sizeof *our_vars)

ad_status ad_deploy_split(const char *cmd, char ***argv, size_t *argc)
{
    size_t n = 0;
    char **v = calloc(strlen(cmd) / 2 + 2, sizeof *v);
    if (!v)
        return AD_ERR_NOMEM;
    for (const char *p = cmd; *p;) {
        p += strspn(p, " \t");
        size_t l = strcspn(p, " \t");
        if (!l)
            break;
        if (!(v[n] = ad_strndup(p, l))) {
            for (size_t i = 0; i < n; i++)
                free(v[i]);
            free(v);
            return AD_ERR_NOMEM;
        }
        n++;
        p += l;
    }
    if (!n) {
        free(v);
        return AD_ERR_USAGE;
    }
    *argv = v;
    *argc = n;
    return AD_OK;
}

/* Our environment without the variables we set, then ours.  Caller frees
 * the array and the strings from OWN[0..NVARS). */
static char **make_env(const char *name, const char *dir, const char *domains, char **own)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + NVARS + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool ours = false;
        for (size_t j = 0; j < NVARS; j++)
            ours = ours || strncmp(environ[i], our_vars[j], strlen(our_vars[j])) == 0;
        if (!ours)
            env[k++] = environ[i];
    }
    const char *vals[NVARS] = {dir, domains, name, dir, domains};
    for (size_t j = 0; j < NVARS; j++) {
        if (!(own[j] = ad_asprintf("%s%s", our_vars[j], vals[j]))) {
            free(env);
            return NULL;
        }
        env[k++] = own[j];
    }
    return env;
}

/* Wait for PID until DEADLINE_MS (monotonic) or an interrupt.  True when it
 * exited (reaped into *WSTATUS). */
static bool wait_child(pid_t pid, int pidfd, uint64_t deadline_ms, int *wstatus)
{
    for (;;) {
        pid_t r = waitpid(pid, wstatus, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return r == pid;
        uint64_t now = ad_now_ms();
        if (now >= deadline_ms || ad_is_interrupted())
            return false;
        uint64_t left = deadline_ms - now;
        int slice = left > 100 ? 100 : (int)left; /* interrupts are checked at least every 100 ms */
        if (pidfd >= 0) {
            struct pollfd p = {pidfd, POLLIN, 0};
            poll(&p, 1, slice);
        } else {
            ad_sleep_ms(slice > 20 ? 20 : (uint64_t)slice);
        }
    }
}

ad_status ad_deploy_run(char *const *argv, size_t argc, const char *name, const char *cert_dir,
                        const char *const *domains, size_t ndomains, unsigned timeout_s, int *status)
{
    ad_status rc = AD_ERR_NOMEM;
    char *own[NVARS] = {0}, **env = NULL, *list = strdup(""), **args = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    bool fa_ok = false, attr_ok = false;
    sigset_t none, defaults;
    pid_t pid = -1;
    int pidfd = -1, ws = 0, e;

    *status = -1;
    for (size_t i = 0; list && i < ndomains; i++) {
        char *l = ad_asprintf("%s%s%s", list, i ? " " : "", domains[i]);
        free(list);
        list = l;
    }
    if (!list || !(env = make_env(name, cert_dir, list, own)) || !(args = calloc(argc + 1, sizeof *args)))
        goto out;
    for (size_t i = 0; i < argc; i++)
        args[i] = argv[i];
    rc = AD_ERR_IO;
    if ((e = posix_spawn_file_actions_init(&fa)) != 0)
        goto spawn_failed;
    fa_ok = true;
    if ((e = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0)) != 0 ||
        (e = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO)) != 0 ||
        (e = posix_spawnattr_init(&attr)) != 0)
        goto spawn_failed;
    attr_ok = true;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGPIPE);
    if ((e = posix_spawnattr_setpgroup(&attr, 0)) != 0 || (e = posix_spawnattr_setsigmask(&attr, &none)) != 0 ||
        (e = posix_spawnattr_setsigdefault(&attr, &defaults)) != 0 ||
        (e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                 POSIX_SPAWN_SETSIGDEF)) != 0)
        goto spawn_failed;
    fflush(stdout);
    fflush(stderr);
    if ((e = posix_spawnp(&pid, argv[0], &fa, &attr, args, env)) != 0)
        goto spawn_failed;
    ad_info("running the deploy hook %s for %s", argv[0], name);
    pidfd = pidfd_open(pid, 0);
    if (wait_child(pid, pidfd, ad_now_ms() + (uint64_t)timeout_s * 1000u, &ws)) {
        *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    } else {
        bool intr = ad_is_interrupted();
        kill(-pid, SIGTERM);
        if (!wait_child(pid, pidfd, ad_now_ms() + KILL_GRACE_MS, &ws)) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
                ;
        }
        kill(-pid, SIGKILL); /* whatever the hook left running in its group */
        *status = 128 + SIGTERM;
        if (intr) {
            ad_err("the deploy hook %s for %s was stopped: acme-dns was interrupted", argv[0], name);
            rc = AD_ERR_INTERRUPTED;
        } else {
            ad_err("the deploy hook %s for %s took longer than %u s and was stopped: make it finish sooner",
                   argv[0], name, timeout_s);
            rc = AD_ERR_TIMEOUT;
        }
        goto out;
    }
    if (*status == 0) {
        rc = AD_OK;
    } else if (WIFEXITED(ws)) {
        ad_err("the deploy hook %s for %s failed with exit status %d (the new certificate is in place)", argv[0],
               name, *status);
    } else {
        ad_err("the deploy hook %s for %s was killed by signal %d (the new certificate is in place)", argv[0],
               name, WTERMSIG(ws));
    }
    goto out;
spawn_failed:
    ad_err("cannot run the deploy hook %s for %s: %s (give an executable's path, or a command in PATH)", argv[0],
           name, strerror(e));
out:
    if (pidfd >= 0)
        close(pidfd);
    if (attr_ok)
        posix_spawnattr_destroy(&attr);
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    for (size_t j = 0; j < NVARS; j++)
        free(own[j]);
    free(env);
    free(args);
    free(list);
    return rc;
}
