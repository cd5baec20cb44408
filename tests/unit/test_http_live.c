/* Tests of the HTTPS client (core/http.c on libcurl) against real servers
 * on loopback: an HTTP/1.1-only Python server (tests/fakes/https1_server.py),
 * a CONNECT and SOCKS5 proxy (tests/fakes/connect_proxy.py) and nghttpd for
 * HTTP/2, with certificates made for the run (tests/fakes/http_certs.sh).
 * CMake runs it in a mount namespace whose /etc/resolv.conf names loopback
 * (tests/unit/loopback_resolver.sh), so no query leaves the machine. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "http.h"
#include "log.h"
#include "util.h"

struct proc {
    pid_t pid;
    unsigned port;
};

static char fakes[PATH_MAX - 64], dir[64], ca[PATH_MAX], other_ca[PATH_MAX];
static struct proc srv, wrong, noalpn, srv6, proxy, proxy_auth;
static char proxy_log[PATH_MAX], proxy_auth_log[PATH_MAX];

static void path(char *out, const char *name)
{
    snprintf(out, PATH_MAX, "%s/%s", dir, name);
}

/* Start ARGV with its stdout on a pipe; the first line it prints is its port. */
static bool start(struct proc *p, char *const argv[])
{
    int fds[2];
    memset(p, 0, sizeof *p);
    if (pipe(fds) != 0)
        return false;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    char buf[32] = {0};
    size_t got = 0;
    uint64_t end = ad_now_ms() + 10000;
    while (got < sizeof buf - 1 && !memchr(buf, '\n', got) && ad_now_ms() < end) {
        struct pollfd pf = {.fd = fds[0], .events = POLLIN};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        ssize_t n = read(fds[0], buf + got, sizeof buf - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fds[0]);
    p->pid = pid;
    p->port = (unsigned)atoi(buf);
    return p->port > 0;
}

static void stop(struct proc *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        waitpid(p->pid, NULL, 0);
    }
    p->pid = 0;
}

static bool h1_server(struct proc *p, const char *cert, const char *addr, bool alpn)
{
    char script[PATH_MAX], c[PATH_MAX], k[PATH_MAX];
    snprintf(script, sizeof script, "%s/https1_server.py", fakes);
    snprintf(c, sizeof c, "%s/%s.pem", dir, cert);
    snprintf(k, sizeof k, "%s/%s.key", dir, cert);
    char *argv[] = {"python3", script, "--cert", c, "--key", k, "--addr", (char *)addr, alpn ? NULL : "--no-alpn",
                    NULL};
    return start(p, argv);
}

static bool proxy_server(struct proc *p, const char *log, const char *auth)
{
    char script[PATH_MAX];
    snprintf(script, sizeof script, "%s/connect_proxy.py", fakes);
    char *argv[] = {"python3", script, "--log", (char *)log, auth ? "--auth" : NULL, (char *)auth, NULL};
    return start(p, argv);
}

