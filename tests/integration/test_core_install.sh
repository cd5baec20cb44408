#!/usr/bin/env bash
# The install layout: `cmake --install` (into a staging folder) puts the binary, the
# plugins, the public headers, the plugin SDK's pkg-config file, the bash completion,
# the hook scripts and the systemd units where GNUInstallDirs says; the example plugin
# builds out of tree with `pkg-config --cflags acme-dns-plugin` alone and loads into the
# installed binary; the completion completes commands, options and installed providers;
# the man page is installed, renders without a warning (groff -ww, man -l), and names every
# long option `acme-dns --help` prints and every exit status of the README's table.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
BUILD=${ACME_DNS_BUILD:?set ACME_DNS_BUILD to the build directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
D=$(bed_tmpdir)
trap 'r=$?; [ "$r" != 0 ] || rm -rf "$D"; exit $r' EXIT

DESTDIR=$D/stage cmake --install "$BUILD" >"$D/install.log" 2>&1 || { cat "$D/install.log" >&2; fail "cmake --install"; }
prefix=$(sed -n 's/^prefix=//p' "$BUILD/acme-dns-plugin.pc")
P=$D/stage$prefix
for f in bin/acme-dns include/acme-dns/plugin.h include/acme-dns/status.h \
    share/bash-completion/completions/acme-dns share/acme-dns/hooks/nsupdate.sh \
    share/acme-dns/hooks/reload-nginx.sh lib/systemd/system/acme-dns.service lib/systemd/system/acme-dns.timer \
    share/man/man1/acme-dns.1; do
    [ -f "$P/$f" ] || fail "not installed: $prefix/$f"
done
pc=$(find "$P" -name acme-dns-plugin.pc)
[ -n "$pc" ] || fail "acme-dns-plugin.pc not installed"
plugindir=$(PKG_CONFIG_PATH=${pc%/*} pkg-config --define-prefix --variable=plugindir acme-dns-plugin)
for p in hook rfc2136 cloudflare; do
    [ -f "$plugindir/$p.so" ] || fail "plugin $p.so not in pkg-config's plugindir $plugindir"
done
[ -x "$P/share/acme-dns/hooks/nsupdate.sh" ] || fail "nsupdate.sh is not executable"
assert_contains "$P/lib/systemd/system/acme-dns.service" "ExecStart=$prefix/bin/acme-dns renew"

# The example plugin, out of tree, with the SDK's flags alone.
cflags=$(PKG_CONFIG_PATH=${pc%/*} pkg-config --define-prefix --cflags acme-dns-plugin | sed "s/ *$//")
[ "$cflags" = "-I$P/include" ] || fail "pkg-config --cflags gave '$cflags'"
mkdir "$D/zf"
# shellcheck disable=SC2086
cc -std=c17 -Wall -Wextra -Wpedantic -Werror -shared -fPIC -fvisibility=hidden $cflags \
    -o "$D/zf/zonefile.so" "$SRC/examples/plugin/zonefile.c" 2>"$D/cc.log" || { cat "$D/cc.log" >&2; fail "cc"; }
exported=$(nm -D --defined-only "$D/zf/zonefile.so" | awk '$2 ~ /[TDRB]/ {print $3}')
assert_eq acme_dns_provider "$exported" "symbols the example plugin exports"
"$P/bin/acme-dns" --plugin-dir "$D/zf" --provider zonefile --help >"$D/zf.log" 2>&1 ||
    { cat "$D/zf.log" >&2; fail "the installed acme-dns cannot load the example plugin"; }
assert_contains "$D/zf.log" "path"
"$P/bin/acme-dns" --plugin-dir "$plugindir" --provider rfc2136 --help >"$D/rfc.log" 2>&1 ||
    { cat "$D/rfc.log" >&2; fail "the installed acme-dns cannot load the installed rfc2136 plugin"; }
assert_contains "$D/rfc.log" "tsig-keyfile"

# Bash completion, with the installed binary as the command word.
complete_words() { # WORD... : what the completion offers for the last word
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _acme_dns; printf "%s\n" "${COMPREPLY[@]}"' \
        _ "$P/share/bash-completion/completions/acme-dns" "$@"
}
complete_words "$P/bin/acme-dns" --prov | grep -x -- --provider-opt >/dev/null || fail "completion: --prov does not offer --provider-opt"
complete_words "$P/bin/acme-dns" --prov | grep -x -- --provider >/dev/null || fail "completion: --prov does not offer --provider"
complete_words "$P/bin/acme-dns" ren | grep -x renew >/dev/null || fail "completion: ren does not offer renew"
complete_words "$P/bin/acme-dns" --plugin-dir "$plugindir" --provider r | grep -x rfc2136 >/dev/null ||
    fail "completion: --provider r does not offer rfc2136"
complete_words "$P/bin/acme-dns" --key-type ec | grep -x ec384 >/dev/null || fail "completion: --key-type ec does not offer ec384"
# The man page: no warning from groff or man; every long option of --help; every exit status
# of the README's table, in its EXIT STATUS section.
M=$P/share/man/man1/acme-dns.1
groff -man -Tutf8 -ww "$M" >"$D/man.utf8" 2>"$D/groff.log" || { cat "$D/groff.log" >&2; fail "groff -man failed"; }
[ ! -s "$D/groff.log" ] || { cat "$D/groff.log" >&2; fail "groff -man -ww warns about the man page"; }
MANWIDTH=80 man --warnings -l "$M" >"$D/man.txt" 2>"$D/man.log" || { cat "$D/man.log" >&2; fail "man -l failed"; }
[ ! -s "$D/man.log" ] || { cat "$D/man.log" >&2; fail "man -l warns about the man page"; }
groff -man -Tascii "$M" 2>/dev/null | col -b >"$D/man.ascii"
grep -q "^CONFIG FILE" "$D/man.ascii" || fail "man page: no CONFIG FILE section"
"$P/bin/acme-dns" --help >"$D/help.txt"
opts=$(grep -oE -- '--[a-z][a-z0-9-]*' "$D/help.txt" | sort -u)
[ "$(wc -l <<<"$opts")" -ge 30 ] || fail "acme-dns --help prints only $(wc -l <<<"$opts") long options"
for o in $opts; do
    grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|\$)" "$D/man.ascii" || fail "man page: $o (from acme-dns --help) is missing"
done
sed -n '/^EXIT STATUS/,/^[A-Z]/p' "$D/man.ascii" >"$D/man.exit"
codes=$(sed -n '/^### Exit statuses/,/^###* [^E]/s/^| \([0-9][0-9]*\) |.*/\1/p' "$SRC/README.md")
[ "$(wc -l <<<"$codes")" -ge 12 ] || fail "README: the exit-status table has only $(wc -l <<<"$codes") rows"
for c in $codes; do
    grep -qE "^ +$c( |\$)" "$D/man.exit" || fail "man page: exit status $c (README's table) is missing in EXIT STATUS"
done
echo "PASS: test_core_install"
