#!/usr/bin/env bash
# Input checks at start, before the CA is asked anything: an IP address given with -d, a
# --dns-resolver that is not an address, --http-timeout 0 (exit 2); a TSIG key name with an
# empty label, in a key file or in tsig-name (exit 3); a TSIG key file that every user can read
# (a warning, as for Cloudflare's token file).  No bed: the CA URL points at a closed port, so a
# run that got as far as the CA would exit 7.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
D=$(bed_tmpdir)
trap 'r=$?; [ "$r" != 0 ] || rm -rf "$D"; exit $r' EXIT
CA=https://127.0.0.1:9/dir

# run WANT LOG ARGS...: acme-dns (resolver on loopback only) exits WANT
run() {
    local want=$1 log=$2 rc=0
    shift 2
    bash "$SRC/tests/unit/loopback_resolver.sh" "$ACME_DNS" --server "$CA" --state-dir "$D/state" \
        --agree-tos "$@" >"$log" 2>&1 || rc=$?
    [ "$rc" = "$want" ] || { cat "$log" >&2; fail "acme-dns $* exited $rc, expected $want"; }
}

for ip in 192.0.2.1 2001:db8::1 '[2001:db8::1]' 192.0.2.1.; do
    run 2 "$D/ip.log" --provider hook --provider-opt script=/bin/true -d example.test -d "$ip"
    assert_contains "$D/ip.log" "-d $ip: an IP address cannot be validated with dns-01"
done
run 2 "$D/res.log" --provider hook --provider-opt script=/bin/true -d example.test --dns-resolver ns1.example.test
assert_contains "$D/res.log" "--dns-resolver ns1.example.test: not an address"
run 2 "$D/res.log" --provider hook --provider-opt script=/bin/true -d example.test --dns-resolver 192.0.2.1:99999
assert_contains "$D/res.log" "--dns-resolver 192.0.2.1:99999: not an address"
run 2 "$D/ht.log" directory --http-timeout 0
assert_contains "$D/ht.log" "--http-timeout 0: give at least 1 second"

secret=$(head -c 32 /dev/urandom | base64)
printf 'key "acme-key.example.." {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$secret" >"$D/empty.key"
chmod 600 "$D/empty.key"
run 3 "$D/kf.log" --provider rfc2136 --provider-opt server=127.0.0.1:9 --provider-opt "tsig-keyfile=$D/empty.key" \
    -d example.test
assert_contains "$D/kf.log" "$D/empty.key line 1: key name \"acme-key.example..\" is not a valid domain name"
assert_not_contains "$D/kf.log" "$secret"
run 3 "$D/kn.log" --provider rfc2136 --provider-opt server=127.0.0.1:9 --provider-opt tsig-name=acme-key.example.. \
    --provider-opt "tsig-secret=$secret" -d example.test
assert_contains "$D/kn.log" "TSIG key name \"acme-key.example..\" is not a valid domain name"
assert_not_contains "$D/kn.log" "$secret"

printf 'key "acme-key" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$secret" >"$D/ok.key"
chmod 644 "$D/ok.key"
run 7 "$D/perm.log" --provider rfc2136 --provider-opt server=127.0.0.1:9 --provider-opt "tsig-keyfile=$D/ok.key" \
    -d example.test
assert_contains "$D/perm.log" "TSIG key file $D/ok.key can be read by every user (mode 0644): chmod o-rwx $D/ok.key"
chmod 600 "$D/ok.key"
run 7 "$D/perm.log" --provider rfc2136 --provider-opt server=127.0.0.1:9 --provider-opt "tsig-keyfile=$D/ok.key" \
    -d example.test
assert_not_contains "$D/perm.log" "can be read by every user"
echo "PASS: test_core_input_checks"