static int setup(void **st)
{
    (void)st;
    char cmd[PATH_MAX * 2];
    snprintf(fakes, sizeof fakes, "%s", __FILE__);
    char *slash = strrchr(fakes, '/');
    if (!slash)
        return -1;
    snprintf(slash, sizeof fakes - (size_t)(slash - fakes), "/../fakes");
    snprintf(dir, sizeof dir, "/tmp/ad-http-test.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(cmd, sizeof cmd, "bash %s/http_certs.sh %s", fakes, dir);
    if (system(cmd) != 0)
        return -1;
    path(ca, "ca.pem");
    path(other_ca, "other-ca.pem");
    path(proxy_log, "proxy.log");
    path(proxy_auth_log, "proxy-auth.log");
    if (getenv("AD_HTTP_TEST_DEBUG"))
        ad_log_set_verbosity(3);
    static const char *const proxy_vars[] = {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                                             "no_proxy", "NO_PROXY", "http_proxy"};
    for (size_t i = 0; i < sizeof proxy_vars / sizeof *proxy_vars; i++)
        unsetenv(proxy_vars[i]);
    if (!h1_server(&srv, "server", "127.0.0.1", true) || !h1_server(&wrong, "wrong", "127.0.0.1", true) ||
        !h1_server(&noalpn, "server", "127.0.0.1", false) || !proxy_server(&proxy, proxy_log, NULL) ||
        !proxy_server(&proxy_auth, proxy_auth_log, "user:s3cr3t-pw"))
        return -1;
    if (!h1_server(&srv6, "server", "::1", true))
        srv6.port = 0; /* no IPv6 here */
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    stop(&srv);
    stop(&wrong);
    stop(&noalpn);
    stop(&srv6);
    stop(&proxy);
    stop(&proxy_auth);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (getenv("AD_HTTP_TEST_KEEP"))
        return 0;
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- stderr capture, to check messages ---- */

static int saved_err = -1;
static char cap_file[PATH_MAX];

static void capture_begin(void)
{
    path(cap_file, "stderr.txt");
    fflush(stderr);
    saved_err = dup(2);
    int fd = open(cap_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    dup2(fd, 2);
    close(fd);
}

/* What was logged since capture_begin; caller frees. */
static char *capture_end(void)
{
    fflush(stderr);
    dup2(saved_err, 2);
    close(saved_err);
    FILE *f = fopen(cap_file, "r");
    assert_non_null(f);
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    fputs(buf, stderr);
    return buf;
}

static char *url(unsigned port, const char *p)
{
    char *u = ad_asprintf("https://localhost:%u%s", port, p);
    assert_non_null(u);
    return u;
}

/* GET P on PORT; returns the status and fills R. */
static ad_status get(struct ad_http *h, unsigned port, const char *p, struct ad_http_response *r)
{
    char *u = url(port, p);
    ad_status rc = ad_http_request(h, "GET", u, NULL, NULL, NULL, r);
    free(u);
    return rc;
}

/* The server's connection count (itself made on H's connection). */
static int server_connections(struct ad_http *h, unsigned port)
{
    struct ad_http_response r;
    assert_int_equal(get(h, port, "/count", &r), AD_OK);
    const char *c = strstr(r.body, "\"connections\": ");
    assert_non_null(c);
    int n = atoi(c + 15);
    ad_http_response_clear(&r);
    return n;
}

static bool is_pattern(const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != (char)('a' + i % 26))
            return false;
    return true;
}

static void test_non_https_refused(void **st)
{
    (void)st;
    struct ad_http *h;
    assert_int_equal(ad_http_new(NULL, &h), AD_OK);
    struct ad_http_response r;
    capture_begin();
    assert_int_equal(ad_http_request(h, "GET", "http://example.com/", NULL, NULL, NULL, &r), AD_ERR_USAGE);
    char *log = capture_end();
    assert_non_null(strstr(log, "refusing to talk to http://example.com/: the ACME server must be an https:// URL"));
    free(log);
    assert_null(r.body);
    struct ad_http_req q[2] = {{.method = "GET", .url = "http://a/"}, {.method = "GET", .url = "https://a:99999/"}};
    assert_int_equal(ad_http_batch(h, q, 2), AD_OK);
    assert_int_equal(q[0].rc, AD_ERR_USAGE);
    assert_int_equal(q[1].rc, AD_ERR_NETWORK); /* malformed: never sent */
    assert_int_equal(ad_http_count(h), 1);
    assert_int_equal(ad_http_connects(h), 0);
    ad_http_free(h);
    ad_http_free(NULL);
}

static void test_keepalive(void **st)
{
    (void)st;
    struct ad_http *h;
    struct ad_http_response r;
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    int before = server_connections(h, srv.port);

    assert_int_equal(get(h, srv.port, "/cl/10", &r), AD_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 10);
    assert_string_equal(r.body, "abcdefghij");
    assert_int_equal(r.retry_after, -1);
    ad_http_response_clear(&r);

    assert_int_equal(get(h, srv.port, "/chunked/200000", &r), AD_OK);
    assert_int_equal(r.len, 200000);
    assert_true(is_pattern(r.body, r.len));
    assert_string_equal(r.content_type, "text/plain");
    ad_http_response_clear(&r);

    assert_int_equal(get(h, srv.port, "/headers", &r), AD_OK);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.location, "https://localhost/acct/1");
    assert_string_equal(r.nonce, "nonce-123");
    assert_string_equal(r.content_type, "application/problem+json");
    assert_int_equal(r.retry_after, 7);
    ad_http_response_clear(&r);

    assert_int_equal(get(h, srv.port, "/date", &r), AD_OK);
    assert_in_range(r.retry_after, 100, 121);
    ad_http_response_clear(&r);

    char *u = url(srv.port, "/echo");
    assert_int_equal(ad_http_request(h, "POST", u, NULL, "{\"a\":1}", NULL, &r), AD_OK);
    assert_non_null(strstr(r.body, "\"content-type\": \"application/jose+json\""));
    assert_non_null(strstr(r.body, "\"content-length\": \"7\""));
    assert_non_null(strstr(r.body, "\"accept\": \"application/json\""));
    assert_non_null(strstr(r.body, "\"user-agent\": \"acme-dns/" AD_VERSION "\""));
    assert_non_null(strstr(r.body, "\"body\": \"{\\\"a\\\":1}\""));
    char host[64];
    snprintf(host, sizeof host, "\"host\": \"localhost:%u\"", srv.port);
    assert_non_null(strstr(r.body, host));
    ad_http_response_clear(&r);
    assert_int_equal(ad_http_request(h, "POST", u, "text/x-test", "", "application/pem-certificate-chain", &r),
                     AD_OK);
    assert_non_null(strstr(r.body, "\"content-type\": \"text/x-test\""));
    assert_non_null(strstr(r.body, "\"content-length\": \"0\""));
    assert_non_null(strstr(r.body, "\"accept\": \"application/pem-certificate-chain\""));
    ad_http_response_clear(&r);
    free(u);

    u = url(srv.port, "/head");
    assert_int_equal(ad_http_request(h, "HEAD", u, NULL, NULL, NULL, &r), AD_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 0);
    assert_string_equal(r.body, "");
    ad_http_response_clear(&r);
    free(u);

    assert_int_equal(get(h, srv.port, "/204", &r), AD_OK);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.len, 0);
    ad_http_response_clear(&r);

    assert_int_equal(get(h, srv.port, "/continue", &r), AD_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok");
    assert_string_equal(r.location, "/final");
    ad_http_response_clear(&r);

    assert_int_equal(get(h, srv.port, "/nothing", &r), AD_OK);
    assert_int_equal(r.status, 404);
    ad_http_response_clear(&r);

    /* A batch over HTTP/1.1: one after another on the same connection. */
    struct ad_http_req q[10];
    char *urls[10];
    for (int i = 0; i < 10; i++) {
        char p[32];
        snprintf(p, sizeof p, "/cl/%d", 1000 * (i + 1));
        urls[i] = url(srv.port, p);
        q[i] = (struct ad_http_req){.method = "GET", .url = urls[i]};
    }
    assert_int_equal(ad_http_batch(h, q, 10), AD_OK);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(q[i].rc, AD_OK);
        assert_int_equal(q[i].resp.len, 1000 * (i + 1));
        assert_true(is_pattern(q[i].resp.body, q[i].resp.len));
        ad_http_response_clear(&q[i].resp);
        free(urls[i]);
    }

    assert_int_equal(server_connections(h, srv.port), before);
    assert_int_equal(ad_http_connects(h), 1);
    assert_string_equal(ad_http_version(h), "HTTP/1.1"); /* so one request after another */
    assert_int_equal(ad_http_count(h), 22);
    ad_http_free(h);
}

