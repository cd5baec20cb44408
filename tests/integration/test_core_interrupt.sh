#!/usr/bin/env bash
# Ctrl-C removes the records presented so far (exit 130); a run killed outright leaves its
# journal, and the next run removes those records first. Also: the account is found again.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-91}
D=$(bed_tmpdir)
bed_up "$D"
export ACME_DNS_NSUPDATE_SERVER=$DNS_SERVER ACME_DNS_NSUPDATE_KEYFILE=$TSIG_KEYFILE

# A hook that presents its first record, then hangs on the second.
cat >"$D/hang.sh" <<'HOOK'
#!/bin/sh
echo "$1 $2 $3" >>"$HANG_LOG"
if [ "$1" = present ] && [ "$(grep -c '^present ' "$HANG_LOG")" -ge 2 ]; then
    echo $$ >"$HANG_PIDFILE"
    exec sleep 300
fi
exec "$NSUPDATE_HOOK" "$@"
HOOK
chmod 755 "$D/hang.sh"
export HANG_LOG=$D/calls.log HANG_PIDFILE=$D/hung.pid NSUPDATE_HOOK=$SRC/examples/hooks/nsupdate.sh

# The journals (one per provider as started): STATE/journals/*.json.
journals() { find "$D/state/journals" -name '*.json' 2>/dev/null; }

acme_pid() { pgrep -f -- "--state-dir $D/state" | head -n 1; }
wait_hung() {
    for _ in $(seq 200); do [ -s "$HANG_PIDFILE" ] && return; sleep 0.05; done
    fail "the hook never reached its second present"
}

# 1. SIGINT while the hook hangs: the hook is stopped, cleanup runs, exit 130.
: >"$HANG_LOG"
rm -f "$HANG_PIDFILE"
rc=0
bed_acme "$D" --provider hook --provider-opt "script=$D/hang.sh" -d example.test -d '*.example.test' \
    >"$D/int.log" 2>&1 &
job=$!
wait_hung
[ -n "$(bed_txt "$D" _acme-challenge.example.test)" ] || fail "the first record was not presented"
kill -INT "$(acme_pid)"
wait "$job" || rc=$?
[ "$rc" = 130 ] || { cat "$D/int.log" >&2; fail "interrupted run exited $rc, expected 130"; }
assert_contains "$D/int.log" "interrupted"
assert_eq "" "$(bed_txt "$D" _acme-challenge.example.test)" "TXT left after SIGINT"
grep -q '^cleanup ' "$HANG_LOG" || fail "cleanup was not called after SIGINT"
if kill -0 "$(cat "$HANG_PIDFILE")" 2>/dev/null; then fail "the hung hook still runs after SIGINT"; fi
[ -z "$(journals)" ] || fail "the journal was left after a clean interrupt: $(journals)"

# 2. SIGKILL: the record stays, and so does the journal.
: >"$HANG_LOG"
rm -f "$HANG_PIDFILE"
bed_acme "$D" --provider hook --provider-opt "script=$D/hang.sh" -d example.test -d '*.example.test' \
    >"$D/kill.log" 2>&1 &
job=$!
wait_hung
kill -KILL "$(acme_pid)"
wait "$job" || true
kill "$(cat "$HANG_PIDFILE")" 2>/dev/null || true
left=$(bed_txt "$D" _acme-challenge.example.test)
[ -n "$left" ] || fail "expected the killed run's record to be left in DNS"
j=$(journals)
[ -n "$j" ] && [ -s "$j" ] || fail "the killed run left no journal"
grep -qF "\"name\":\"hook\"" "$j" || fail "the journal does not name its provider: $(cat "$j")"
grep -qF "$D/hang.sh" "$j" || fail "the journal does not keep the provider's options: $(cat "$j")"

# 3. The next run removes it first, then issues; the account is reused, not created.
bed_acme "$D" --provider hook --provider-opt "script=$NSUPDATE_HOOK" -d example.test -d '*.example.test' \
    >"$D/next.log" 2>&1 || { cat "$D/next.log" >&2; fail "the run after the kill failed"; }
assert_contains "$D/next.log" "an interrupted run left behind"
assert_not_contains "$D/next.log" "created account"
[ -z "$(journals)" ] || fail "journal left after a successful run: $(journals)"
assert_eq "" "$(bed_txt "$D" _acme-challenge.example.test)" "TXT left after the recovering run"
bed_verify_cert "$D" "$D/state/certs/example.test" example.test '*.example.test'

# 4. With the account URL lost but the key kept, the account is found, not created anew.
rm "$D/state/accounts/"*/account.url
bed_acme "$D" --provider hook --provider-opt "script=$NSUPDATE_HOOK" -d example.test \
    >"$D/found.log" 2>&1 || { cat "$D/found.log" >&2; fail "the run without account.url failed"; }
assert_contains "$D/found.log" "found account"

# 5. An RSA account key (RS256) and an RSA certificate key.
bed_acme "$D" --state-dir "$D/state-rsa" --account-key-type rsa2048 --key-type rsa2048 \
    --provider hook --provider-opt "script=$NSUPDATE_HOOK" -d rsa.example.test >"$D/rsa.log" 2>&1 ||
    { cat "$D/rsa.log" >&2; fail "the run with RSA keys failed"; }
grep -q 'BEGIN PRIVATE KEY' "$D/state-rsa/accounts/"*/account.key || fail "no account key"
openssl pkey -in "$D/state-rsa/accounts/"*/account.key -noout -text | grep 'Private-Key: (2048 bit' >/dev/null ||
    fail "the account key is not RSA 2048"
openssl x509 -in "$D/state-rsa/certs/rsa.example.test/cert.pem" -noout -text | grep rsaEncryption >/dev/null ||
    fail "the certificate key is not RSA"
bed_verify_cert "$D" "$D/state-rsa/certs/rsa.example.test" rsa.example.test
echo "PASS: test_core_interrupt"
