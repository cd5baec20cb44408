/* Unit tests: dnscheck's pure helpers (addresses, names, TXT matching); no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "dnscheck_internal.h"

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
    char buf[AD_DNS_ADDRSTR_MAX];
    assert_int_equal(ad_dnscheck_parse_addr(in, &sa, &len), AD_OK);
    assert_int_equal(sa.ss_family, family);
    assert_int_equal(len, family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
    assert_int_equal(port_of(&sa), port);
    ad_dnscheck_addr_str((const struct sockaddr *)&sa, buf, sizeof buf);
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
        if (ad_dnscheck_parse_addr(bad[i], &sa, &len) == AD_OK)
            fail_msg("accepted malformed resolver \"%s\"", bad[i]);
    }
    char longs[300];
    memset(longs, '1', sizeof longs - 1);
    longs[sizeof longs - 1] = '\0';
    struct sockaddr_storage sa;
    socklen_t len;
    assert_int_not_equal(ad_dnscheck_parse_addr(longs, &sa, &len), AD_OK);
}

static void test_resolv_conf(void **st)
{
    (void)st;
    const char *text = "# generated\n"
                       "search example.com\n"
                       "nameserver 192.0.2.53\n"
                       "nameserver\n"
                       "nameserver not-an-address\n"
                       "  nameserver\t2001:db8::35 # trailing\n"
                       "; nameserver 192.0.2.99\n"
                       "options edns0\n"
                       "nameserver 192.0.2.54\r\n"
                       "nameserver 192.0.2.55";
    struct sockaddr_storage sa[3];
    socklen_t lens[3];
    char buf[AD_DNS_ADDRSTR_MAX];
    assert_int_equal(ad_dnscheck_resolv_conf(text, sa, lens, 3), 3);
    ad_dnscheck_addr_str((struct sockaddr *)&sa[0], buf, sizeof buf);
    assert_string_equal(buf, "192.0.2.53");
    ad_dnscheck_addr_str((struct sockaddr *)&sa[1], buf, sizeof buf);
    assert_string_equal(buf, "2001:db8::35");
    ad_dnscheck_addr_str((struct sockaddr *)&sa[2], buf, sizeof buf);
    assert_string_equal(buf, "192.0.2.54");
    assert_int_equal(ad_dnscheck_resolv_conf("", sa, lens, 3), 0);
    assert_int_equal(ad_dnscheck_resolv_conf("# nothing\n\n", sa, lens, 3), 0);
}

static void test_normalize(void **st)
{
    (void)st;
    char out[AD_DNS_NAME_MAX + 1];
    assert_int_equal(ad_dnscheck_normalize("Example.COM.", out, sizeof out), AD_OK);
    assert_string_equal(out, "example.com");
    assert_int_equal(ad_dnscheck_normalize("_ACME-Challenge.www.example.com", out, sizeof out), AD_OK);
    assert_string_equal(out, "_acme-challenge.www.example.com");
    assert_int_equal(ad_dnscheck_normalize("localhost", out, sizeof out), AD_OK);
    assert_string_equal(out, "localhost");

    static const char *const bad[] = {"", ".", "..", "a..b", ".a", "a.b..", "a b.c", "a\\.b", "ex\xc3\xa9.com",
                                      "a/b", "a@b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ad_dnscheck_normalize(bad[i], out, sizeof out) == AD_OK)
            fail_msg("accepted bad name \"%s\"", bad[i]);

    char name[400];
    /* label of 63 is fine, 64 is not */
    memset(name, 'a', 63);
    strcpy(name + 63, ".test");
    assert_int_equal(ad_dnscheck_normalize(name, out, sizeof out), AD_OK);
    memset(name, 'a', 64);
    strcpy(name + 64, ".test");
    assert_int_not_equal(ad_dnscheck_normalize(name, out, sizeof out), AD_OK);
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
    assert_int_equal(ad_dnscheck_normalize(name, out, sizeof out), AD_OK);
    assert_string_equal(out, name);
    strcpy(name + 253, ".");
    assert_int_equal(ad_dnscheck_normalize(name, out, sizeof out), AD_OK);
    strcpy(name + 253, "b");
    assert_int_not_equal(ad_dnscheck_normalize(name, out, sizeof out), AD_OK);
    /* output buffer too small for the contract */
    char small[10];
    assert_int_not_equal(ad_dnscheck_normalize("a.test", small, sizeof small), AD_OK);
}