static void test_reconnect(void **st)
{
    (void)st;
    struct ad_http *h;
    struct ad_http_response r;
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    int c0 = server_connections(h, srv.port);

    /* Connection: close, then the next request opens a new connection. */
    assert_int_equal(get(h, srv.port, "/close", &r), AD_OK);
    assert_string_equal(r.body, "bye");
    ad_http_response_clear(&r);
    assert_int_equal(server_connections(h, srv.port), c0 + 1);

    /* A body that ends with the connection. */
    assert_int_equal(get(h, srv.port, "/eof", &r), AD_OK);
    assert_string_equal(r.body, "until the end");
    ad_http_response_clear(&r);
    assert_int_equal(server_connections(h, srv.port), c0 + 2);

    /* The server closes a kept-alive connection after answering. */
    assert_int_equal(get(h, srv.port, "/close-after", &r), AD_OK);
    ad_http_response_clear(&r);
    assert_int_equal(server_connections(h, srv.port), c0 + 3);

    /* The server reads the next request and closes without answering: the
     * reused connection failed before any response, so it is tried again. */
    assert_int_equal(get(h, srv.port, "/drop-next", &r), AD_OK);
    ad_http_response_clear(&r);
    assert_int_equal(server_connections(h, srv.port), c0 + 4);
    assert_int_equal(ad_http_connects(h), 5);
    ad_http_free(h);
}

