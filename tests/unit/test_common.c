/* Unit tests: core/common (numbers, ports, addresses, names, the interruptible
 * wait, and the DNS exchange against a responder on loopback). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "dnsio.h"
#include "parse.h"

static void test_numbers(void **st)
{
    (void)st;
    unsigned long v = 0;
    unsigned port = 0;
    assert_true(ad_parse_uint("0", 0, 10, &v) && v == 0);
    assert_true(ad_parse_uint("3600", 1, 3600, &v) && v == 3600);
    assert_true(ad_parse_uint("2147483647", 1, 2147483647ul, &v) && v == 2147483647ul);
    static const char *const bad[] = {"", "-1", "+1", " 1", "1 ", "1x", "0x10", "3601", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ad_parse_uint(bad[i], 1, 3600, &v))
            fail_msg("accepted \"%s\"", bad[i]);
    assert_false(ad_parse_uint("5", 0, 4, &v));
    assert_false(ad_parse_uint(NULL, 0, 4, &v));
    assert_true(ad_parse_port("53", &port) && port == 53);
    assert_true(ad_parse_port("65535", &port) && port == 65535);
    assert_false(ad_parse_port("0", &port));
    assert_false(ad_parse_port("65536", &port));
    char host[64];
    assert_true(ad_hostport_split("ns1.example.test:54", host, sizeof host, 53, &port));
    assert_string_equal(host, "ns1.example.test");
    assert_int_equal(port, 54);
    assert_true(ad_hostport_split("2001:db8::1", host, sizeof host, 53, &port));
    assert_string_equal(host, "2001:db8::1");
    assert_int_equal(port, 53);
    assert_false(ad_hostport_split("a b", host, sizeof host, 53, &port));
    assert_false(ad_hostport_split("a/b:53", host, sizeof host, 53, &port));
    assert_false(ad_hostport_split("[::1]:", host, sizeof host, 53, &port));
    assert_false(ad_hostport_split("waytoolongforthebuffer.example.test.example.test.example.test.example", host,
                                   sizeof host, 53, &port));
}

static unsigned port_of(const struct sockaddr_storage *sa)
{
    if (sa->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

static void check_addr(const char *in, int family, unsigned port, const char *shown)
{
    struct sockaddr_storage sa;
    socklen_t len = 0;
    char buf[AD_ADDRSTR_MAX];
    assert_int_equal(ad_addr_parse(in, &sa, &len), AD_OK);
    assert_int_equal(sa.ss_family, family);
    assert_int_equal(len, family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
    assert_int_equal(port_of(&sa), port);
    ad_addr_str((const struct sockaddr *)&sa, buf, sizeof buf);
    assert_string_equal(buf, shown);
}

static void test_parse_addr(void **st)
{
    (void)st;
    check_addr("127.0.0.1", AF_INET, 53, "127.0.0.1");
    check_addr("127.0.77.1:53", AF_INET, 53, "127.0.77.1");
    check_addr("192.0.2.10:5353", AF_INET, 5353, "192.0.2.10:5353");
    check_addr("::1", AF_INET6, 53, "::1");
    check_addr("2001:db8::53", AF_INET6, 53, "2001:db8::53");
    check_addr("[::1]", AF_INET6, 53, "::1");
    check_addr("[::1]:5353", AF_INET6, 5353, "[::1]:5353");
    check_addr("[2001:DB8::1]:65535", AF_INET6, 65535, "[2001:db8::1]:65535");
    check_addr("::ffff:192.0.2.1", AF_INET6, 53, "::ffff:192.0.2.1");
}

static void test_parse_addr_malformed(void **st)
{
    (void)st;
    static const char *const bad[] = {
        "",
        ":",
        ":53",
        "127.0.0.1:",
        "127.0.0.1:0",
        "127.0.0.1:65536",
        "127.0.0.1:99999999",
        "127.0.0.1:5x",
        "127.0.0.1:-1",
        "127.0.0.1: 53",
        "127.1",
        "1.2.3.4.5",
        "256.0.0.1",
        "localhost",
        "dns.example.com:53",
        "[::1",
        "[::1]x",
        "[::1]:",
        "[::1]:0",
        "[]",
        "[]:53",
        "[127.0.0.1]:53",
        "::1]:53",
        "127.0.0.1:53:53",
        "1:2:3:4:5:6:7:8:9",
        " 127.0.0.1",
        "127.0.0.1 ",
        "gggg::1",
        "[::1]]:53",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sockaddr_storage sa;
        socklen_t len;
        if (ad_addr_parse(bad[i], &sa, &len) == AD_OK)
            fail_msg("accepted malformed resolver \"%s\"", bad[i]);
    }
    char longs[300];
    memset(longs, '1', sizeof longs - 1);
    longs[sizeof longs - 1] = '\0';
    struct sockaddr_storage sa;
    socklen_t len;
    assert_int_not_equal(ad_addr_parse(longs, &sa, &len), AD_OK);
}

static void test_normalize(void **st)
{
    (void)st;
    char out[AD_NAME_MAX + 1];
    assert_int_equal(ad_name_normalize("Example.COM.", out, sizeof out), AD_OK);
    assert_string_equal(out, "example.com");
    assert_int_equal(ad_name_normalize("_ACME-Challenge.www.example.com", out, sizeof out), AD_OK);
    assert_string_equal(out, "_acme-challenge.www.example.com");
    assert_int_equal(ad_name_normalize("localhost", out, sizeof out), AD_OK);
    assert_string_equal(out, "localhost");

    static const char *const bad[] = {"", ".", "..", "a..b", ".a", "a.b..", "a b.c", "a\\.b", "ex\xc3\xa9.com",
                                      "a/b", "a@b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ad_name_normalize(bad[i], out, sizeof out) == AD_OK)
            fail_msg("accepted bad name \"%s\"", bad[i]);

    char name[400];
    /* label of 63 is fine, 64 is not */
    memset(name, 'a', 63);
    strcpy(name + 63, ".test");
    assert_int_equal(ad_name_normalize(name, out, sizeof out), AD_OK);
    memset(name, 'a', 64);
    strcpy(name + 64, ".test");
    assert_int_not_equal(ad_name_normalize(name, out, sizeof out), AD_OK);
    /* 253 characters is fine (with or without the trailing dot), 254 is not */
    size_t o = 0;
    while (o < 253) {
        size_t l = 253 - o >= 50 ? 49 : 253 - o;
        memset(name + o, 'b', l);
        o += l;
        if (o < 253)
            name[o++] = '.';
    }
    name[253] = '\0';
    assert_int_equal(strlen(name), 253);
    assert_int_equal(ad_name_normalize(name, out, sizeof out), AD_OK);
    assert_string_equal(out, name);
    strcpy(name + 253, ".");
    assert_int_equal(ad_name_normalize(name, out, sizeof out), AD_OK);
    strcpy(name + 253, "b");
    assert_int_not_equal(ad_name_normalize(name, out, sizeof out), AD_OK);
    /* output buffer too small for the contract */
    char small[10];
    assert_int_not_equal(ad_name_normalize("a.test", small, sizeof small), AD_OK);
}

