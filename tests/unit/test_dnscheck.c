/* Unit tests: the DNS look-ups' pure parts (locate.c, propagation.c): names,
 * resolv.conf through ldns, queries and replies, TXT matching; no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "locate.h"
#include "propagation.h"

static void test_resolv_conf(void **st)
{
    (void)st;
    char path[] = "/tmp/acme-dns-resolv.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("# generated\nsearch example.com\nnameserver 192.0.2.53\n  nameserver\t2001:db8::35 # trailing\n"
          "options edns0 timeout:1\nnameserver 192.0.2.54\nnameserver 192.0.2.55\n", f);
    fclose(f);
    struct sockaddr_storage sa[3];
    socklen_t lens[3];
    size_t n = 0;
    char buf[AD_ADDRSTR_MAX];
    assert_int_equal(ad_resolvers_from_file(path, sa, lens, 3, &n), AD_OK);
    assert_int_equal(n, 3);
    ad_addr_str((struct sockaddr *)&sa[0], buf, sizeof buf);
    assert_string_equal(buf, "192.0.2.53");
    ad_addr_str((struct sockaddr *)&sa[1], buf, sizeof buf);
    assert_string_equal(buf, "2001:db8::35");
    assert_int_equal(lens[1], sizeof(struct sockaddr_in6));
    ad_addr_str((struct sockaddr *)&sa[2], buf, sizeof buf);
    assert_string_equal(buf, "192.0.2.54");
    /* ldns refuses a file with a nameserver it cannot read, and we say so */
    f = fopen(path, "w");
    fputs("nameserver not-an-address\n", f);
    fclose(f);
    assert_int_equal(ad_resolvers_from_file(path, sa, lens, 3, &n), AD_ERR_DNS);
    f = fopen(path, "w");
    fputs("# nothing\n\n", f);
    fclose(f);
    assert_int_equal(ad_resolvers_from_file(path, sa, lens, 3, &n), AD_ERR_DNS);
    assert_int_equal(n, 0);
    unlink(path);
    assert_int_equal(ad_resolvers_from_file(path, sa, lens, 3, &n), AD_ERR_DNS);
}

static void test_dname(void **st)
{
    (void)st;
    char out[AD_NAME_MAX + 1];
    ldns_rdf *d = ldns_dname_new_frm_str("_ACME-challenge.Example.TEST.");
    assert_non_null(d);
    assert_int_equal(ad_dname_str(d, out, sizeof out), AD_OK);
    assert_string_equal(out, "_acme-challenge.example.test");
    assert_true(ad_dname_is(d, "_acme-challenge.example.test"));
    assert_true(ad_dname_is(d, "_ACME-challenge.example.test."));
    assert_false(ad_dname_is(d, "_acme-challenge.example"));
    assert_false(ad_dname_is(d, "_acme-challenge.example.test.x"));
    assert_false(ad_dname_is(d, "acme-challenge.example.test"));
    assert_false(ad_dname_is(d, "example.test"));
    ldns_rdf_deep_free(d);

    /* one label holding a dot is not two labels, and is not a name we use */
    d = ldns_dname_new_frm_str("a\\.b.test.");
    assert_non_null(d);
    assert_false(ad_dname_is(d, "a.b.test"));
    assert_int_not_equal(ad_dname_str(d, out, sizeof out), AD_OK);
    ldns_rdf_deep_free(d);
    d = ldns_dname_new_frm_str("a\\032b.test.");
    assert_non_null(d);
    assert_int_not_equal(ad_dname_str(d, out, sizeof out), AD_OK);
    ldns_rdf_deep_free(d);

    d = ldns_dname_new_frm_str(".");
    assert_non_null(d);
    assert_int_equal(ad_dname_str(d, out, sizeof out), AD_OK);
    assert_string_equal(out, "");
    assert_false(ad_dname_is(d, "test"));
    ldns_rdf_deep_free(d);
    assert_false(ad_dname_is(NULL, "a"));
    ldns_rdf *a = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "192.0.2.1");
    assert_int_not_equal(ad_dname_str(a, out, sizeof out), AD_OK);
    ldns_rdf_deep_free(a);
}