static void test_limits(void **st)
{
    (void)st;
    struct ad_http *h;
    struct ad_http_response r;
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    static const char *const paths[] = {"/big", "/bigchunked", "/longline", "/manyheaders"};
    static const char *const msgs[] = {"response larger than 4194304 bytes: refusing it",
                                       "response larger than 4194304 bytes: refusing it",
                                       "response header line longer than 8192 bytes",
                                       "response header longer than 65536 bytes"};
    for (size_t i = 0; i < 4; i++) {
        capture_begin();
        ad_status rc = get(h, srv.port, paths[i], &r);
        char *log = capture_end();
        assert_int_equal(rc, AD_ERR_NETWORK);
        assert_null(r.body);
        assert_non_null(strstr(log, msgs[i]));
        free(log);
    }
    /* The handle still works. */
    assert_int_equal(get(h, srv.port, "/cl/3", &r), AD_OK);
    ad_http_response_clear(&r);
    ad_http_free(h);
}

static void test_tls_refused(void **st)
{
    (void)st;
    struct ad_http *h;
    struct ad_http_response r;
    char *log, *u;

    /* A certificate for another name. */
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    capture_begin();
    assert_int_equal(get(h, wrong.port, "/cl/3", &r), AD_ERR_NETWORK);
    log = capture_end();
    u = url(wrong.port, "/cl/3");
    char *want = ad_asprintf("TLS with %s failed: ", u);
    assert_non_null(strstr(log, want));
    assert_non_null(strstr(log, "no alternative certificate subject name matches target host name 'localhost'"));
    assert_non_null(strstr(log, ": check --ca-bundle (the CA's HTTPS certificate must be trusted) and the host "
                                "name in --server"));
    free(want);
    free(u);
    free(log);
    /* ... and for another address. */
    u = ad_asprintf("https://127.0.0.1:%u/cl/3", wrong.port);
    capture_begin();
    assert_int_equal(ad_http_request(h, "GET", u, NULL, NULL, NULL, &r), AD_ERR_NETWORK);
    log = capture_end();
    assert_non_null(strstr(log, "no alternative certificate subject name matches target host name '127.0.0.1'"));
    free(log);
    free(u);
    /* The right address works: the IP is in the certificate. */
    u = ad_asprintf("https://127.0.0.1:%u/cl/3", srv.port);
    assert_int_equal(ad_http_request(h, "GET", u, NULL, NULL, NULL, &r), AD_OK);
    ad_http_response_clear(&r);
    free(u);
    ad_http_free(h);

    /* An untrusted CA. */
    assert_int_equal(ad_http_new(other_ca, &h), AD_OK);
    capture_begin();
    assert_int_equal(get(h, srv.port, "/cl/3", &r), AD_ERR_NETWORK);
    log = capture_end();
    assert_non_null(strstr(log, "unable to get local issuer certificate"));
    assert_non_null(strstr(log, ": check --ca-bundle"));
    free(log);
    ad_http_free(h);

    /* A CA bundle that cannot be read. */
    assert_int_equal(ad_http_new("/nonexistent/ca.pem", &h), AD_OK);
    capture_begin();
    assert_int_equal(get(h, srv.port, "/cl/3", &r), AD_ERR_NETWORK);
    log = capture_end();
    assert_non_null(strstr(log, "cannot read CA certificates from /nonexistent/ca.pem ("));
    assert_non_null(strstr(log, "): check --ca-bundle"));
    free(log);
    ad_http_free(h);

    /* The system's trust does not know the test CA. */
    assert_int_equal(ad_http_new(NULL, &h), AD_OK);
    assert_int_equal(get(h, srv.port, "/cl/3", &r), AD_ERR_NETWORK);
    ad_http_free(h);
}

