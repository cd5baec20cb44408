#!/usr/bin/env bash
# A faulty CA: the fault front (tests/fakes/fault_front.py, seeded) between acme-dns and Pebble
# drops, loses after Pebble acted, delays or answers 5xx to 20 % of the requests, and Pebble
# rejects half of the nonces (PEBBLE_WFE_NONCEREJECT=50).  Issuance still succeeds: apex and
# wildcard, then a 10-name order, each with a valid certificate, no record and no journal left,
# within 150 s and a bounded number of requests; the client said its retries, and every kind of
# fault was met.  Then the first answer to each challenge response and to finalize is lost after
# Pebble acted on it: the client finds that the CA had acted, and goes on.  Then every challenge
# answer fails (5xx): the run gives up once --http-timeout has passed, with exit 6 and the CA's
# problem, and removes its records.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
# shellcheck source=../fakes/fault_front.sh
. "$SRC/tests/fakes/fault_front.sh"
export BED_ID=${BED_ID:-230}
export PEBBLE_WFE_NONCEREJECT=50
D=$(bed_tmpdir)
bed_up "$D"
fault_front_up "$D" 20 7

# issue LOG SERVER ARGS...: issue through SERVER with the rfc2136 provider, -vv; fail unless exit 0
# within 150 s.
issue() {
    local log=$1 server=$2 rc=0 t0=$SECONDS
    shift 2
    bed_acme "$D" --server "$server" --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
        --provider-opt "tsig-keyfile=$TSIG_KEYFILE" -v -v "$@" >"$log" 2>&1 || rc=$?
    echo "$log: exit $rc after $((SECONDS - t0)) s"
    [ "$rc" = 0 ] || { grep -v '^HTTP' "$log" | tail -n 40 >&2; fail "acme-dns exited $rc through the fault front"; }
    [ $((SECONDS - t0)) -le 150 ] || fail "the issuance took $((SECONDS - t0)) s"
}
# requests LOG: the HTTP requests the run made (from its timings line).
requests() { sed -n 's/.*; \([0-9]*\) HTTP requests to the CA.*/\1/p' "$1"; }
no_leftovers() {
    local left
    left=$(dig +noall +answer -k "$TSIG_KEYFILE" @"$DNS_PRIMARY" example.test AXFR | awk '$4 == "TXT"' | wc -l)
    assert_eq 0 "$left" "TXT records left in example.test after $1"
    [ -z "$(find "$D/state/journals" -name '*.json' 2>/dev/null)" ] || fail "a journal was left after $1"
}

# 1. Apex and wildcard through the front.
issue "$D/apex.log" "$FAULT_DIR_URL" -d example.test -d '*.example.test'
bed_verify_cert "$D" "$D/state/certs/example.test" example.test '*.example.test'
no_leftovers "apex and wildcard"
n=$(requests "$D/apex.log")
[ "$n" -le 150 ] || fail "apex and wildcard took $n requests (14 without faults or rejected nonces)"

# 2. Ten names in one order.
names=()
for i in $(seq 0 9); do names+=(-d "f$i.example.test"); done
issue "$D/ten.log" "$FAULT_DIR_URL" "${names[@]}"
bed_verify_cert "$D" "$D/state/certs/f0.example.test" f0.example.test f5.example.test f9.example.test
no_leftovers "ten names"
n=$(requests "$D/ten.log")
[ "$n" -le 600 ] || fail "ten names took $n requests (50 without faults or rejected nonces)"

# The faults were met and said: every kind (seed 7 draws each within the first 27 requests, and
# the two runs make at least 49), and retried by the client.
for kind in drop lose delay 5xx; do
    c=$(awk -v k="$kind" '$4 == k || $4 == k "-refused"' "$FAULT_LOG" | wc -l)
    echo "fault $kind: $c"
    [ "$c" -ge 1 ] || fail "the front injected no '$kind' fault (seed 7): see $FAULT_LOG"
done
cat "$D/apex.log" "$D/ten.log" >"$D/both.log"
grep -q "the CA answered HTTP 50[0-9]: trying again in" "$D/both.log" || fail "no 5xx retry was said"
assert_contains "$D/both.log" "the CA rejected our nonce (badNonce): retrying with a fresh one"
echo "requests: apex $(requests "$D/apex.log"), ten $(requests "$D/ten.log");" \
    "retries said: $(grep -c 'trying again in' "$D/both.log"), badNonce: $(grep -c 'badNonce' "$D/both.log")"

# 3. The first answer to every challenge response and to finalize is lost after Pebble acted on
# it: the client sends each again, and when the CA refuses (challenge not pending,
# orderNotReady) finds that it had acted, and goes on.
fault_front_down "$D"
fault_front_up "$D" 100 7 lose '^/(chalZ|finalize-order)/' once
issue "$D/lost.log" "$FAULT_DIR_URL" -d example.test -d '*.example.test'
bed_verify_cert "$D" "$D/state/certs/example.test" example.test '*.example.test'
no_leftovers "lost answers"
assert_eq 3 "$(awk '$4 == "lose"' "$FAULT_LOG" | wc -l)" "answers lost (2 challenges, 1 finalize)"
assert_contains "$D/lost.log" "example.test: refused: asking whether the CA had acted on an earlier try"
assert_contains "$D/lost.log" "answering the challenges: refused: asking whether the CA had acted on an earlier try"
assert_eq 3 "$(grep -c 'the CA had acted on it before its answer was lost: going on' "$D/lost.log")" \
    "lost answers found acted on"

# 4. A CA that fails every challenge answer (5xx): each is tried while --http-timeout (5 s) allows,
# then the run gives up with exit 6 and the CA's problem, and removes its records.
fault_front_down "$D"
fault_front_up "$D" 100 7 5xx '^/chalZ/'
rc=0 t0=$SECONDS
bed_acme "$D" --server "$FAULT_DIR_URL" --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
    --provider-opt "tsig-keyfile=$TSIG_KEYFILE" --http-timeout 5 -d example.test >"$D/down.log" 2>&1 || rc=$?
echo "challenge answers all 5xx: exit $rc after $((SECONDS - t0)) s"
[ "$rc" = 6 ] || { cat "$D/down.log" >&2; fail "challenge answers all 5xx: exit $rc, expected 6"; }
[ $((SECONDS - t0)) -le 30 ] || fail "challenge answers all 5xx: took $((SECONDS - t0)) s with --http-timeout 5"
assert_contains "$D/down.log" "answering the challenges: the CA answered HTTP"
assert_contains "$D/down.log" "trying again in"
no_leftovers "a CA that fails every challenge answer"
[ "$(awk '$4 == "5xx"' "$FAULT_LOG" | wc -l)" -ge 3 ] || fail "the challenge answer was not tried again"
echo "PASS: test_core_faults"
