/* Unit tests: rfc2136 UPDATE and SOA query (built by ldns, read back by
 * ldns), names, and the RCODE / TSIG error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "rfc2136_msg.h"

static ldns_pkt *build(const struct ad_rfc2136_txt *recs, size_t n, bool del, size_t *len)
{
    uint8_t *msg = NULL;
    assert_int_equal(ad_rfc2136_build_update("Example.Test.", recs, n, del, &msg, len), AD_OK);
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
    assert_true(len > 512); /* goes over TCP */
    assert_int_equal(ldns_pkt_get_opcode(pkt), LDNS_PACKET_UPDATE);
    assert_false(ldns_pkt_qr(pkt));
    assert_false(ldns_pkt_rd(pkt));
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
    assert_int_equal(ad_rfc2136_build_update("example.test", &bad_name, 1, false, &msg, &len), AD_ERR_USAGE);
    char label[80];
    memset(label, 'a', 64);
    strcpy(label + 64, ".test");
    struct ad_rfc2136_txt long_label = { label, "v", 60 };
    assert_int_equal(ad_rfc2136_build_update("test", &long_label, 1, false, &msg, &len), AD_ERR_USAGE);
    static char big[AD_RFC2136_VALUE_MAX + 2];
    memset(big, 'v', sizeof big - 1);
    struct ad_rfc2136_txt big_value = { "a.test", big, 60 };
    assert_int_equal(ad_rfc2136_build_update("test", &big_value, 1, false, &msg, &len), AD_ERR_USAGE);
    struct ad_rfc2136_txt escape = { "a\\.b.test", "v", 60 };
    assert_int_equal(ad_rfc2136_build_update("test", &escape, 1, false, &msg, &len), AD_ERR_USAGE);
    struct ad_rfc2136_txt ok = { "a.test", "v", 60 };
    assert_int_equal(ad_rfc2136_build_update("a b", &ok, 1, false, &msg, &len), AD_ERR_USAGE);
    assert_null(msg);
    /* an SOA query: one question, RD clear */
    assert_int_equal(ad_rfc2136_build_soa_query("_acme-challenge.Example.Test", &msg, &len), AD_OK);
    ldns_pkt *q = NULL;
    assert_int_equal(ldns_wire2pkt(&q, msg, len), LDNS_STATUS_OK);
    assert_false(ldns_pkt_rd(q));
    assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(q), 0)), LDNS_RR_TYPE_SOA);
    ldns_pkt_free(q);
    free(msg);
    assert_int_equal(ad_rfc2136_build_soa_query("a..b", &msg, &len), AD_ERR_USAGE);
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

static void test_explain(void **state)
{
    (void)state;
    struct ad_rfc2136_why w = { "127.0.0.1", "example.test", "_acme-challenge.other.test",
                                "acme-key", "hmac-sha256", true };
    char m[600];
    assert_int_equal(ad_rfc2136_explain(LDNS_RCODE_NOERROR, 0, &w, m, sizeof m), AD_OK);
    assert_int_equal(ad_rfc2136_explain(LDNS_RCODE_NOTAUTH, AD_TSIG_BADSIG, &w, m, sizeof m),
                     AD_ERR_AUTH);
    assert_string_equal(m, "TSIG key rejected by 127.0.0.1 (BADSIG): check the secret and algorithm");
    assert_int_equal(ad_rfc2136_explain(LDNS_RCODE_NOTAUTH, AD_TSIG_BADKEY, &w, m, sizeof m),
                     AD_ERR_AUTH);
    assert_non_null(strstr(m, "does not know key acme-key with hmac-sha256"));
    assert_non_null(strstr(m, "update ACL")); /* Knot answers an ACL denial so */
    assert_int_equal(ad_rfc2136_explain(LDNS_RCODE_NOTAUTH, AD_TSIG_BADTIME, &w, m, sizeof m),
                     AD_ERR_AUTH);
    assert_non_null(strstr(m, "clock skew"));
    assert_int_equal(ad_rfc2136_explain(LDNS_RCODE_NOTAUTH, AD_TSIG_BADTRUNC, &w, m, sizeof m),
                     AD_ERR_AUTH);
    assert_non_null(strstr(m, "BADTRUNC"));
    assert_int_equal(ad_rfc2136_explain(LDNS_RCODE_REFUSED, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_non_null(strstr(m, "refused the update (REFUSED): check that key acme-key may update zone "
                              "example.test (BIND: update-policy or allow-update; PowerDNS: TSIG-ALLOW-DNSUPDATE, and this "
                              "host's address in allow-dnsupdate-from or ALLOW-DNSUPDATE-FROM)"));
    assert_int_equal(ad_rfc2136_explain(LDNS_RCODE_NOTZONE, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_non_null(strstr(m, "_acme-challenge.other.test is not in zone example.test"));
    assert_non_null(strstr(m, "set the zone option"));
    assert_int_equal(ad_rfc2136_explain(LDNS_RCODE_NOTAUTH, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_non_null(strstr(m, "not authoritative for zone example.test"));
    assert_int_equal(ad_rfc2136_explain(LDNS_RCODE_SERVFAIL, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_non_null(strstr(m, "SERVFAIL"));
    assert_int_equal(ad_rfc2136_explain(LDNS_RCODE_NOTIMPL, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_int_equal(ad_rfc2136_explain(LDNS_RCODE_FORMERR, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_int_equal(ad_rfc2136_explain(LDNS_RCODE_YXRRSET, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_non_null(strstr(m, "YXRRSET"));
    assert_int_equal(ad_rfc2136_explain(15, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_non_null(strstr(m, "RCODE15"));
    /* PowerDNS refuses a key it cannot verify in an unsigned reply */
    w.reply_signed = false;
    assert_int_equal(ad_rfc2136_explain(LDNS_RCODE_REFUSED, 0, &w, m, sizeof m), AD_ERR_AUTH);
    assert_non_null(strstr(m, "refused the update (REFUSED) in an unsigned reply: it did not accept key acme-key"));
    assert_non_null(strstr(m, "check the secret"));
    w.key_name = NULL;
    assert_int_equal(ad_rfc2136_explain(LDNS_RCODE_REFUSED, 0, &w, m, sizeof m), AD_ERR_PROVIDER);
    assert_non_null(strstr(m, "unsigned update"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_message_n_records), cmocka_unit_test(test_delete_is_class_none),
        cmocka_unit_test(test_long_value_split),      cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_name_in_zone),          cmocka_unit_test(test_explain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