static void test_dname(void **st)
{
    (void)st;
    char out[AD_DNS_NAME_MAX + 1];
    ldns_rdf *d = ldns_dname_new_frm_str("_ACME-challenge.Example.TEST.");
    assert_non_null(d);
    assert_int_equal(ad_dnscheck_dname_str(d, out, sizeof out), AD_OK);
    assert_string_equal(out, "_acme-challenge.example.test");
    assert_true(ad_dnscheck_dname_eq(d, "_acme-challenge.example.test"));
    assert_false(ad_dnscheck_dname_eq(d, "_acme-challenge.example"));
    assert_false(ad_dnscheck_dname_eq(d, "_acme-challenge.example.test.x"));
    assert_false(ad_dnscheck_dname_eq(d, "acme-challenge.example.test"));
    assert_false(ad_dnscheck_dname_eq(d, "example.test"));
    assert_false(ad_dnscheck_dname_eq(d, ""));
    ldns_rdf_deep_free(d);

    /* one label holding a dot is not two labels */
    d = ldns_dname_new_frm_str("a\\.b.test.");
    assert_non_null(d);
    assert_false(ad_dnscheck_dname_eq(d, "a.b.test"));
    assert_int_not_equal(ad_dnscheck_dname_str(d, out, sizeof out), AD_OK);
    ldns_rdf_deep_free(d);

    d = ldns_dname_new_frm_str(".");
    assert_non_null(d);
    assert_int_equal(ad_dnscheck_dname_str(d, out, sizeof out), AD_OK);
    assert_string_equal(out, "");
    assert_true(ad_dnscheck_dname_eq(d, ""));
    assert_false(ad_dnscheck_dname_eq(d, "test"));
    ldns_rdf_deep_free(d);

    /* malformed wire: label runs past the end, no root label */
    static const uint8_t past[] = {5, 'a', 'b'};
    static const uint8_t noroot[] = {1, 'a'};
    ldns_rdf *r = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, sizeof past, past);
    assert_non_null(r);
    assert_int_not_equal(ad_dnscheck_dname_str(r, out, sizeof out), AD_OK);
    assert_false(ad_dnscheck_dname_eq(r, "ab"));
    ldns_rdf_deep_free(r);
    r = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, sizeof noroot, noroot);
    assert_non_null(r);
    assert_int_not_equal(ad_dnscheck_dname_str(r, out, sizeof out), AD_OK);
    assert_false(ad_dnscheck_dname_eq(r, "a"));
    ldns_rdf_deep_free(r);
    assert_false(ad_dnscheck_dname_eq(NULL, "a"));
}

static void test_subdomain(void **st)
{
    (void)st;
    assert_true(ad_dnscheck_is_subdomain("a.example.test", "example.test"));
    assert_true(ad_dnscheck_is_subdomain("example.test", "example.test"));
    assert_true(ad_dnscheck_is_subdomain("example.test", ""));
    assert_false(ad_dnscheck_is_subdomain("badexample.test", "example.test"));
    assert_false(ad_dnscheck_is_subdomain("example.test", "a.example.test"));
    assert_false(ad_dnscheck_is_subdomain("test", "example.test"));
}

/* A reply packet with the given RRs (presentation form) in the answer section. */
static ldns_pkt *reply(const char *const *answer, size_t n, ldns_pkt_section section)
{
    ldns_pkt *p = ldns_pkt_new();
    assert_non_null(p);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_aa(p, true);
    for (size_t i = 0; i < n; i++) {
        ldns_rr *rr = NULL;
        assert_int_equal(ldns_rr_new_frm_str(&rr, answer[i], 60, NULL, NULL), LDNS_STATUS_OK);
        assert_true(ldns_pkt_push_rr(p, section, rr));
    }
    return p;
}