static void test_ipv6_and_no_alpn(void **st)
{
    (void)st;
    struct ad_http *h;
    struct ad_http_response r;
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    /* No ALPN at all: HTTP/1.1. */
    assert_int_equal(get(h, noalpn.port, "/chunked/5000", &r), AD_OK);
    assert_int_equal(r.len, 5000);
    ad_http_response_clear(&r);
    assert_int_equal(get(h, noalpn.port, "/cl/5", &r), AD_OK);
    ad_http_response_clear(&r);
    assert_int_equal(ad_http_connects(h), 1);
    if (srv6.port) {
        /* Another origin: a new connection. */
        char *u = ad_asprintf("https://[::1]:%u/cl/4", srv6.port);
        assert_int_equal(ad_http_request(h, "GET", u, NULL, NULL, NULL, &r), AD_OK);
        assert_string_equal(r.body, "abcd");
        ad_http_response_clear(&r);
        assert_int_equal(ad_http_request(h, "GET", u, NULL, NULL, NULL, &r), AD_OK);
        ad_http_response_clear(&r);
        free(u);
        assert_int_equal(ad_http_connects(h), 2);
    }
    ad_http_free(h);
}

static void test_timeouts(void **st)
{
    (void)st;
    struct ad_http *h;
    struct ad_http_response r;
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    ad_http_set_timeouts(h, 2000, 400);
    uint64_t t0 = ad_now_ms();
    capture_begin();
    assert_int_equal(get(h, srv.port, "/hang", &r), AD_ERR_NETWORK);
    char *log = capture_end();
    uint64_t took = ad_now_ms() - t0;
    assert_in_range(took, 390, 2500);
    assert_non_null(strstr(log, "failed: no complete response within 400 ms (no whole header, 0 bytes of body "
                                "received): the server is too slow or sends without end: check --server and the "
                                "network, or raise --http-timeout"));
    free(log);
    /* Nothing listens: refused at once. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
    close(s);
    capture_begin();
    assert_int_equal(get(h, ntohs(a.sin_port), "/", &r), AD_ERR_NETWORK);
    log = capture_end();
    assert_non_null(strstr(log, "Failed to connect to localhost port"));
    assert_non_null(strstr(log, ": check --server and the network"));
    free(log);
    /* A name that does not resolve. */
    capture_begin();
    assert_int_equal(ad_http_request(h, "GET", "https://no-such-host.invalid/", NULL, NULL, NULL, &r),
                     AD_ERR_NETWORK);
    log = capture_end();
    assert_non_null(strstr(log, "Could not resolve host: no-such-host.invalid"));
    assert_non_null(strstr(log, "check --server and the DNS resolver"));
    free(log);
    ad_http_free(h);
}

static int count_lines(const char *file, const char *needle)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