static int stop_after(void *ctx)
{
    return ad_now_ms() >= *(uint64_t *)ctx;
}

/* A socket with nothing to read: the wait ends at the deadline, or within
 * one slice after the stop callback says so. */
static void test_poll_stop(void **st)
{
    (void)st;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    uint64_t t0 = ad_now_ms();
    assert_int_equal(ad_poll_fd(sv[0], POLLIN, t0 + 120, NULL, NULL), AD_POLL_TIMEOUT);
    assert_true(ad_now_ms() - t0 >= 120);
    uint64_t at = ad_now_ms() + 150;
    t0 = ad_now_ms();
    assert_int_equal(ad_poll_fd(sv[0], POLLIN, t0 + 10000, stop_after, &at), AD_POLL_STOPPED);
    assert_true(ad_now_ms() - t0 < 150 + AD_WAIT_SLICE_MS + 50);
    assert_int_equal(write(sv[1], "x", 1), 1);
    assert_int_equal(ad_poll_fd(sv[0], POLLIN, ad_now_ms() + 1000, NULL, NULL), AD_POLL_READY);
    close(sv[0]);
    close(sv[1]);
}

/* A responder on 127.0.0.1: answers the UDP query truncated (TC), then the
 * same query over TCP, then exits. */
static pid_t responder(struct sockaddr_storage *sa, socklen_t *len)
{
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof in;
    int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(u >= 0 && t >= 0);
    assert_int_equal(bind(u, (struct sockaddr *)&in, sizeof in), 0);
    assert_int_equal(getsockname(u, (struct sockaddr *)&in, &l), 0);
    assert_int_equal(bind(t, (struct sockaddr *)&in, sizeof in), 0); /* same port, TCP */
    assert_int_equal(listen(t, 1), 0);
    memcpy(sa, &in, sizeof in);
    *len = sizeof in;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0) {
        close(u);
        close(t);
        return pid;
    }
    uint8_t buf[600];
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    if (n < 12)
        _exit(1);
    buf[2] |= 0x82; /* QR, TC */
    sendto(u, buf, 12, 0, (struct sockaddr *)&from, fl);
    int c = accept(t, NULL, NULL);
    uint8_t lb[2];
    if (c < 0 || recv(c, lb, 2, MSG_WAITALL) != 2)
        _exit(2);
    n = recv(c, buf, (size_t)(lb[0] << 8 | lb[1]), MSG_WAITALL);
    if (n < 12)
        _exit(3);
    buf[2] |= 0x80;
    if (send(c, lb, 2, 0) != 2 || send(c, buf, (size_t)n, 0) != n)
        _exit(4);
    shutdown(c, SHUT_WR);
    recv(c, buf, 1, 0);
    _exit(0);
}

