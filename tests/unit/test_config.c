/* Unit tests: the config file (core/config.c): the parser over a buffer, the
 * file checks, and its precedence under the command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli.h"
#include "config.h"
#include "jws.h"

static struct ad_config *parse_ok(const char *text)
{
    struct ad_config *cfg = NULL;
    char err[1024] = "";
    ad_status rc = ad_config_parse("t.conf", text, strlen(text), &cfg, err, sizeof err);
    if (rc != AD_OK)
        fail_msg("unexpected error: %s", err);
    assert_non_null(cfg);
    return cfg;
}

/* TEXT is refused with a message that starts with WHERE ("t.conf:N:") and holds WHAT. */
static void parse_bad(const char *text, size_t len, const char *where, const char *what)
{
    struct ad_config *cfg = (struct ad_config *)1;
    char err[1024] = "";
    assert_int_equal(ad_config_parse("t.conf", text, len, &cfg, err, sizeof err), AD_ERR_CONFIG);
    assert_null(cfg);
    if (strncmp(err, where, strlen(where)) != 0 || !strstr(err, what))
        fail_msg("message '%s' lacks '%s' ... '%s'", err, where, what);
}

static void test_parse(void **st)
{
    (void)st;
    struct ad_config *cfg = parse_ok("\xef\xbb\xbf# a comment\n"
                                     "\n"
                                     "  server = https://ca.example/dir   # trailing comment\r\n"
                                     "email=a@example.com\n"
                                     "deploy-hook = /usr/bin/reload \"nginx\"#not a comment\n"
                                     "preferred-chain = \"ISRG Root X1 #1 \"\n"
                                     "agree-tos = yes\n"
                                     "[provider rfc2136]\n"
                                     "server = 192.0.2.53\n"
                                     "tsig-keyfile = /etc/acme-dns/tsig.key\n"
                                     "empty =\n"
                                     "[ provider  cloudflare ]\n"
                                     "zone-id = 'abc'\n");
    assert_int_equal(ad_config_count(cfg), 5);
    const char *v;
    unsigned line;
    assert_string_equal(ad_config_entry(cfg, 0, &v, &line), "server");
    assert_string_equal(v, "https://ca.example/dir");
    assert_int_equal(line, 3);
    assert_string_equal(ad_config_get(cfg, "email"), "a@example.com");
    assert_string_equal(ad_config_get(cfg, "deploy-hook"), "/usr/bin/reload \"nginx\"#not a comment");
    assert_string_equal(ad_config_get(cfg, "preferred-chain"), "ISRG Root X1 #1 ");
    assert_null(ad_config_get(cfg, "tsig-keyfile"));
    assert_int_equal(ad_config_sections(cfg), 2);
    size_t n;
    assert_string_equal(ad_config_section(cfg, 0, &n), "rfc2136");
    assert_int_equal(n, 3);
    assert_string_equal(ad_config_section_entry(cfg, 0, 1, &v, &line), "tsig-keyfile");
    assert_string_equal(v, "/etc/acme-dns/tsig.key");
    assert_int_equal(line, 10);
    assert_string_equal(ad_config_section_entry(cfg, 0, 2, &v, &line), "empty");
    assert_string_equal(v, "");
    assert_string_equal(ad_config_section(cfg, 1, &n), "cloudflare");
    assert_string_equal(ad_config_section_entry(cfg, 1, 0, &v, &line), "zone-id");
    assert_string_equal(v, "abc");
    ad_config_free(cfg);
    /* an empty file, and one without a final newline */
    cfg = parse_ok("");
    assert_int_equal(ad_config_count(cfg), 0);
    ad_config_free(cfg);
    cfg = parse_ok("state-dir = /var/lib/x");
    assert_string_equal(ad_config_get(cfg, "state-dir"), "/var/lib/x");
    ad_config_free(cfg);
}