static void test_proxy(void **st)
{
    (void)st;
    struct ad_http *h;
    struct ad_http_response r;
    char pv[128], target[64];
    snprintf(target, sizeof target, "CONNECT localhost:%u auth=no", srv.port);

    snprintf(pv, sizeof pv, "http://127.0.0.1:%u", proxy.port);
    setenv("https_proxy", pv, 1);
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(get(h, srv.port, "/cl/5", &r), AD_OK);
        assert_string_equal(r.body, "abcde");
        ad_http_response_clear(&r);
    }
    assert_int_equal(count_lines(proxy_log, target), 1); /* one tunnel, kept alive */
    ad_http_free(h);

    /* no_proxy: direct. */
    setenv("no_proxy", "example.com, .localhost", 1);
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    assert_int_equal(get(h, srv.port, "/cl/5", &r), AD_OK);
    ad_http_response_clear(&r);
    ad_http_free(h);
    assert_int_equal(count_lines(proxy_log, target), 1);
    /* no_proxy for other hosts only: through the proxy. */
    setenv("no_proxy", "example.com,127.0.0.1", 1);
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    assert_int_equal(get(h, srv.port, "/cl/5", &r), AD_OK);
    ad_http_response_clear(&r);
    ad_http_free(h);
    assert_int_equal(count_lines(proxy_log, target), 2);
    unsetenv("no_proxy");
    unsetenv("https_proxy");

    /* HTTPS_PROXY with credentials. */
    snprintf(pv, sizeof pv, "http://user:s3cr3t-pw@127.0.0.1:%u/", proxy_auth.port);
    setenv("HTTPS_PROXY", pv, 1);
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    assert_int_equal(get(h, srv.port, "/cl/5", &r), AD_OK);
    ad_http_response_clear(&r);
    ad_http_free(h);
    snprintf(target, sizeof target, "CONNECT localhost:%u auth=yes", srv.port);
    assert_int_equal(count_lines(proxy_auth_log, target), 1);
    /* Wrong credentials: a clear error without the password. */
    snprintf(pv, sizeof pv, "http://user:wrong-pw@127.0.0.1:%u", proxy_auth.port);
    setenv("HTTPS_PROXY", pv, 1);
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    ad_http_set_timeouts(h, 3000, 5000);
    capture_begin();
    assert_int_equal(get(h, srv.port, "/cl/5", &r), AD_ERR_NETWORK);
    char *log = capture_end();
    assert_non_null(strstr(log, "wants other credentials (HTTP 407)"));
    assert_null(strstr(log, "wrong-pw"));
    free(log);
    ad_http_free(h);
    unsetenv("HTTPS_PROXY");

    /* A SOCKS5 proxy from all_proxy, the name resolved by the proxy. */
    snprintf(pv, sizeof pv, "socks5h://127.0.0.1:%u", proxy.port);
    setenv("all_proxy", pv, 1);
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(get(h, srv.port, "/cl/5", &r), AD_OK);
        assert_string_equal(r.body, "abcde");
        ad_http_response_clear(&r);
    }
    ad_http_free(h);
    snprintf(target, sizeof target, "SOCKS5 localhost:%u", srv.port);
    assert_int_equal(count_lines(proxy_log, target), 1);
    /* no_proxy as a CIDR block: 127.0.0.1 goes direct. */
    setenv("no_proxy", "192.0.2.0/24, 127.0.0.0/8", 1);
    char *u = ad_asprintf("https://127.0.0.1:%u/cl/5", srv.port);
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    assert_int_equal(ad_http_request(h, "GET", u, NULL, NULL, NULL, &r), AD_OK);
    ad_http_response_clear(&r);
    ad_http_free(h);
    snprintf(target, sizeof target, "SOCKS5 127.0.0.1:%u", srv.port);
    assert_int_equal(count_lines(proxy_log, target), 0);
    unsetenv("no_proxy");
    /* ... and without it, through the proxy. */
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    assert_int_equal(ad_http_request(h, "GET", u, NULL, NULL, NULL, &r), AD_OK);
    ad_http_response_clear(&r);
    ad_http_free(h);
    assert_int_equal(count_lines(proxy_log, target), 1);
    free(u);
    /* A SOCKS proxy that is not there: a clear error without the password. */
    setenv("all_proxy", "socks5://user:wrong-pw@127.0.0.1:1", 1);
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    capture_begin();
    assert_int_equal(get(h, srv.port, "/cl/5", &r), AD_ERR_NETWORK);
    log = capture_end();
    assert_non_null(strstr(log, "check --server and the network"));
    assert_null(strstr(log, "wrong-pw"));
    free(log);
    ad_http_free(h);
    unsetenv("all_proxy");
}

