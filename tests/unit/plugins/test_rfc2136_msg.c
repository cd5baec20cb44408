/* Unit tests: rfc2136 UPDATE builder, names, server addresses and the
 * RCODE / TSIG error messages.  ldns reads what we build, as a second
 * opinion on the wire format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "rfc2136_net.h"
#include "rfc2136_wire.h"

static ldns_pkt *build(const struct ad_rfc2136_txt *recs, size_t n, bool del, size_t *len)
{
    uint8_t *msg = NULL;
    assert_int_equal(ad_rfc2136_build_update(0x4242, "Example.Test.", recs, n, del, &msg, len),
                     AD_OK);
    ldns_pkt *pkt = NULL;
    assert_int_equal(ldns_wire2pkt(&pkt, msg, *len), LDNS_STATUS_OK);
    free(msg);
    return pkt;
}

static char *rdata_text(const ldns_rr *rr)
{
    return ldns_rdf2str(ldns_rr_rdf(rr, 0));
}

static void test_one_message_n_records(void **state)
{
    (void)state;
    enum { N = 100 };
    static char names[N][64], values[N][48];
    struct ad_rfc2136_txt recs[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "_acme-challenge.n%d.example.test", i);
        snprintf(values[i], sizeof values[i], "value-%02d-0123456789abcdefghijklmnopqrstuvw", i);
        recs[i] = (struct ad_rfc2136_txt){ names[i], values[i], 60 };
    }
    size_t len = 0;
    ldns_pkt *pkt = build(recs, N, false, &len);
    assert_true(len > AD_DNS_UDP_MAX); /* goes over TCP */
    assert_int_equal(ldns_pkt_id(pkt), 0x4242);
    assert_int_equal(ldns_pkt_get_opcode(pkt), LDNS_PACKET_UPDATE);
    assert_false(ldns_pkt_qr(pkt));
    /* zone section (ldns reads it as the question): example.test SOA IN */
    assert_int_equal(ldns_pkt_qdcount(pkt), 1);
    ldns_rr *z = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
    char *zn = ldns_rdf2str(ldns_rr_owner(z));
    assert_string_equal(zn, "example.test.");
    free(zn);
    assert_int_equal(ldns_rr_get_type(z), LDNS_RR_TYPE_SOA);
    assert_int_equal(ldns_rr_get_class(z), LDNS_RR_CLASS_IN);
    assert_int_equal(ldns_pkt_ancount(pkt), 0); /* no prerequisites */
    assert_int_equal(ldns_pkt_nscount(pkt), N);  /* the update section */
    assert_int_equal(ldns_pkt_arcount(pkt), 0);
    for (int i = 0; i < N; i++) {
        ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_authority(pkt), (size_t)i);
        char *owner = ldns_rdf2str(ldns_rr_owner(rr));
        char want[80];
        snprintf(want, sizeof want, "%s.", names[i]);
        assert_string_equal(owner, want);
        free(owner);
        assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_TXT);
        assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_IN);
        assert_int_equal(ldns_rr_ttl(rr), 60);
        char *txt = rdata_text(rr);
        snprintf(want, sizeof want, "\"%s\"", values[i]);
        assert_string_equal(txt, want);
        free(txt);
    }
    ldns_pkt_free(pkt);
}

static void test_delete_is_class_none(void **state)
{
    (void)state;
    struct ad_rfc2136_txt recs[2] = {
        { "_acme-challenge.example.test", "apex-value", 60 },
        { "_acme-challenge.example.test", "wildcard-value", 60 },
    };
    size_t len = 0;
    ldns_pkt *pkt = build(recs, 2, true, &len);
    assert_int_equal(ldns_pkt_nscount(pkt), 2);
    for (size_t i = 0; i < 2; i++) {
        ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_authority(pkt), i);
        assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_TXT);
        assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_NONE);
        assert_int_equal(ldns_rr_ttl(rr), 0);
        char *txt = rdata_text(rr);
        char want[40];
        snprintf(want, sizeof want, "\"%s\"", recs[i].value);
        assert_string_equal(txt, want);
        free(txt);
    }
    ldns_pkt_free(pkt);
}

