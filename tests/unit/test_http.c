/* Unit tests: the HTTPS client's pure parts (URLs, proxies, no_proxy,
 * headers, the chunked coding, Retry-After, the body cap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http.h"
#include "http_internal.h"

static void test_url(void **st)
{
    (void)st;
    struct ad_url u;
    const char *why = NULL;
    assert_true(ad_url_parse("https://Example.COM/dir?x=1#frag", &u, &why));
    assert_string_equal(u.host, "example.com");
    assert_int_equal(u.port, 443);
    assert_string_equal(u.path, "/dir?x=1");
    assert_string_equal(u.authority, "example.com");
    assert_string_equal(u.origin, "example.com:443");
    assert_false(u.is_ip);
    ad_url_clear(&u);

    assert_true(ad_url_parse("https://127.0.0.1:14000", &u, &why));
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 14000);
    assert_string_equal(u.path, "/");
    assert_string_equal(u.authority, "127.0.0.1:14000");
    assert_true(u.is_ip);
    ad_url_clear(&u);

    assert_true(ad_url_parse("https://[::1]:8443/dir", &u, &why));
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 8443);
    assert_string_equal(u.authority, "[::1]:8443");
    assert_string_equal(u.origin, "[::1]:8443");
    assert_true(u.is_ip);
    ad_url_clear(&u);

    assert_true(ad_url_parse("https://[2001:DB8::1]?q", &u, &why));
    assert_string_equal(u.host, "2001:db8::1");
    assert_string_equal(u.authority, "[2001:db8::1]");
    assert_string_equal(u.path, "/?q");
    ad_url_clear(&u);

    assert_true(ad_url_parse("https://host:/x", &u, &why)); /* empty port: the default */
    assert_int_equal(u.port, 443);
    ad_url_clear(&u);

    static const char *const bad[] = {
        "http://example.com/", "ftp://x/", "https://", "https:///path", "https://host:0/", "https://host:65536/",
        "https://host:12a/", "https://[::1/", "https://[nothex]/", "https://[::1]x/", "https://user@host/",
        "https://ho st/", "https://host/a b", "https://host/\x01", "HTTPS://host/",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        why = NULL;
        assert_false(ad_url_parse(bad[i], &u, &why));
        assert_non_null(why);
        assert_null(u.host);
    }
}