static void test_exchange(void **st)
{
    (void)st;
    struct sockaddr_storage sa;
    socklen_t len;
    uint8_t q[17] = {0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 1};
    uint8_t *r = NULL;
    size_t rlen = 0;
    char why[200];
    pid_t pid = responder(&sa, &len);
    struct ad_dns_xfer x = {.timeout_ms = 5000};
    assert_int_equal(ad_dns_exchange(&sa, len, q, sizeof q, &x, &r, &rlen, why, sizeof why), AD_OK);
    assert_true(x.tcp);
    assert_int_equal(x.sends, 1);
    assert_int_equal(rlen, sizeof q);
    assert_int_equal(r[0], 0xab);
    assert_int_equal(r[1], 0xcd);
    assert_true(r[2] & 0x80);
    free(r);
    int status = -1;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* nothing listens: ICMP port unreachable, said at once */
    uint64_t t0 = ad_now_ms();
    assert_int_equal(ad_dns_exchange(&sa, len, q, sizeof q, &x, &r, &rlen, why, sizeof why), AD_ERR_NETWORK);
    assert_non_null(strstr(why, "nothing listens there"));
    assert_true(ad_now_ms() - t0 < 1000);

    /* a server that never answers: stopped within a slice of the stop */
    int silent = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(bind(silent, (struct sockaddr *)&sa, len), 0);
    uint64_t at = ad_now_ms() + 200;
    x = (struct ad_dns_xfer){.timeout_ms = 10000, .stop = stop_after, .stop_ctx = &at};
    t0 = ad_now_ms();
    assert_int_equal(ad_dns_exchange(&sa, len, q, sizeof q, &x, &r, &rlen, why, sizeof why), AD_ERR_INTERRUPTED);
    assert_true(ad_now_ms() - t0 < 200 + AD_WAIT_SLICE_MS + 50);
    /* ... or at the timeout, after 1 s and 2 s retransmits */
    x = (struct ad_dns_xfer){.timeout_ms = 1500};
    assert_int_equal(ad_dns_exchange(&sa, len, q, sizeof q, &x, &r, &rlen, why, sizeof why), AD_ERR_TIMEOUT);
    assert_int_equal(x.sends, 2);
    assert_non_null(strstr(why, "did not answer"));
    close(silent);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_numbers), cmocka_unit_test(test_parse_addr), cmocka_unit_test(test_parse_addr_malformed),
    cmocka_unit_test(test_normalize), cmocka_unit_test(test_poll_stop), cmocka_unit_test(test_exchange),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
