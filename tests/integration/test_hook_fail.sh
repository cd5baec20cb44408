#!/usr/bin/env bash
# A hook that presents the first record and fails on the second: acme-dns exits 4,
# shows the script's stderr, cleans up what was presented, writes no certificate.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-12}

D=$(bed_tmpdir)
bed_up "$D"

# The hook: logs every call, delegates to nsupdate.sh, refuses its second present.
cat >"$D/hook.sh" <<'HOOK'
#!/bin/sh
log=${HOOK_TEST_LOG:?}
echo "$1 $2 $3" >>"$log"
if [ "$1" = present ]; then
    n=$(grep -c '^present ' "$log")
    if [ "$n" -ge 2 ]; then
        echo "hook-test: provider refused the record $2 (quota exceeded)" >&2
        exit 3
    fi
fi
exec "$HOOK_TEST_DELEGATE" "$@"
HOOK
chmod 755 "$D/hook.sh"

export HOOK_TEST_LOG=$D/calls.log HOOK_TEST_DELEGATE=$SRC/examples/hooks/nsupdate.sh
export ACME_DNS_NSUPDATE_SERVER=$DNS_SERVER ACME_DNS_NSUPDATE_KEYFILE=$TSIG_KEYFILE
: >"$HOOK_TEST_LOG"
rc=0
bed_acme "$D" --provider hook --provider-opt "script=$D/hook.sh" \
    -d example.test -d '*.example.test' >"$D/out.log" 2>&1 || rc=$?
if [ "$rc" != 4 ]; then
    tail -n 60 "$D/out.log" >&2
    fail "acme-dns exited $rc (expected 4: DNS provider failed)"
fi
assert_contains "$D/out.log" "hook-test: provider refused the record"
assert_contains "$D/out.log" "exit status 3"

# Exactly two presents (the first succeeded, the second failed, none after it).
assert_eq 2 "$(grep -c '^present ' "$HOOK_TEST_LOG")" "present calls"
# Cleanup was called for what was presented: the first record's value.
first=$(awk '$1 == "present" {print $2, $3; exit}' "$HOOK_TEST_LOG")
grep -qxF "cleanup $first" "$HOOK_TEST_LOG" || {
    cat "$HOOK_TEST_LOG" >&2
    fail "no cleanup call for the presented record ($first)"
}
assert_eq "" "$(bed_txt "$D" _acme-challenge.example.test)" "TXT left at _acme-challenge.example.test"

# No certificate was written.
if [ -d "$D/state/certs" ] && [ -n "$(find "$D/state/certs" -name '*.pem' -print -quit)" ]; then
    find "$D/state/certs" -type f >&2
    fail "certificate files were written after a provider failure"
fi
echo "PASS: test_hook_fail"
