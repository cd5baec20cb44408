/* Unit tests: command-line parsing and domain validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "jws.h"

#define ARGS(...) ((char *[]){"acme-dns", __VA_ARGS__, NULL})
#define ARGC(a) ((int)(sizeof(a) / sizeof *(a)) - 1)

/* ARGC is ignored for NULL-terminated vectors: the length is counted. */
static ad_status parse(int argc, char **argv, struct ad_cli *c)
{
    int n = 0;
    while (argv[n] && (argc < 0 || n < argc))
        n++;
    return ad_cli_parse(n, argv, c);
}

static void test_basic(void **st)
{
    (void)st;
    struct ad_cli c;
    char **a = ARGS("--provider", "hook", "-d", "Example.COM.", "-d", "*.example.com", "--provider-opt",
                    "script=/bin/true", "--key-type", "rsa3072", "-v");
    assert_int_equal(parse(-1, a, &c), AD_OK);
    assert_string_equal(c.command, "issue");
    assert_string_equal(c.provider, "hook");
    assert_int_equal(c.ndomains, 2);
    assert_string_equal(c.domains[0], "example.com");
    assert_string_equal(c.domains[1], "*.example.com");
    assert_int_equal(c.npopts, 1);
    assert_string_equal(c.popts[0].name, "script");
    assert_string_equal(c.popts[0].value, "/bin/true");
    assert_int_equal(c.key_type, AD_KEY_RSA3072);
    assert_int_equal(c.verbosity, 2);
    assert_string_equal(c.server, AD_LE_PRODUCTION);
    assert_string_equal(c.cert_name, "example.com");
    assert_int_equal(c.propagation_timeout, 120);
    ad_cli_clear(&c);
}