static void test_non_https_refused(void **st)
{
    (void)st;
    struct ad_http *h;
    assert_int_equal(ad_http_new(NULL, &h), AD_OK);
    struct ad_http_response r;
    assert_int_equal(ad_http_request(h, "GET", "http://example.com/", NULL, NULL, NULL, &r), AD_ERR_USAGE);
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

static void test_proxy(void **st)
{
    (void)st;
    struct ad_proxy p;
    const char *why;
    assert_true(ad_proxy_parse("http://proxy.example:3128", &p, &why));
    assert_string_equal(p.host, "proxy.example");
    assert_int_equal(p.port, 3128);
    assert_null(p.auth);
    ad_proxy_clear(&p);
    assert_true(ad_proxy_parse("http://us%40er:p%3Ass@10.0.0.1/", &p, &why));
    assert_string_equal(p.host, "10.0.0.1");
    assert_int_equal(p.port, 1080);
    assert_string_equal(p.auth, "us@er:p:ss");
    ad_proxy_clear(&p);
    assert_true(ad_proxy_parse("proxy:8080", &p, &why));
    assert_string_equal(p.host, "proxy");
    assert_int_equal(p.port, 8080);
    ad_proxy_clear(&p);
    assert_true(ad_proxy_parse("HTTP://[::1]:3128", &p, &why));
    assert_string_equal(p.host, "::1");
    ad_proxy_clear(&p);
    static const char *const bad[] = {"https://proxy:443", "socks5://proxy:1080", "http://", "http://p:x/",
                                      "http://u:%zz@p/", "http://p/path"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        why = NULL;
        assert_false(ad_proxy_parse(bad[i], &p, &why));
        assert_non_null(why);
        assert_null(strstr(why, "zz"));
    }
}

static void test_no_proxy(void **st)
{
    (void)st;
    assert_false(ad_no_proxy_match(NULL, "a.example", false));
    assert_false(ad_no_proxy_match("", "a.example", false));
    assert_true(ad_no_proxy_match("*", "a.example", false));
    assert_true(ad_no_proxy_match("*", "10.1.2.3", true));
    assert_true(ad_no_proxy_match("example", "a.example", false));
    assert_true(ad_no_proxy_match(".example", "a.example", false));
    assert_true(ad_no_proxy_match("other, Example ", "b.a.example", false));
    assert_true(ad_no_proxy_match("a.example", "a.example", false));
    assert_false(ad_no_proxy_match("a.example", "example", false));
    assert_false(ad_no_proxy_match("ample", "a.example", false));
    assert_false(ad_no_proxy_match("x.example,,", "a.example", false));
    assert_true(ad_no_proxy_match("localhost,127.0.0.1", "127.0.0.1", true));
    assert_false(ad_no_proxy_match("127.0.0.1", "127.0.0.10", true));
    assert_false(ad_no_proxy_match("0.0.1", "127.0.0.1", true));
    assert_true(ad_no_proxy_match("[::1]", "::1", true));
    assert_true(ad_no_proxy_match("::1", "::1", true));
}

static void test_headers(void **st)
{
    (void)st;
    int minor;
    long status;
    assert_true(ad_http1_status_line("HTTP/1.1 200 OK", 15, &minor, &status));
    assert_int_equal(minor, 1);
    assert_int_equal(status, 200);
    assert_true(ad_http1_status_line("HTTP/1.0 404", 12, &minor, &status));
    assert_int_equal(minor, 0);
    assert_int_equal(status, 404);
    assert_false(ad_http1_status_line("HTTP/2 200 OK", 13, &minor, &status));
    assert_false(ad_http1_status_line("HTTP/1.1 20 OK", 14, &minor, &status));
    assert_false(ad_http1_status_line("HTTP/1.1 2000", 13, &minor, &status));
    assert_false(ad_http1_status_line("HTTP/1.1 099 x", 14, &minor, &status));

    const char *n, *v;
    size_t nl, vl;
    const char *line = "Replay-Nonce: \t abc \t";
    assert_true(ad_http1_header_split(line, strlen(line), &n, &nl, &v, &vl));
    assert_int_equal(nl, 12);
    assert_memory_equal(v, "abc", 3);
    assert_int_equal(vl, 3);
    line = "Empty:";
    assert_true(ad_http1_header_split(line, strlen(line), &n, &nl, &v, &vl));
    assert_int_equal(vl, 0);
    assert_false(ad_http1_header_split(": x", 3, &n, &nl, &v, &vl));
    assert_false(ad_http1_header_split("No colon", 8, &n, &nl, &v, &vl));
    assert_false(ad_http1_header_split("Bad name: x", 11, &n, &nl, &v, &vl));

    struct ad_http_response r = {.retry_after = -1};
    assert_true(ad_http_keep_header(&r, "LOCATION", 8, "https://x/1", 11));
    assert_true(ad_http_keep_header(&r, "replay-nonce", 12, "n1", 2));
    assert_true(ad_http_keep_header(&r, "Replay-Nonce", 12, "n2", 2)); /* the last one wins */
    assert_true(ad_http_keep_header(&r, "Content-Type", 12, "application/json", 16));
    assert_true(ad_http_keep_header(&r, "Retry-After", 11, "30", 2));
    assert_true(ad_http_keep_header(&r, "X-Other", 7, "y", 1));
    assert_string_equal(r.location, "https://x/1");
    assert_string_equal(r.nonce, "n2");
    assert_string_equal(r.content_type, "application/json");
    assert_int_equal(r.retry_after, 30);
    assert_true(ad_http_keep_header(&r, "Retry-After", 11, "soon", 4));
    assert_int_equal(r.retry_after, 30); /* malformed: ignored */
    ad_http_response_clear(&r);
    assert_null(r.location);
    assert_int_equal(r.retry_after, -1);
}

static void test_retry_after(void **st)
{
    (void)st;
    time_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
    assert_int_equal(ad_retry_after_parse("120", now), 120);
    assert_int_equal(ad_retry_after_parse(" 0 ", now), 0);
    assert_int_equal(ad_retry_after_parse("Sun, 06 Nov 1994 08:51:37 GMT", now), 120);
    assert_int_equal(ad_retry_after_parse("Sunday, 06-Nov-94 08:50:37 GMT", now), 60);
    assert_int_equal(ad_retry_after_parse("Sun Nov  6 08:49:47 1994", now), 10);
    assert_int_equal(ad_retry_after_parse("Sat, 05 Nov 1994 08:49:37 GMT", now), 0); /* past */
    assert_int_equal(ad_retry_after_parse("Mon, 29 Feb 2100 00:00:00 GMT", now) > 0, 1);
    static const char *const bad[] = {"", "-5", "1.5", "12abc", "Sun, 06 Nov 1994 08:49:37 UTC",
                                      "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT",
                                      "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT x",
                                      "99999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(ad_retry_after_parse(bad[i], now), -1);
}

/* Decode IN in pieces of STEP bytes. */
static enum ad_chunked_rc decode(const char *in, size_t step, struct ad_http_response *r, size_t *rest)
{
    struct ad_chunked c = {0};
    size_t cap = 0, len = strlen(in), off = 0;
    const char *why = NULL;
    enum ad_chunked_rc rc = AD_CHUNKED_MORE;
    while (off < len && rc == AD_CHUNKED_MORE) {
        size_t n = len - off < step ? len - off : step, used;
        rc = ad_chunked_feed(&c, in + off, n, &used, r, &cap, &why);
        off += used;
        if (rc == AD_CHUNKED_BAD)
            assert_non_null(why);
    }
    *rest = len - off;
    return rc;
}

static void test_chunked(void **st)
{
    (void)st;
    const char *in = "5;ext=1;q=\"a b\"\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nNEXT";
    for (size_t step = 1; step <= strlen(in); step++) {
        struct ad_http_response r = {.retry_after = -1};
        size_t rest;
        assert_int_equal(decode(in, step, &r, &rest), AD_CHUNKED_DONE);
        assert_int_equal(rest, 4); /* "NEXT" is not part of the body */
        assert_int_equal(r.len, 16);
        assert_string_equal(r.body, "hello 0123456789");
        ad_http_response_clear(&r);
    }
    static const char *const ok[] = {"0\r\n\r\n", "0\n\n", "3\nabc\n0\n\n", "00003 \r\nabc\r\n0\r\n\r\n"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        struct ad_http_response r = {.retry_after = -1};
        size_t rest;
        assert_int_equal(decode(ok[i], 2, &r, &rest), AD_CHUNKED_DONE);
        ad_http_response_clear(&r);
    }
    static const char *const bad[] = {"x\r\n", "\r\n", ";\r\n", "3\r\nabcX\r\n", "3\rx", "fffffffffffffffff\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct ad_http_response r = {.retry_after = -1};
        size_t rest;
        assert_int_equal(decode(bad[i], 3, &r, &rest), AD_CHUNKED_BAD);
        ad_http_response_clear(&r);
    }
    /* Incomplete: more is needed. */
    struct ad_http_response r = {.retry_after = -1};
    size_t rest;
    assert_int_equal(decode("5\r\nhel", 100, &r, &rest), AD_CHUNKED_MORE);
    assert_int_equal(rest, 0);
    ad_http_response_clear(&r);
    /* A chunk size line without end. */
    char *longline = malloc(AD_HTTP_LINE_MAX + 10);
    memset(longline, '0', AD_HTTP_LINE_MAX + 9);
    longline[AD_HTTP_LINE_MAX + 9] = '\0';
    assert_int_equal(decode(longline, 4096, &r, &rest), AD_CHUNKED_BAD);
    ad_http_response_clear(&r);
    free(longline);
}

static void test_body_cap(void **st)
{
    (void)st;
    struct ad_http_response r = {.retry_after = -1};
    size_t cap = 0;
    char *block = calloc(1, 1 << 20);
    for (int i = 0; i < 4; i++)
        assert_int_equal(ad_http_body_add(&r, &cap, block, 1 << 20), AD_BODY_OK);
    assert_int_equal(r.len, AD_HTTP_BODY_MAX);
    assert_int_equal(ad_http_body_add(&r, &cap, block, 0), AD_BODY_OK);
    assert_int_equal(ad_http_body_add(&r, &cap, "x", 1), AD_BODY_BIG);
    assert_int_equal(r.len, AD_HTTP_BODY_MAX);
    assert_int_equal(r.body[r.len], '\0');
    ad_http_response_clear(&r);
    cap = 0;
    assert_int_equal(ad_http_body_add(&r, &cap, block, (size_t)AD_HTTP_BODY_MAX + 1), AD_BODY_BIG);
    assert_int_equal(ad_http_body_add(&r, &cap, NULL, 0), AD_BODY_OK); /* an empty body is "" */
    assert_string_equal(r.body, "");
    ad_http_response_clear(&r);
    /* Chunked bodies are capped too. */
    struct ad_chunked c = {0};
    const char *why;
    size_t used;
    cap = 0;
    assert_int_equal(ad_chunked_feed(&c, "500001\r\n", 8, &used, &r, &cap, &why), AD_CHUNKED_MORE);
    enum ad_chunked_rc rc = AD_CHUNKED_MORE;
    for (int i = 0; i < 6 && rc == AD_CHUNKED_MORE; i++)
        rc = ad_chunked_feed(&c, block, 1 << 20, &used, &r, &cap, &why);
    assert_int_equal(rc, AD_CHUNKED_BIG);
    ad_http_response_clear(&r);
    free(block);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url),       cmocka_unit_test(test_non_https_refused),
        cmocka_unit_test(test_proxy),     cmocka_unit_test(test_no_proxy),
        cmocka_unit_test(test_headers),   cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_chunked),   cmocka_unit_test(test_body_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