static void test_interrupt(void **st)
{
    (void)st;
    int fds[2], done[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(pipe(done), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        close(done[0]);
        ad_signals_install();
        struct ad_http *h;
        struct ad_http_response r;
        if (ad_http_new(ca, &h) != AD_OK)
            _exit(100);
        if (write(fds[1], "x", 1) != 1)
            _exit(101);
        ad_status rc = get(h, srv.port, "/hang", &r);
        /* The request has returned: say so before freeing and exiting (a
         * sanitizer's leak check at exit takes its own time). */
        if (write(done[1], "y", 1) != 1)
            _exit(102);
        ad_http_free(h);
        exit(rc == AD_ERR_INTERRUPTED ? 0 : 10 + (int)rc);
    }
    close(fds[1]);
    close(done[1]);
    char c;
    assert_int_equal(read(fds[0], &c, 1), 1);
    close(fds[0]);
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    uint64_t t0 = ad_now_ms();
    kill(pid, SIGINT);
    assert_int_equal(read(done[0], &c, 1), 1);
    uint64_t took = ad_now_ms() - t0;
    close(done[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(took < 1000);
}

/* ---- HTTP/2 against nghttpd ---- */

static bool have(const char *prog)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
    return system(cmd) == 0;
}

/* Start nghttpd on a free port with at most MAXSTREAMS streams; its -v log goes to LOG. */
static bool nghttpd(struct proc *p, const char *docroot, const char *log, int maxstreams)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t al = sizeof a;
        if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(s, (struct sockaddr *)&a, &al) != 0)
            return false;
        close(s);
        char port[16], key[PATH_MAX], cert[PATH_MAX], m[32], d[PATH_MAX + 16];
        snprintf(port, sizeof port, "%u", ntohs(a.sin_port));
        snprintf(m, sizeof m, "--max-concurrent-streams=%d", maxstreams);
        snprintf(d, sizeof d, "--htdocs=%s", docroot);
        path(key, "server.key");
        path(cert, "server.pem");
        pid_t pid = fork();
        if (pid == 0) {
            int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(fd, 1);
            dup2(fd, 2);
            execlp("nghttpd", "nghttpd", "-v", d, m, "--address=127.0.0.1", port, key, cert, (char *)NULL);
            _exit(127);
        }
        p->pid = pid;
        p->port = ntohs(a.sin_port);
        for (int i = 0; i < 100; i++) {
            int c = socket(AF_INET, SOCK_STREAM, 0);
            int ok = connect(c, (struct sockaddr *)&a, sizeof a) == 0;
            close(c);
            if (ok) {
                /* That probe is a connection too: start the log afresh. */
                int fd = open(log, O_WRONLY | O_TRUNC);
                close(fd);
                return true;
            }
            if (waitpid(pid, NULL, WNOHANG) == pid)
                break;
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
        stop(p);
    }
    return false;
}

/* Distinct ids of connections with requests in nghttpd's log. */
static int nghttpd_connections(const char *log)
{
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char line[1024];
    int ids[64], n = 0;
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "[id=");
        if (!p || !strstr(line, ":path: "))
            continue; /* only connections that carried requests */
        int id = atoi(p + 4), k;
        for (k = 0; k < n && ids[k] != id; k++)
            ;
        if (k == n && n < 64)
            ids[n++] = id;
    }
    fclose(f);
    return n;
}

/* The most streams open at once in nghttpd's -v log: a stream opens with the
 * client's HEADERS and closes with a frame the server sends with END_STREAM
 * (flag 0x01) or a RST_STREAM either way. */
static int nghttpd_max_streams(const char *log)
{
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char line[1024];
    int open[256], n = 0, max = 0;
    while (fgets(line, sizeof line, f)) {
        const char *sid = strstr(line, "stream_id="), *fl = strstr(line, "flags=0x");
        if (!sid || !fl || !strstr(line, " frame <"))
            continue;
        int id = atoi(sid + 10), k;
        unsigned flags = (unsigned)strtoul(fl + 8, NULL, 16);
        for (k = 0; k < n && open[k] != id; k++)
            ;
        bool closes = strstr(line, "RST_STREAM") || (strstr(line, "] send ") && (flags & 1));
        if (strstr(line, "] recv HEADERS") && k == n && n < 256) {
            open[n++] = id;
            if (n > max)
                max = n;
        } else if (closes && k < n) {
            open[k] = open[--n];
        }
    }
    fclose(f);
    return max;
}

static void make_file(const char *name, size_t size)
{
    FILE *f = fopen(name, "w");
    assert_non_null(f);
    for (size_t i = 0; i < size; i++)
        fputc('a' + (int)(i % 26), f);
    fclose(f);
}