/* The same packet after a trip through wire format, as a server would send it. */
static ldns_pkt *over_wire(ldns_pkt *p)
{
    uint8_t *wire = NULL;
    size_t len = 0;
    ldns_pkt *q = NULL;
    assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
    assert_int_equal(ldns_wire2pkt(&q, wire, len), LDNS_STATUS_OK);
    /* every truncation of the wire is refused or parsed within bounds */
    for (size_t cut = 0; cut < len; cut++) {
        ldns_pkt *t = NULL;
        if (ldns_wire2pkt(&t, wire, cut) == LDNS_STATUS_OK)
            ldns_pkt_free(t);
    }
    free(wire);
    ldns_pkt_free(p);
    return q;
}

static void test_txt_match(void **st)
{
    (void)st;
    const char *name = "_acme-challenge.example.test";
    static const char *const two[] = {
        "_acme-challenge.example.test. IN TXT \"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0\"",
        "_ACME-Challenge.Example.Test. IN TXT \"second-value\"",
    };
    ldns_pkt *p = over_wire(reply(two, 2, LDNS_SECTION_ANSWER));
    assert_true(ad_dnscheck_pkt_has_txt(p, name, "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"));
    assert_true(ad_dnscheck_pkt_has_txt(p, name, "second-value"));
    assert_false(ad_dnscheck_pkt_has_txt(p, name, "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX"));
    assert_false(ad_dnscheck_pkt_has_txt(p, name, "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0x"));
    assert_false(ad_dnscheck_pkt_has_txt(p, name, "second-VALUE"));
    assert_false(ad_dnscheck_pkt_has_txt(p, name, ""));
    assert_false(ad_dnscheck_pkt_has_txt(p, "example.test", "second-value"));
    assert_false(ad_dnscheck_pkt_has_txt(p, "x._acme-challenge.example.test", "second-value"));
    assert_true(ad_dnscheck_pkt_any_txt(p, name));
    assert_false(ad_dnscheck_pkt_any_txt(p, "example.test"));
    ldns_pkt_free(p);

    /* a value split into several character strings is their concatenation */
    static const char *const split[] = {"_acme-challenge.example.test. IN TXT \"abc\" \"def\" \"\""};
    p = over_wire(reply(split, 1, LDNS_SECTION_ANSWER));
    assert_true(ad_dnscheck_pkt_has_txt(p, name, "abcdef"));
    assert_false(ad_dnscheck_pkt_has_txt(p, name, "abc"));
    assert_false(ad_dnscheck_pkt_has_txt(p, name, "abc def"));
    ldns_pkt_free(p);

    /* the value only in the authority section, in another class or another type: not served */
    static const char *const auth[] = {"_acme-challenge.example.test. IN TXT \"v\""};
    p = over_wire(reply(auth, 1, LDNS_SECTION_AUTHORITY));
    assert_false(ad_dnscheck_pkt_has_txt(p, name, "v"));
    assert_false(ad_dnscheck_pkt_any_txt(p, name));
    ldns_pkt_free(p);
    static const char *const other[] = {"_acme-challenge.example.test. CH TXT \"v\"",
                                        "_acme-challenge.example.test. IN SPF \"v\"",
                                        "_acme-challenge.example.test. IN CNAME v.example.test."};
    p = over_wire(reply(other, 3, LDNS_SECTION_ANSWER));
    assert_false(ad_dnscheck_pkt_has_txt(p, name, "v"));
    assert_false(ad_dnscheck_pkt_any_txt(p, name));
    ldns_pkt_free(p);

    /* empty answer (NXDOMAIN / NODATA) and NULLs */
    p = over_wire(reply(NULL, 0, LDNS_SECTION_ANSWER));
    assert_false(ad_dnscheck_pkt_has_txt(p, name, "v"));
    ldns_pkt_free(p);
    assert_false(ad_dnscheck_pkt_has_txt(NULL, name, "v"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_addr), cmocka_unit_test(test_parse_addr_malformed),
        cmocka_unit_test(test_resolv_conf), cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_dname),       cmocka_unit_test(test_subdomain),
        cmocka_unit_test(test_txt_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