static void test_parse_errors(void **st)
{
    (void)st;
#define BAD(text, where, what) parse_bad(text, strlen(text), where, what)
    BAD("server = https://a/\nbogus = 1\n", "t.conf:2:", "bogus is not a setting");
    BAD("# c\nserver https://a/\n", "t.conf:2:", "write key = value");
    BAD("=x\n", "t.conf:1:", "write key = value");
    BAD("email = a@b.c\n\nemail = d@e.f\n", "t.conf:3:", "given twice (first at line 1)");
    BAD("[provider a]\nx = 1\nx = 2\n", "t.conf:3:", "given twice (first at line 2)");
    BAD("[provider a]\n[provider a]\n", "t.conf:2:", "[provider a] is given twice");
    BAD("[provider]\n", "t.conf:1:", "[provider NAME]");
    BAD("[other x]\n", "t.conf:1:", "[provider NAME]");
    BAD("[provider a b]\n", "t.conf:1:", "[provider NAME]");
    BAD("[provider a\n", "t.conf:1:", "[provider NAME]");
    BAD("eab-hmac-key = c2VjcmV0\n", "t.conf:1:", "eab-hmac-key-file");
    BAD("email =\n", "t.conf:1:", "email has no value");
    BAD("agree-tos = maybe\n", "t.conf:1:", "yes or no");
    BAD("server = http://ca.example/\n", "t.conf:1:", "https://");
    BAD("email = \"a@b.c\n", "t.conf:1:", "no closing quote");
    BAD("email = \"a@b.c\" x\n", "t.conf:1:", "after the quoted value");
    /* a pasted secret is never shown */
    struct ad_config *cfg = NULL;
    char err[1024];
    assert_int_equal(ad_config_parse("t.conf", "SeCrEt0xyz = \n", 14, &cfg, err, sizeof err), AD_ERR_CONFIG);
    assert_null(strstr(err, "SeCrEt"));
    assert_int_equal(ad_config_parse("t.conf", "[provider a]\nk = TOPSECRET x\"\n", 29, &cfg, err, sizeof err),
                     AD_OK);
    ad_config_free(cfg);
    parse_bad("email = a@b.c\0\n", 15, "t.conf:1:", "NUL");
    char line[AD_CONFIG_LINE_MAX + 40];
    memset(line, 'a', sizeof line);
    memcpy(line, "email = ", 8);
    line[sizeof line - 1] = '\n';
    parse_bad(line, sizeof line, "t.conf:1:", "longer than 1024");
    /* too many entries */
    size_t cap = (AD_CONFIG_MAX_ENTRIES + 2) * 16 + 32, len = 0;
    char *many = malloc(cap);
    assert_non_null(many);
    len += (size_t)snprintf(many, cap, "[provider a]\n");
    for (int i = 0; i <= AD_CONFIG_MAX_ENTRIES; i++)
        len += (size_t)snprintf(many + len, cap - len, "k%d = v\n", i);
    parse_bad(many, len, "t.conf:", "more than 256 settings");
    free(many);
#undef BAD
}

static char dir[] = "/tmp/test_config.XXXXXX";