static void test_long_value_split(void **state)
{
    (void)state;
    char value[601];
    memset(value, 'x', 600);
    value[600] = '\0';
    struct ad_rfc2136_txt rec = { "a.example.test", value, 300 };
    size_t len = 0;
    ldns_pkt *pkt = build(&rec, 1, false, &len);
    ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_authority(pkt), 0);
    assert_int_equal(ldns_rr_rd_count(rr), 3); /* 255 + 255 + 90 */
    assert_int_equal(ldns_rdf_size(ldns_rr_rdf(rr, 2)), 91);
    assert_int_equal(ldns_rr_ttl(rr), 300);
    ldns_pkt_free(pkt);
}

static void test_bad_input(void **state)
{
    (void)state;
    uint8_t *msg = NULL;
    size_t len = 0;
    struct ad_rfc2136_txt bad_name = { "a..example.test", "v", 60 };
    assert_int_equal(ad_rfc2136_build_update(1, "example.test", &bad_name, 1, false, &msg, &len),
                     AD_ERR_USAGE);
    char label[80];
    memset(label, 'a', 64);
    strcpy(label + 64, ".test");
    struct ad_rfc2136_txt long_label = { label, "v", 60 };
    assert_int_equal(ad_rfc2136_build_update(1, "test", &long_label, 1, false, &msg, &len),
                     AD_ERR_USAGE);
    static char big[AD_RFC2136_VALUE_MAX + 2];
    memset(big, 'v', sizeof big - 1);
    struct ad_rfc2136_txt big_value = { "a.test", big, 60 };
    assert_int_equal(ad_rfc2136_build_update(1, "test", &big_value, 1, false, &msg, &len),
                     AD_ERR_USAGE);
    assert_null(msg);
    uint8_t w[256];
    assert_int_equal(ad_rfc2136_name_wire("Ab.C.", w), 6);
    assert_memory_equal(w, "\x02" "ab" "\x01" "c" "\x00", 6);
    assert_int_equal(ad_rfc2136_name_wire("a b.c", w), 0);
    assert_int_equal(ad_rfc2136_name_wire(".", w), 1);
}

static void test_name_in_zone(void **state)
{
    (void)state;
    assert_true(ad_rfc2136_name_in_zone("_acme-challenge.example.test", "example.test"));
    assert_true(ad_rfc2136_name_in_zone("example.test", "Example.Test."));
    assert_false(ad_rfc2136_name_in_zone("_acme-challenge.myexample.test", "example.test"));
    assert_false(ad_rfc2136_name_in_zone("test", "example.test"));
    assert_true(ad_rfc2136_name_in_zone("a.b", ""));
}

static void test_server_split(void **state)
{
    (void)state;
    char host[256], err[256];
    unsigned port;
    assert_int_equal(ad_rfc2136_server_split("127.0.0.1", host, sizeof host, &port, err, sizeof err), AD_OK);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 53);
    assert_int_equal(ad_rfc2136_server_split("127.0.0.1:5353", host, sizeof host, &port, err, sizeof err), AD_OK);
    assert_int_equal(port, 5353);
    assert_int_equal(ad_rfc2136_server_split("[::1]:5300", host, sizeof host, &port, err, sizeof err), AD_OK);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 5300);
    assert_int_equal(ad_rfc2136_server_split("[2001:db8::1]", host, sizeof host, &port, err, sizeof err), AD_OK);
    assert_int_equal(port, 53);
    assert_int_equal(ad_rfc2136_server_split("2001:db8::1", host, sizeof host, &port, err, sizeof err), AD_OK);
    assert_string_equal(host, "2001:db8::1");
    assert_int_equal(ad_rfc2136_server_split("ns1.example.test:54", host, sizeof host, &port, err, sizeof err), AD_OK);
    assert_string_equal(host, "ns1.example.test");
    assert_int_equal(port, 54);
    const char *bad[] = { "", ":53", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:5x",
                          "[::1", "[::1]x", "[]:53", "a b" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ad_rfc2136_server_split(bad[i], host, sizeof host, &port, err, sizeof err),
                         AD_ERR_CONFIG);
        assert_non_null(strstr(err, "use IP, IP:PORT, [IPv6]:PORT or a host name"));
    }
    struct ad_rfc2136_server s;
    assert_int_equal(ad_rfc2136_server_parse("[::1]:5300", &s, err, sizeof err), AD_OK);
    assert_int_equal(s.naddrs, 1);
    char text[80];
    ad_rfc2136_addr_text(&s, 0, text, sizeof text);
    assert_string_equal(text, "[::1]:5300");
    assert_int_equal(ad_rfc2136_server_parse("127.0.0.1", &s, err, sizeof err), AD_OK);
    ad_rfc2136_addr_text(&s, 0, text, sizeof text);
    assert_string_equal(text, "127.0.0.1");
}