static void usage_error(char **argv)
{
    struct ad_cli c;
    assert_int_equal(parse(-1, argv, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
}

/* Each --provider serves the -d names after it (names before the first go
 * to the first); each --provider-opt goes to the --provider before it. */
static void test_provider_groups(void **st)
{
    (void)st;
    struct ad_cli c;
    char **a = ARGS("-d", "a.example", "--provider-opt", "zone-id=1", "--provider", "cloudflare", "-d",
                    "*.a.example", "--provider", "rfc2136", "--provider-opt", "server=192.0.2.1", "-d", "b.example",
                    "--provider-opt", "tsig-keyfile=/k", "-d", "b.example");
    assert_int_equal(parse(-1, a, &c), AD_OK);
    assert_int_equal(c.nproviders, 2);
    assert_string_equal(c.provider, "cloudflare");
    assert_int_equal(c.npopts, 1);
    assert_string_equal(c.popts[0].name, "zone-id");
    assert_string_equal(c.providers[0].name, "cloudflare");
    assert_string_equal(c.providers[1].name, "rfc2136");
    assert_int_equal(c.providers[1].npopts, 2);
    assert_string_equal(c.providers[1].popts[1].value, "/k");
    assert_int_equal(c.ndomains, 3); /* b.example once: twice at the same provider */
    assert_int_equal(c.domain_provider[0], 0);
    assert_int_equal(c.domain_provider[1], 0);
    assert_int_equal(c.domain_provider[2], 1);
    ad_cli_clear(&c);

    /* One provider: every option and name is its own, wherever given. */
    char **b = ARGS("-d", "a.example", "--provider-opt", "x=1", "-p", "hook", "--provider-opt", "y=2", "-d", "b.example");
    assert_int_equal(parse(-1, b, &c), AD_OK);
    assert_int_equal(c.nproviders, 1);
    assert_int_equal(c.npopts, 2);
    assert_int_equal(c.domain_provider[1], 0);
    ad_cli_clear(&c);

    /* check takes groups too, and no CA. */
    char **k = ARGS("check", "-p", "hook", "-d", "a.example", "-p", "rfc2136", "-d", "b.example", "--json");
    assert_int_equal(parse(-1, k, &c), AD_OK);
    assert_string_equal(c.command, "check");
    assert_true(c.json);
    assert_null(c.cert_name);
    ad_cli_clear(&c);

    usage_error(ARGS("-p", "hook", "-d", "a.example", "-p", "rfc2136"));                   /* serves nothing */
    usage_error(ARGS("-p", "hook", "-d", "a.example", "-p", "rfc2136", "-d", "A.example.")); /* two providers */
    usage_error(ARGS("plugins", "-d", "a.example"));
    usage_error(ARGS("plugins", "--json"));
    char **ok1 = ARGS("plugins", "--plugin-dir", "/x", "-q");
    assert_int_equal(parse(-1, ok1, &c), AD_OK);
    assert_int_equal(c.verbosity, 0);
    ad_cli_clear(&c);
    /* --json goes with directory and issue now. */
    char **ok2 = ARGS("directory", "--json"), **ok3 = ARGS("-p", "hook", "-d", "a.example", "--json");
    char **oks[] = {ok2, ok3};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(parse(-1, oks[i], &c), AD_OK);
        assert_true(c.json);
        ad_cli_clear(&c);
    }
}

static void test_command_word_anywhere(void **st)
{
    (void)st;
    struct ad_cli c;
    char **a = ARGS("--state-dir", "/tmp/x", "issue", "-p", "hook", "-d", "*.a.example");
    assert_int_equal(parse(-1, a, &c), AD_OK);
    assert_string_equal(c.state_dir, "/tmp/x");
    assert_string_equal(c.cert_name, "_.a.example");
    ad_cli_clear(&c);
    char **b = ARGS("issue", "--state-dir", "/tmp/y", "-p", "hook", "-d", "a.example", "--staging");
    assert_int_equal(parse(-1, b, &c), AD_OK);
    assert_string_equal(c.state_dir, "/tmp/y");
    assert_string_equal(c.server, AD_LE_STAGING);
    ad_cli_clear(&c);
}

static void test_usage_errors(void **st)
{
    (void)st;
    struct ad_cli c;
    char **a1 = ARGS("-d", "example.com");
    assert_int_equal(parse(-1, a1, &c), AD_ERR_USAGE); /* no provider */
    ad_cli_clear(&c);
    char **a2 = ARGS("-p", "hook");
    assert_int_equal(parse(-1, a2, &c), AD_ERR_USAGE); /* no domain */
    ad_cli_clear(&c);
    char **a3 = ARGS("-p", "hook", "-d", "example.com", "renewx");
    assert_int_equal(parse(-1, a3, &c), AD_ERR_USAGE); /* unknown command */
    ad_cli_clear(&c);
    char **a4 = ARGS("-p", "hook", "-d", "example.com", "--bogus");
    assert_int_equal(parse(-1, a4, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
    char **a5 = ARGS("-p", "hook", "-d", "example.com", "--key-type", "dsa");
    assert_int_equal(parse(-1, a5, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
    char **a6 = ARGS("-p", "hook", "-d", "example.com", "--provider-opt", "novalue");
    assert_int_equal(parse(-1, a6, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
    char **a7 = ARGS("-p", "hook", "-d", "example.com", "--server", "http://insecure.test/dir");
    assert_int_equal(parse(-1, a7, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
    char **a8 = ARGS("-p", "hook", "-d", "example.com", "--propagation-timeout", "-1");
    assert_int_equal(parse(-1, a8, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
    char **a9 = ARGS("-p", "hook", "-d", "example.com", "--cert-name", "../etc");
    assert_int_equal(parse(-1, a9, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
    char **a10 = ARGS("-p", "hook", "-d");
    assert_int_equal(parse(-1, a10, &c), AD_ERR_USAGE); /* missing value */
    ad_cli_clear(&c);
    char **a11 = ARGS("-p", "hook", "-d", "bad_name.example");
    assert_int_equal(parse(-1, a11, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
}

static void test_duplicates_and_limit(void **st)
{
    (void)st;
    struct ad_cli c;
    char **a = ARGS("-p", "hook", "-d", "a.example", "-d", "A.example", "-d", "a.example.");
    assert_int_equal(parse(-1, a, &c), AD_OK);
    assert_int_equal(c.ndomains, 1);
    ad_cli_clear(&c);
    char *many[2 + 2 * 101 + 1];
    char names[101][32];
    many[0] = "acme-dns";
    many[1] = "-phook";
    for (int i = 0; i < 101; i++) {
        snprintf(names[i], sizeof names[i], "n%d.example.test", i);
        many[2 + 2 * i] = "-d";
        many[3 + 2 * i] = names[i];
    }
    many[2 + 2 * 101] = NULL;
    assert_int_equal(parse(2 + 2 * 100, many, &c), AD_OK);
    assert_int_equal(c.ndomains, 100);
    ad_cli_clear(&c);
    assert_int_equal(parse(2 + 2 * 101, many, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
}

static void test_help_version(void **st)
{
    (void)st;
    struct ad_cli c;
    char **a = ARGS("--version");
    assert_int_equal(parse(-1, a, &c), AD_OK);
    assert_true(c.version);
    ad_cli_clear(&c);
    char **b = ARGS("--provider", "rfc2136", "--help");
    assert_int_equal(parse(-1, b, &c), AD_OK);
    assert_true(c.help);
    assert_string_equal(c.provider, "rfc2136");
    ad_cli_clear(&c);
}

static void check_domain(const char *in, const char *want)
{
    char *out = NULL;
    const char *why = NULL;
    ad_status rc = ad_domain_check(in, &out, &why);
    if (want) {
        assert_int_equal(rc, AD_OK);
        assert_string_equal(out, want);
        free(out);
    } else {
        assert_int_equal(rc, AD_ERR_USAGE);
        assert_non_null(why);
        assert_null(out);
    }
}

static void test_domains(void **st)
{
    (void)st;
    check_domain("example.com", "example.com");
    check_domain("WWW.Example.Com.", "www.example.com");
    check_domain("*.example.com", "*.example.com");
    check_domain("xn--bcher-kva.example", "xn--bcher-kva.example");
    check_domain("a-b.c1.example", "a-b.c1.example");
    check_domain("", NULL);
    check_domain(".", NULL);
    check_domain("com", NULL);
    check_domain("*.com", NULL);
    check_domain("a..example", NULL);
    check_domain(".a.example", NULL);
    check_domain("a.*.example", NULL);
    check_domain("**.example.com", NULL);
    check_domain("*example.com", NULL);
    check_domain("-a.example", NULL);
    check_domain("a-.example", NULL);
    check_domain("a b.example", NULL);
    check_domain("a/b.example", NULL);
    check_domain("under_score.example", NULL);
    check_domain("\xc3\xa9.example", NULL);
    char big[300];
    memset(big, 'a', 64);
    strcpy(big + 64, ".example");
    check_domain(big, NULL); /* label of 64 */
    memset(big, 'a', 63);
    strcpy(big + 63, ".example");
    check_domain(big, big); /* a label of 63: fine */
    memset(big, 'a', 260);
    for (int i = 50; i < 260; i += 50)
        big[i] = '.';
    big[260] = '\0';
    check_domain(big, NULL); /* longer than 253 */
}

static void test_renew_and_certificates(void **st)
{
    (void)st;
    struct ad_cli c;
    char **a = ARGS("renew", "--cert-name", "a", "--cert-name", "b", "--cert-name", "a", "--force", "--json",
                    "--deploy-hook", " /usr/bin/systemctl  reload\tnginx ");
    assert_int_equal(parse(-1, a, &c), AD_OK);
    assert_string_equal(c.command, "renew");
    assert_int_equal(c.ncert_names, 3);
    assert_true(c.force && c.json);
    assert_false(c.server_given);
    assert_null(c.server); /* renew: each certificate's own server unless --server */
    assert_int_equal(c.ndeploy_hook, 3);
    assert_string_equal(c.deploy_hook[0], "/usr/bin/systemctl");
    assert_string_equal(c.deploy_hook[2], "nginx");
    ad_cli_clear(&c);
    char **b = ARGS("renew", "--staging", "--propagation-timeout", "5");
    assert_int_equal(parse(-1, b, &c), AD_OK);
    assert_true(c.server_given && c.propagation_given);
    assert_string_equal(c.server, AD_LE_STAGING);
    ad_cli_clear(&c);
    char **d = ARGS("certificates", "--json");
    assert_int_equal(parse(-1, d, &c), AD_OK);
    assert_string_equal(c.command, "certificates");
    ad_cli_clear(&c);
    /* What a certificate is comes from its settings, not from renew's command line. */
    char **e1 = ARGS("renew", "-d", "a.example");
    assert_int_equal(parse(-1, e1, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
    char **e2 = ARGS("renew", "--provider", "hook");
    assert_int_equal(parse(-1, e2, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
    char **e3 = ARGS("certificates", "--force");
    assert_int_equal(parse(-1, e3, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
    /* --force does not go with issue; issue takes one --cert-name. */
    char **e4 = ARGS("-p", "hook", "-d", "a.example", "--force");
    assert_int_equal(parse(-1, e4, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
    char **e5 = ARGS("-p", "hook", "-d", "a.example", "--cert-name", "x", "--cert-name", "y");
    assert_int_equal(parse(-1, e5, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
    char **e6 = ARGS("-p", "hook", "-d", "a.example", "--deploy-hook", "   ");
    assert_int_equal(parse(-1, e6, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
    char **e7 = ARGS("renew", "--cert-name", "../x");
    assert_int_equal(parse(-1, e7, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
    char **ok = ARGS("-p", "hook", "-d", "a.example", "--cert-name", "mine", "--deploy-hook", "/bin/true");
    assert_int_equal(parse(-1, ok, &c), AD_OK);
    assert_string_equal(c.cert_name, "mine");
    assert_int_equal(c.ndeploy_hook, 1);
    ad_cli_clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_provider_groups),
        cmocka_unit_test(test_renew_and_certificates),
        cmocka_unit_test(test_command_word_anywhere),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_duplicates_and_limit),
        cmocka_unit_test(test_help_version),
        cmocka_unit_test(test_domains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
