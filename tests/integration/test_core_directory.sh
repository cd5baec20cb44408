#!/usr/bin/env bash
# The directory command: what the CA's ACME directory offers, against Pebble;
# refusals of a plain-http URL, an untrusted CA and a server that is not ACME;
# the binary's HTTPS is libcurl's.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
D=$(bed_tmpdir)
bed_up "$D"

# run EXPECTED_STATUS ARGS...: acme-dns in the bed's namespace, output in $D/out.log
run() {
    local want=$1 rc=0
    shift
    bed_run "$D" "$ACME_DNS" "$@" >"$D/out.log" 2>&1 || rc=$?
    if [ "$rc" != "$want" ]; then
        cat "$D/out.log" >&2
        fail "acme-dns $* exited $rc, expected $want"
    fi
}

run 0 directory --server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE"
assert_contains "$D/out.log" "ACME directory $ACME_DIR_URL"
assert_contains "$D/out.log" "newOrder:                https://$DNS_PRIMARY:14000/order-plz"
assert_contains "$D/out.log" "terms of service:        data:text/plain,Do%20what%20thou%20wilt"
assert_contains "$D/out.log" "external account needed: no"

run 2 directory --server "http://$DNS_PRIMARY:14000/dir"
assert_contains "$D/out.log" "must be an https:// URL"
run 7 directory --server "$ACME_DIR_URL"
assert_contains "$D/out.log" "check --ca-bundle"
# The management interface is HTTPS but not an ACME directory.
run 7 directory --server "$PEBBLE_MGMT_URL/roots/0" --ca-bundle "$ACME_CA_BUNDLE"
assert_contains "$D/out.log" "is not an ACME directory"
# HTTPS through libcurl: the binary links it, and not an HTTP/2 library of its own.
needed=$(readelf -d "$ACME_DNS" | awk '/NEEDED/ {print $NF}')
grep -q 'libcurl' <<<"$needed" || fail "acme-dns does not link libcurl: $needed"
if grep -q 'nghttp2' <<<"$needed"; then fail "acme-dns links libnghttp2 itself: $needed"; fi
echo "PASS: test_core_directory"
