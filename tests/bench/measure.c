/* Run one command and measure it as a whole (the benchmark's stopwatch):
 *   measure OUT TIMEOUT_SECONDS CMD [ARG...]
 * writes one line to OUT: "wall_s user_s sys_s maxrss_kib status".  user and sys
 * are the CPU times of the command's whole process tree (every process in it that
 * was waited for, from wait4() on the command), maxrss the peak RSS of its largest
 * process; status is the command's exit status, 124 when it ran longer than the
 * timeout and its process group was killed, 128+N after signal N.  A small C
 * program rather than a script, so that the peak RSS the command inherits at
 * exec() is this program's, not an interpreter's, and times are to the
 * microsecond (GNU time prints hundredths).  The command's output is ours. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t child, expired;

static void on_alarm(int sig)
{
    (void)sig;
    expired++;
    if (child > 0)
        kill(-child, expired == 1 ? SIGTERM : SIGKILL);
    alarm(10);
}

static double secs(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: measure OUT TIMEOUT_SECONDS CMD [ARG...]\n");
        return 2;
    }
    long limit = strtol(argv[2], NULL, 10);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return 1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        execvp(argv[3], argv + 3);
        fprintf(stderr, "measure: cannot run %s: ", argv[3]);
        perror(NULL);
        _exit(127);
    }
    child = pid;
    setpgid(pid, pid);
    struct sigaction sa = {.sa_handler = on_alarm};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    alarm((unsigned)(limit > 0 ? limit : 1));
    int status = 0;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("measure: wait4");
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    alarm(0);
    int code = expired ? 124 : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fprintf(f, "%.4f %.4f %.4f %ld %d\n",
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, secs(ru.ru_utime),
            secs(ru.ru_stime), ru.ru_maxrss, code);
    return fclose(f) == 0 ? 0 : 1;
}