static void test_explain(void **state)
{
    (void)state;
    struct ad_rfc2136_why w = { "127.0.0.1", "example.test", "_acme-challenge.other.test",
                                "acme-key", "hmac-sha256" };
    char m[600];
    assert_int_equal(ad_rfc2136_explain(AD_RCODE_NOERROR, 0, &w, m, sizeof m), AD_OK);
    assert_int_equal(ad_rfc2136_explain(AD_RCODE_NOTAUTH, AD_TSIG_BADSIG, &w, m, sizeof m),
                     AD_ERR_AUTH);
    assert_string_equal(m, "TSIG key rejected by 127.0.0.1 (BADSIG): check the secret and algorithm");
    assert_int_equal(ad_rfc2136_explain(AD_RCODE_NOTAUTH, AD_TSIG_BADKEY, &w, m, sizeof m),
                     AD_ERR_AUTH);
    assert_non_null(strstr(m, "does not know key acme-key with hmac-sha256"));
    assert_int_equal(ad_rfc2136_explain(AD_RCODE_NOTAUTH, AD_TSIG_BADTIME, &w, m, sizeof m),
                     AD_ERR_AUTH);
    assert_non_null(strstr(m, "clock skew"));
    assert_int_equal(ad_rfc2136_explain(AD_RCODE_NOTAUTH, AD_TSIG_BADTRUNC, &w, m, sizeof m),
                     AD_ERR_AUTH);
    assert_non_null(strstr(m, "BADTRUNC"));
    assert_int_equal(ad_rfc2136_explain(AD_RCODE_REFUSED, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_non_null(strstr(m, "refused the update (REFUSED): check update-policy/allow-update "
                              "for key acme-key on zone example.test"));
    assert_int_equal(ad_rfc2136_explain(AD_RCODE_NOTZONE, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_non_null(strstr(m, "_acme-challenge.other.test is not in zone example.test"));
    assert_non_null(strstr(m, "set the zone option"));
    assert_int_equal(ad_rfc2136_explain(AD_RCODE_NOTAUTH, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_non_null(strstr(m, "not authoritative for zone example.test"));
    assert_int_equal(ad_rfc2136_explain(AD_RCODE_SERVFAIL, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_non_null(strstr(m, "SERVFAIL"));
    assert_int_equal(ad_rfc2136_explain(AD_RCODE_NOTIMP, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_int_equal(ad_rfc2136_explain(AD_RCODE_FORMERR, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_int_equal(ad_rfc2136_explain(AD_RCODE_YXRRSET, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_non_null(strstr(m, "YXRRSET"));
    assert_int_equal(ad_rfc2136_explain(15, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_non_null(strstr(m, "RCODE15"));
    w.key_name = NULL;
    assert_int_equal(ad_rfc2136_explain(AD_RCODE_REFUSED, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_non_null(strstr(m, "unsigned update"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_message_n_records), cmocka_unit_test(test_delete_is_class_none),
        cmocka_unit_test(test_long_value_split),      cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_name_in_zone),          cmocka_unit_test(test_server_split),
        cmocka_unit_test(test_explain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
