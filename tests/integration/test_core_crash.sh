#!/usr/bin/env bash
# A crash at any phase loses nothing.  Starting from an issued certificate (the "old" set), an
# issuance is killed with SIGKILL at each step (the test-only ACME_DNS_TEST_KILL_AT, see
# core/killpoint.h): after the account, after present, during the propagation wait, after the
# challenge answers, during finalize, with the new files on disk beside the folder, right after
# the new folder took the old one's place, and after the files are written.  After each kill the
# certificate folder holds one whole set (key, certificate, chain and full chain that belong
# together): the old one until the new folder took its place, the new one from then on; the TXT
# records are still in DNS exactly when the run had presented and not yet removed them, with a
# journal.  The next run removes every record left, leaves no journal and no new-set folder,
# and writes a whole new set.  Then `renew` of two certificates killed between the exchanges and
# the removal of the old folders: both folders hold whole new sets, and the next renew cleans up.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-231}
D=$(bed_tmpdir)
bed_up "$D"
C=$D/state/certs/example.test
root=$(bed_issuer_root "$D")

issue() { # LOG [KILL_POINT]: issue apex + wildcard; the exit status
    local rc=0
    (
        [ -z "${2:-}" ] || export ACME_DNS_TEST_KILL_AT=$2
        bed_acme "$D" --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
            --provider-opt "tsig-keyfile=$TSIG_KEYFILE" -d example.test -d '*.example.test' -v
    ) >"$1" 2>&1 || rc=$?
    return "$rc"
}
fp() { openssl x509 -in "$1/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//'; }
# whole_set DIR WHAT: the four files of DIR belong together.
whole_set() {
    local c=$1 f out
    for f in cert.pem chain.pem fullchain.pem privkey.pem settings.json; do
        [ -s "$c/$f" ] || fail "$2: $c/$f is missing or empty"
    done
    [ "$(openssl pkey -in "$c/privkey.pem" -pubout)" = "$(openssl x509 -in "$c/cert.pem" -noout -pubkey)" ] ||
        fail "$2: a mix: privkey.pem does not belong to cert.pem"
    cmp -s "$c/fullchain.pem" <(cat "$c/cert.pem" "$c/chain.pem") ||
        fail "$2: a mix: fullchain.pem is not cert.pem followed by chain.pem"
    out=$(openssl verify -CAfile "$root" -untrusted "$c/chain.pem" "$c/cert.pem" 2>&1) ||
        fail "$2: a mix: chain.pem does not verify cert.pem: $out"
}
txt() { bed_txt "$D" _acme-challenge.example.test | wc -l; }
journals() { find "$D/state/journals" -name '*.json' 2>/dev/null | wc -l; }
leftovers() { find "$D/state/certs" -mindepth 1 -maxdepth 1 -name '.acme-dns-new-*' | wc -l; }

issue "$D/first.log" || { cat "$D/first.log" >&2; fail "the first issuance failed"; }
whole_set "$C" "the first issuance"
old=$(fp "$C")

# point  the set after the kill  TXT records left
for case in "account old 0" "present old 2" "propagation old 2" "challenge old 2" "finalize old 0" \
    "store-new old 0" "store-swapped new 0" "written new 0"; do
    read -r point want records <<<"$case"
    rc=0
    issue "$D/kill-$point.log" "$point" || rc=$?
    [ "$rc" = 137 ] || { tail -n 20 "$D/kill-$point.log" >&2; fail "$point: exit $rc, expected 137 (SIGKILL)"; }
    whole_set "$C" "killed at $point"
    now=$(fp "$C")
    if [ "$want" = old ]; then
        assert_eq "$old" "$now" "killed at $point: the certificate in place (the old one)"
    else
        [ "$now" != "$old" ] || fail "killed at $point: the old certificate is still in place"
    fi
    if [ "$records" != 0 ]; then
        # Exactly what the killed run presented: both names, or one when Pebble found the other
        # already authorized (an authorization a run before validated can be valid still).
        records=$(sed -n 's/^adding \([0-9]*\) TXT record(s) in zone .*/\1/p' "$D/kill-$point.log" | awk '{n += $1} END {print n + 0}')
        [ "$records" -ge 1 ] || { tail -n 20 "$D/kill-$point.log" >&2; fail "killed at $point: the run presented no record"; }
    fi
    assert_eq "$records" "$(txt)" "killed at $point: TXT records left"
    if [ "$records" = 0 ]; then want_j=0; else want_j=1; fi
    assert_eq "$want_j" "$(journals)" "killed at $point: journals left"
    case $point in store-*) [ "$(leftovers)" = 1 ] || fail "killed at $point: expected a new-set folder beside it" ;; esac

    issue "$D/next-$point.log" || { tail -n 30 "$D/next-$point.log" >&2; fail "the run after the kill at $point failed"; }
    [ "$records" = 0 ] || assert_contains "$D/next-$point.log" "an interrupted run left behind"
    whole_set "$C" "the run after the kill at $point"
    new=$(fp "$C")
    [ "$new" != "$now" ] || fail "the run after the kill at $point wrote no new certificate"
    assert_eq 0 "$(txt)" "after the run that followed the kill at $point: TXT records"
    assert_eq 0 "$(journals)" "after the run that followed the kill at $point: journals"
    assert_eq 0 "$(leftovers)" "after the run that followed the kill at $point: new-set folders"
    echo "killed at $point: $want set in place, $records record(s) left; the next run cleaned up"
    old=$new
done

# renew of two certificates at once, killed after both exchanges (syncfs path).
bed_acme "$D" --provider rfc2136 --provider-opt "server=$DNS_SERVER" --provider-opt "tsig-keyfile=$TSIG_KEYFILE" \
    -d www.example.test >"$D/www.log" 2>&1 || { cat "$D/www.log" >&2; fail "issuing www.example.test failed"; }
W=$D/state/certs/www.example.test
old_w=$(fp "$W")
rc=0
(export ACME_DNS_TEST_KILL_AT=store-swapped; bed_acme "$D" renew --force) >"$D/renew-kill.log" 2>&1 || rc=$?
[ "$rc" = 137 ] || { tail -n 20 "$D/renew-kill.log" >&2; fail "renew killed at store-swapped: exit $rc"; }
whole_set "$C" "renew killed at store-swapped"
whole_set "$W" "renew killed at store-swapped"
[ "$(fp "$C")" != "$old" ] && [ "$(fp "$W")" != "$old_w" ] || fail "renew killed after the exchanges: an old set in place"
assert_eq 2 "$(leftovers)" "renew killed at store-swapped: the old folders beside the new"
bed_acme "$D" renew --force >"$D/renew.log" 2>&1 || { cat "$D/renew.log" >&2; fail "renew after the kill failed"; }
whole_set "$C" "renew after the kill"
whole_set "$W" "renew after the kill"
assert_eq 0 "$(leftovers)" "after renew: new-set folders"
assert_eq 0 "$(txt)" "after renew: TXT records"
echo "PASS: test_core_crash"
