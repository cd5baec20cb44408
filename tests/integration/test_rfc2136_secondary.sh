#!/usr/bin/env bash
# rfc2136 provider with a primary (BIND, or PowerDNS with the argument pdns) and a
# secondary (Knot) in the NS set, and Pebble validating against the secondary.  The
# secondary is held back (no transfers).  First Ctrl-C while acme-dns waits for it:
# exit 130 within half a second, records removed.  Then a run whose secondary is
# released a few seconds after the records are on the primary: the run must wait for
# it, so Pebble sees no challenge POST before the release, and still succeeds; no
# TXT record is left at either server afterwards.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-34} BED_PRIMARY=${1:-bind}
export BED_SECONDARY=1 BED_SECONDARY_HOLD=1 BED_PEBBLE_DNS=secondary

D=$(bed_tmpdir)
bed_up "$D"

# start STATE LOG: acme-dns in the background (job in $acme) until both values are
# on the primary.
start() {
    bed_acme "$D" --provider rfc2136 --provider-opt "server=$DNS_SERVER" --state-dir "$D/$1" \
        --provider-opt "tsig-keyfile=$TSIG_KEYFILE" -d example.test -d '*.example.test' -v \
        >"$D/$2" 2>&1 &
    acme=$!
    local begin=$SECONDS delay=0.05
    while [ "$(bed_txt "$D" _acme-challenge.example.test | wc -l)" -lt 2 ]; do
        kill -0 "$acme" 2>/dev/null || break
        [ $((SECONDS - begin)) -lt 60 ] || fail "the records never reached the primary"
        sleep "$delay"
        case $delay in 0.05) delay=0.1 ;; 0.1) delay=0.2 ;; *) delay=0.5 ;; esac
    done
    kill -0 "$acme" 2>/dev/null || { cat "$D/$2" >&2; fail "acme-dns ended while the secondary was held"; }
}

start state-int int.log
sleep 0.3 # well into the propagation wait
pid=$(pgrep -f -- "--state-dir $D/state-int" | tail -n 1)
t0=$(date +%s%N)
kill -INT "$pid"
rc=0
wait "$acme" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 130 ] || { cat "$D/int.log" >&2; fail "the interrupted run exited $rc (expected 130)"; }
assert_contains "$D/int.log" "interrupted while waiting for the DNS records to propagate"
assert_contains "$D/int.log" "removed 2 TXT records from zone example.test"
echo "Ctrl-C during the propagation wait: exit 130 after $ms ms, cleanup included"
[ "$ms" -lt 500 ] || fail "the interrupted run took $ms ms to stop (cleanup included), expected < 500"
assert_eq "" "$(bed_txt "$D" _acme-challenge.example.test)" "TXT left on the primary after Ctrl-C"

start state out.log
assert_eq "" "$(bed_txt "$D" _acme-challenge.example.test "$DNS_SECONDARY")" \
    "TXT on the held secondary"
sleep 3
release=$(date +%s)
bed_secondary_release "$D"
echo "secondary released at $(date -d "@$release" '+%Y/%m/%d %H:%M:%S')"

rc=0
wait "$acme" || rc=$?
if [ "$rc" != 0 ]; then
    tail -n 60 "$D/out.log" >&2
    fail "acme-dns exited $rc (expected 0)"
fi
bed_verify_cert "$D" "$D/state/certs/example.test" example.test '*.example.test'

# Pebble logs "Pebble YYYY/MM/DD HH:MM:SS POST /chalZ/ ..." (whole seconds).
first=$(grep -m1 'POST /chalZ/' "$D/pebble.log" | awk '{print $2, $3}')
[ -n "$first" ] || fail "Pebble's log shows no challenge POST"
first_s=$(date -d "$first" +%s)
echo "first challenge POST at $first"
[ "$first_s" -ge "$release" ] ||
    fail "the CA was asked at $first, before the secondary was released ($(date -d "@$release" '+%H:%M:%S'))"
assert_eq "" "$(bed_txt "$D" _acme-challenge.example.test)" "TXT left on the primary"
bed_wait_secondary "$D" || fail "the secondary did not catch up with the primary after the cleanup"
assert_eq "" "$(bed_txt "$D" _acme-challenge.example.test "$DNS_SECONDARY")" "TXT left on the secondary"
echo "PASS: test_rfc2136_secondary ($BED_PRIMARY primary)"