static void test_http2(void **st)
{
    (void)st;
    assert_true(have("nghttpd")); /* tests/deps.sh installs nghttp2-server */
    char docroot[PATH_MAX], log[PATH_MAX], file[PATH_MAX + 32];
    path(docroot, "h2");
    path(log, "nghttpd.log");
    mkdir(docroot, 0700);
    for (int i = 0; i < 12; i++) {
        snprintf(file, sizeof file, "%s/f%d", docroot, i);
        make_file(file, (size_t)(1 + i * 20000));
    }
    snprintf(file, sizeof file, "%s/big", docroot);
    make_file(file, (4u << 20) + 1);
    struct proc ng;
    assert_true(nghttpd(&ng, docroot, log, 100));

    struct ad_http *h;
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    struct ad_http_req q[12];
    char *urls[12];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 12; i++) {
            char p[16];
            snprintf(p, sizeof p, "/f%d", i);
            urls[i] = url(ng.port, p);
            q[i] = (struct ad_http_req){.method = i == 5 ? "POST" : "GET", .url = urls[i], .body = "{}"};
        }
        assert_int_equal(ad_http_batch(h, q, 12), AD_OK);
        for (int i = 0; i < 12; i++) {
            assert_int_equal(q[i].rc, AD_OK);
            assert_int_equal(q[i].resp.status, 200);
            assert_int_equal(q[i].resp.len, 1 + i * 20000);
            assert_true(is_pattern(q[i].resp.body, q[i].resp.len));
            ad_http_response_clear(&q[i].resp);
            free(urls[i]);
        }
    }
    assert_string_equal(ad_http_version(h), "HTTP/2");
    assert_int_equal(ad_http_connects(h), 1);
    assert_int_equal(ad_http_count(h), 24);

    struct ad_http_response r;
    char *u = url(ng.port, "/f1");
    assert_int_equal(ad_http_request(h, "HEAD", u, NULL, NULL, NULL, &r), AD_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 0);
    ad_http_response_clear(&r);
    free(u);
    assert_int_equal(get(h, ng.port, "/missing", &r), AD_OK);
    assert_int_equal(r.status, 404);
    ad_http_response_clear(&r);
    capture_begin();
    assert_int_equal(get(h, ng.port, "/big", &r), AD_ERR_NETWORK);
    char *msg = capture_end();
    assert_non_null(strstr(msg, "response larger than 4194304 bytes: refusing it"));
    free(msg);
    /* The connection survives a cancelled stream. */
    assert_int_equal(get(h, ng.port, "/f0", &r), AD_OK);
    ad_http_response_clear(&r);
    assert_int_equal(ad_http_connects(h), 1);
    ad_http_free(h);
    stop(&ng);
    assert_int_equal(nghttpd_connections(log), 1);
    /* Never more than AD_HTTP_PARALLEL streams open at once, as the server saw
     * them.  How many overlapped is up to scheduling (nghttpd may answer one
     * stream before it reads the next HEADERS on a loaded machine), so the
     * lower bound is 1: the single connection above is what shows the
     * requests shared it as HTTP/2 streams. */
    assert_in_range(nghttpd_max_streams(log), 1, AD_HTTP_PARALLEL);

    /* A server that allows 2 streams at a time. */
    assert_true(nghttpd(&ng, docroot, log, 2));
    assert_int_equal(ad_http_new(ca, &h), AD_OK);
    for (int i = 0; i < 12; i++) {
        char p[16];
        snprintf(p, sizeof p, "/f%d", i);
        urls[i] = url(ng.port, p);
        q[i] = (struct ad_http_req){.method = "GET", .url = urls[i]};
    }
    assert_int_equal(ad_http_batch(h, q, 12), AD_OK);
    for (int i = 0; i < 12; i++) {
        assert_int_equal(q[i].rc, AD_OK);
        assert_int_equal(q[i].resp.len, 1 + i * 20000);
        ad_http_response_clear(&q[i].resp);
        free(urls[i]);
    }
    /* One connection: the first request goes alone, so the server's SETTINGS
     * (2 streams at most) are known before the others open streams. */
    assert_int_equal(ad_http_connects(h), 1);
    ad_http_free(h);
    stop(&ng);
    assert_int_equal(nghttpd_connections(log), 1);
    assert_in_range(nghttpd_max_streams(log), 1, 2);
}

int main(void)
{
    if (!have("python3") || !have("openssl")) {
        fprintf(stderr, "python3 and openssl are needed (tests/deps.sh installs them)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_non_https_refused),
        cmocka_unit_test(test_keepalive),   cmocka_unit_test(test_reconnect),
        cmocka_unit_test(test_limits),      cmocka_unit_test(test_tls_refused),
        cmocka_unit_test(test_ipv6_and_no_alpn), cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_proxy),       cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_http2),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