/* The query is ldns's: one question, RD as asked, EDNS; a reply must answer it. */
static void test_query_and_reply(void **st)
{
    (void)st;
    ldns_rdf *name = ldns_dname_new_frm_str("_acme-challenge.example.test");
    uint8_t *wire = NULL;
    size_t len = 0;
    assert_int_equal(ad_query_wire(name, LDNS_RR_TYPE_TXT, false, &wire, &len), AD_OK);
    ldns_pkt *q = NULL;
    assert_int_equal(ldns_wire2pkt(&q, wire, len), LDNS_STATUS_OK);
    assert_false(ldns_pkt_rd(q));
    assert_false(ldns_pkt_qr(q));
    assert_int_equal(ldns_pkt_edns_udp_size(q), 1232);
    assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_question(q)), 1);
    assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(q), 0)), LDNS_RR_TYPE_TXT);
    /* not a reply (QR clear): refused */
    assert_null(ad_reply_parse(wire, len, name, LDNS_RR_TYPE_TXT));
    ldns_pkt_set_qr(q, true);
    free(wire);
    assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
    ldns_pkt *r = ad_reply_parse(wire, len, name, LDNS_RR_TYPE_TXT);
    assert_non_null(r);
    ldns_pkt_free(r);
    /* another type or name: not ours */
    assert_null(ad_reply_parse(wire, len, name, LDNS_RR_TYPE_SOA));
    ldns_rdf *other = ldns_dname_new_frm_str("example.test");
    assert_null(ad_reply_parse(wire, len, other, LDNS_RR_TYPE_TXT));
    /* every truncation is refused, within bounds */
    for (size_t cut = 0; cut < len; cut++)
        assert_null(ad_reply_parse(wire, cut, name, LDNS_RR_TYPE_TXT));
    free(wire);
    /* an error reply without the question is taken, a NOERROR one is not */
    ldns_pkt *e = ldns_pkt_new();
    ldns_pkt_set_qr(e, true);
    ldns_pkt_set_rcode(e, LDNS_RCODE_REFUSED);
    assert_int_equal(ldns_pkt2wire(&wire, e, &len), LDNS_STATUS_OK);
    r = ad_reply_parse(wire, len, name, LDNS_RR_TYPE_TXT);
    assert_non_null(r);
    ldns_pkt_free(r);
    free(wire);
    ldns_pkt_set_rcode(e, LDNS_RCODE_NOERROR);
    assert_int_equal(ldns_pkt2wire(&wire, e, &len), LDNS_STATUS_OK);
    assert_null(ad_reply_parse(wire, len, name, LDNS_RR_TYPE_TXT));
    free(wire);
    ldns_pkt_free(e);
    ldns_pkt_free(q);
    ldns_rdf_deep_free(other);
    ldns_rdf_deep_free(name);
    char buf[32];
    assert_string_equal(ad_dns_rcode_str(LDNS_RCODE_REFUSED, buf, sizeof buf), "REFUSED");
    assert_string_equal(ad_dns_rcode_str(LDNS_RCODE_NXDOMAIN, buf, sizeof buf), "NXDOMAIN");
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
    ldns_rdf *name = ldns_dname_new_frm_str("_acme-challenge.example.test");
    ldns_rdf *apex = ldns_dname_new_frm_str("example.test"), *below = ldns_dname_new_frm_str("x._acme-challenge.example.test");
    static const char *const two[] = {
        "_acme-challenge.example.test. IN TXT \"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0\"",
        "_ACME-Challenge.Example.Test. IN TXT \"second-value\"",
    };
    ldns_pkt *p = over_wire(reply(two, 2, LDNS_SECTION_ANSWER));
    assert_true(ad_pkt_has_txt(p, name, "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"));
    assert_true(ad_pkt_has_txt(p, name, "second-value"));
    assert_false(ad_pkt_has_txt(p, name, "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX"));
    assert_false(ad_pkt_has_txt(p, name, "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0x"));
    assert_false(ad_pkt_has_txt(p, name, "second-VALUE"));
    assert_false(ad_pkt_has_txt(p, name, ""));
    assert_false(ad_pkt_has_txt(p, apex, "second-value"));
    assert_false(ad_pkt_has_txt(p, below, "second-value"));
    assert_true(ad_pkt_any_txt(p, name));
    assert_false(ad_pkt_any_txt(p, apex));
    ldns_pkt_free(p);

    /* a value split into several character strings is their concatenation */
    static const char *const split[] = {"_acme-challenge.example.test. IN TXT \"abc\" \"def\" \"\""};
    p = over_wire(reply(split, 1, LDNS_SECTION_ANSWER));
    assert_true(ad_pkt_has_txt(p, name, "abcdef"));
    assert_false(ad_pkt_has_txt(p, name, "abc"));
    assert_false(ad_pkt_has_txt(p, name, "abc def"));
    ldns_pkt_free(p);

    /* the value only in the authority section, in another class or another type: not served */
    static const char *const auth[] = {"_acme-challenge.example.test. IN TXT \"v\""};
    p = over_wire(reply(auth, 1, LDNS_SECTION_AUTHORITY));
    assert_false(ad_pkt_has_txt(p, name, "v"));
    assert_false(ad_pkt_any_txt(p, name));
    ldns_pkt_free(p);
    static const char *const other[] = {"_acme-challenge.example.test. CH TXT \"v\"",
                                        "_acme-challenge.example.test. IN SPF \"v\"",
                                        "_acme-challenge.example.test. IN CNAME v.example.test."};
    p = over_wire(reply(other, 3, LDNS_SECTION_ANSWER));
    assert_false(ad_pkt_has_txt(p, name, "v"));
    assert_false(ad_pkt_any_txt(p, name));
    ldns_pkt_free(p);

    /* empty answer (NXDOMAIN / NODATA) and NULLs */
    p = over_wire(reply(NULL, 0, LDNS_SECTION_ANSWER));
    assert_false(ad_pkt_has_txt(p, name, "v"));
    ldns_pkt_free(p);
    ldns_rdf_deep_free(name);
    ldns_rdf_deep_free(apex);
    ldns_rdf_deep_free(below);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolv_conf), cmocka_unit_test(test_dname),
        cmocka_unit_test(test_query_and_reply), cmocka_unit_test(test_txt_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