static char *write_conf(const char *name, const char *text, mode_t mode)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    assert_non_null(path);
    sprintf(path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static void test_load(void **st)
{
    (void)st;
    struct ad_config *cfg = NULL;
    char err[1024] = "";
    char *p = write_conf("ok.conf", "email = a@b.c\n", 0644);
    assert_int_equal(ad_config_load(p, true, &cfg, err, sizeof err), AD_OK);
    assert_string_equal(ad_config_get(cfg, "email"), "a@b.c");
    ad_config_free(cfg);
    assert_int_equal(chmod(p, 0664), 0);
    assert_int_equal(ad_config_load(p, true, &cfg, err, sizeof err), AD_ERR_CONFIG);
    assert_non_null(strstr(err, "chmod go-w"));
    assert_int_equal(chmod(p, 0646), 0);
    assert_int_equal(ad_config_load(p, true, &cfg, err, sizeof err), AD_ERR_CONFIG);
    assert_non_null(strstr(err, "every user"));
    free(p);
    /* a missing file: nothing when it is the default, an error when named */
    char missing[128];
    snprintf(missing, sizeof missing, "%s/none.conf", dir);
    assert_int_equal(ad_config_load(missing, false, &cfg, err, sizeof err), AD_OK);
    assert_null(cfg);
    assert_int_equal(ad_config_load(missing, true, &cfg, err, sizeof err), AD_ERR_CONFIG);
    assert_non_null(strstr(err, "--config"));
    assert_int_equal(ad_config_load(dir, true, &cfg, err, sizeof err), AD_ERR_CONFIG);
    assert_non_null(strstr(err, "not a regular file"));
}

static ad_status parse_args(struct ad_cli *c, char **argv)
{
    int n = 0;
    while (argv[n])
        n++;
    return ad_cli_parse(n, argv, c);
}

#define ARGS(...) ((char *[]){"acme-dns", __VA_ARGS__, NULL})

static const char *popt(const struct ad_cli_provider *g, const char *name)
{
    for (size_t i = 0; i < g->npopts; i++)
        if (strcmp(g->popts[i].name, name) == 0)
            return g->popts[i].value;
    return NULL;
}

/* The file gives defaults; the command line wins; renew keeps its saved settings. */
static void test_precedence(void **st)
{
    (void)st;
    char *p = write_conf("p.conf",
                         "server = https://ca.example/dir\n"
                         "email = file@example.com\n"
                         "agree-tos = yes\n"
                         "key-type = ec384\n"
                         "state-dir = /tmp/state-from-file\n"
                         "provider = rfc2136\n"
                         "propagation-timeout = 33\n"
                         "http-timeout = 44\n"
                         "deploy-hook = /bin/echo file\n"
                         "reuse-key = no\n"
                         "[provider rfc2136]\n"
                         "server = 192.0.2.1\n"
                         "tsig = none\n"
                         "[provider hook]\n"
                         "script = /bin/true\n",
                         0600);
    struct ad_cli c;
    /* only the file */
    assert_int_equal(parse_args(&c, ARGS("--config", p, "-d", "a.example")), AD_OK);
    assert_string_equal(c.command, "issue");
    assert_string_equal(c.server, "https://ca.example/dir");
    assert_true(c.server_given);
    assert_string_equal(c.email, "file@example.com");
    assert_true(c.agree_tos);
    assert_false(c.reuse_key);
    assert_int_equal(c.key_type, AD_KEY_EC384);
    assert_string_equal(c.state_dir, "/tmp/state-from-file");
    assert_string_equal(c.provider, "rfc2136");
    assert_int_equal(c.propagation_timeout, 33);
    assert_int_equal(c.http_timeout, 44);
    assert_int_equal(c.ndeploy_hook, 2);
    assert_int_equal(c.nproviders, 1);
    assert_string_equal(popt(&c.providers[0], "server"), "192.0.2.1");
    assert_string_equal(popt(&c.providers[0], "tsig"), "none");
    assert_int_equal(c.npopts, 2);
    ad_cli_clear(&c);
    /* the command line overrides each, a provider option too, and the other provider gets its section */
    assert_int_equal(parse_args(&c, ARGS("-p", "rfc2136", "-d", "a.example", "--config", p, "--staging", "--email", "cli@example.com",
                                         "--key-type", "rsa2048", "--state-dir", "/tmp/s2", "--provider-opt",
                                         "server=192.0.2.2", "--propagation-timeout", "5", "--provider", "hook",
                                         "-d", "b.example")),
                     AD_OK);
    assert_string_equal(c.server, AD_LE_STAGING);
    assert_string_equal(c.email, "cli@example.com");
    assert_int_equal(c.key_type, AD_KEY_RSA2048);
    assert_string_equal(c.state_dir, "/tmp/s2");
    assert_int_equal(c.propagation_timeout, 5);
    assert_int_equal(c.nproviders, 2);
    assert_string_equal(c.providers[0].name, "rfc2136");
    assert_string_equal(popt(&c.providers[0], "server"), "192.0.2.2");
    assert_string_equal(popt(&c.providers[0], "tsig"), "none");
    assert_int_equal(c.providers[0].npopts, 2);
    assert_string_equal(c.providers[1].name, "hook");
    assert_string_equal(popt(&c.providers[1], "script"), "/bin/true");
    assert_int_equal(c.domain_provider[0], 0);
    assert_int_equal(c.domain_provider[1], 1);
    ad_cli_clear(&c);
    /* --provider on the command line replaces the file's provider */
    assert_int_equal(parse_args(&c, ARGS("--config", p, "--provider", "hook", "-d", "a.example")), AD_OK);
    assert_int_equal(c.nproviders, 1);
    assert_string_equal(c.provider, "hook");
    assert_null(popt(&c.providers[0], "tsig"));
    ad_cli_clear(&c);
    /* renew: the saved settings come first: no server, provider, email or hook from the file */
    assert_int_equal(parse_args(&c, ARGS("renew", "--config", p)), AD_OK);
    assert_false(c.server_given);
    assert_null(c.server);
    assert_null(c.provider);
    assert_null(c.email);
    assert_false(c.agree_tos);
    assert_false(c.propagation_given);
    assert_int_equal(c.ndeploy_hook, 0);
    assert_string_equal(c.state_dir, "/tmp/state-from-file");
    assert_int_equal(c.http_timeout, 44);
    ad_cli_clear(&c);
    /* a bad value from the file is a configuration error (exit status 3), from the command line a usage error */
    char *bad = write_conf("bad.conf", "email = a@b.c\nkey-type = dsa\n", 0600);
    assert_int_equal(parse_args(&c, ARGS("--config", bad, "-p", "hook", "-d", "a.example")), AD_ERR_CONFIG);
    ad_cli_clear(&c);
    assert_int_equal(parse_args(&c, ARGS("--config", bad, "--key-type", "ec256", "-p", "hook", "-d", "a.example")),
                     AD_OK);
    ad_cli_clear(&c);
    assert_int_equal(parse_args(&c, ARGS("--config", p, "--key-type", "dsa")), AD_ERR_USAGE);
    ad_cli_clear(&c);
    /* --help takes nothing from the file (the general usage, not the file's provider's options) */
    assert_int_equal(parse_args(&c, ARGS("--config", p, "--help")), AD_OK);
    assert_null(c.provider);
    assert_null(c.state_dir);
    ad_cli_clear(&c);
    /* a missing --config file, and --config without a value */
    assert_int_equal(parse_args(&c, ARGS("--config", "/nonexistent/acme-dns.conf", "-p", "hook", "-d", "a.example")),
                     AD_ERR_CONFIG);
    ad_cli_clear(&c);
    assert_int_equal(parse_args(&c, ARGS("-p", "hook", "-d", "a.example", "--config")), AD_ERR_USAGE);
    ad_cli_clear(&c);
    free(bad);
    free(p);
}

static int setup(void **st)
{
    (void)st;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_precedence),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
