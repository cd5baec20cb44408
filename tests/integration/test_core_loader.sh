#!/usr/bin/env bash
# The plugin loader and the command line: each failure has a clear message naming the
# file or option and its own exit status; help and version work. Needs no CA or DNS.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
BUILD=${ACME_DNS_BUILD:?set ACME_DNS_BUILD to the build directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
D=$(bed_tmpdir)
TP=$BUILD/test-plugins

# run EXPECTED_STATUS ARGS...: run acme-dns, output in $D/out.log
run() {
    local want=$1 rc=0
    shift
    "$ACME_DNS" --state-dir "$D/state" "$@" >"$D/out.log" 2>&1 || rc=$?
    if [ "$rc" != "$want" ]; then
        cat "$D/out.log" >&2
        fail "acme-dns $* exited $rc, expected $want"
    fi
}

# Help, version, provider help.
run 0 --help
assert_contains "$D/out.log" "exit status:"
assert_contains "$D/out.log" "130  interrupted"
run 0 --version
assert_contains "$D/out.log" "acme-dns "
run 0 --provider hook --help
assert_contains "$D/out.log" "script"
run 0 --plugin-dir "$TP" --provider opts --help
assert_contains "$D/out.log" "(required)"
assert_contains "$D/out.log" "password"
assert_contains "$D/out.log" "(secret)"

# The example out-of-tree plugin loads and describes itself.
run 0 --plugin-dir "$TP" --provider zonefile --help
assert_contains "$D/out.log" "provider zonefile: Example: TXT records in a zone-file fragment"

# Bad command lines: exit 2.
run 2 --provider hook
assert_contains "$D/out.log" "no domain"
run 2 --provider hook -d 'exa mple.test'
assert_contains "$D/out.log" "not a valid domain name"
run 2 --provider hook -d 'a.*.example.test'
assert_contains "$D/out.log" "leftmost label"
run 2 --provider hook -d example.test --frobnicate
assert_contains "$D/out.log" "unknown option --frobnicate"
run 2 --provider hook -d example.test renew-all
assert_contains "$D/out.log" "unknown command"
run 2 --provider hook -d example.test --server http://127.0.0.1/dir
assert_contains "$D/out.log" "https://"
# Options before and after the command word.
run 0 --state-dir "$D/x" issue --version

# Plugin not found: the message lists where it looked.
run 3 --plugin-dir "$D/nowhere" --provider nosuch -d example.test
assert_contains "$D/out.log" "provider 'nosuch' not found"
assert_contains "$D/out.log" "$D/nowhere/nosuch.so"
assert_contains "$D/out.log" "$BUILD/bin/../lib/acme-dns/plugins/nosuch.so"
run 2 --provider '../evil' -d example.test
assert_contains "$D/out.log" "not valid"
# A shared object without the descriptor.
run 3 --plugin-dir "$TP" --provider nosym -d example.test
assert_contains "$D/out.log" "$TP/nosym.so is not an acme-dns plugin"
# A plugin of another ABI major version.
run 3 --plugin-dir "$TP" --provider badabi -d example.test
assert_contains "$D/out.log" "$TP/badabi.so was built for plugin ABI 2"
# A file that is not a shared object at all.
mkdir -p "$D/junk"
echo "not an ELF file" >"$D/junk/junk.so"
run 3 --plugin-dir "$D/junk" --provider junk -d example.test
assert_contains "$D/out.log" "cannot load plugin $D/junk/junk.so"

# Option schema: unknown, missing required, given twice; secrets redacted.
run 3 --plugin-dir "$TP" --provider opts -d example.test --provider-opt endpoint=x --provider-opt colour=red
assert_contains "$D/out.log" "provider opts has no option 'colour'"
run 3 --plugin-dir "$TP" --provider opts -d example.test
assert_contains "$D/out.log" "needs the option 'endpoint'"
run 3 --plugin-dir "$TP" --provider opts -d example.test --provider-opt endpoint=a --provider-opt endpoint=b
assert_contains "$D/out.log" "given twice"
run 3 --plugin-dir "$TP" --provider opts -d example.test -v --provider-opt endpoint=e1 \
    --provider-opt password=hunter2-very-secret
assert_contains "$D/out.log" "init with endpoint e1 and password ***"
assert_not_contains "$D/out.log" "hunter2-very-secret"

# As root, a plugin that others can write, or in a folder that others can write, is refused.
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$D/unsafe" "$D/unsafe-dir"
    cp "$BUILD/lib/acme-dns/plugins/hook.so" "$D/unsafe/hook.so"
    chmod 755 "$D/unsafe"
    chmod 666 "$D/unsafe/hook.so"
    run 3 --plugin-dir "$D/unsafe" --provider hook -d example.test
    assert_contains "$D/out.log" "refusing plugin $D/unsafe/hook.so"
    cp "$BUILD/lib/acme-dns/plugins/hook.so" "$D/unsafe-dir/hook.so"
    chmod 644 "$D/unsafe-dir/hook.so"
    chmod 777 "$D/unsafe-dir"
    run 3 --plugin-dir "$D/unsafe-dir" --provider hook -d example.test
    assert_contains "$D/out.log" "its folder $D/unsafe-dir"
fi
rm -rf "$D"
echo "PASS: test_core_loader"
