#!/usr/bin/env bash
# The test bed itself: named primary, Knot secondary, Pebble, TSIG keys of every
# algorithm, bed_run, BED_SECONDARY_HOLD / bed_secondary_release, bed_down.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-10}

# nsup KEYFILE ZONE COMMAND...: one signed UPDATE to the primary; print nsupdate's errors.
nsup() {
    local key=$1 zone=$2
    shift 2
    { printf 'server %s 53\nzone %s\n' "$DNS_PRIMARY" "$zone"; printf '%s\n' "$@"; echo send; } |
        nsupdate -k "$key" -t 5 2>&1
}

# poll_txt DIR NAME ADDR WANT SECONDS: wait until the TXT set at NAME on ADDR is exactly WANT
# (sorted values, one per line).
poll_txt() {
    local d=$1 name=$2 addr=$3 want=$4 limit=$5 start=$SECONDS got delay=0.05
    while :; do
        got=$(bed_txt "$d" "$name" "$addr" | sort)
        [ "$got" != "$want" ] || return 0
        if [ $((SECONDS - start)) -ge "$limit" ]; then
            echo "TXT at $name on $addr: want [$want], got [$got]" >&2
            return 1
        fi
        sleep "$delay"
        case $delay in 0.05) delay=0.1 ;; 0.1) delay=0.2 ;; *) delay=0.5 ;; esac
    done
}

# ------------------------------------------------------------------ phase 1
D=$(bed_tmpdir)
BED_SECONDARY=1 BED_NOTIFY_DELAY=1 bed_up "$D"

[ "$DNS_PRIMARY" = "127.${BED_NET:-0}.$BED_ID.1" ] || fail "DNS_PRIMARY is $DNS_PRIMARY"
[ "$DNS_SECONDARY" = "127.${BED_NET:-0}.$BED_ID.2" ] || fail "DNS_SECONDARY is $DNS_SECONDARY"
assert_eq "127.${BED_NET:-0}.$BED_ID.1:53" "$DNS_SERVER" DNS_SERVER
assert_eq "https://127.${BED_NET:-0}.$BED_ID.1:14000/dir" "$ACME_DIR_URL" ACME_DIR_URL
assert_eq "$D/tsig.key" "$TSIG_KEYFILE" TSIG_KEYFILE
assert_contains "$TSIG_KEYFILE" "$TSIG_SECRET"
assert_contains "$D/env" "PEBBLE_MGMT_URL=https://127.${BED_NET:-0}.$BED_ID.1:15000"
[ "$(stat -c %a "$D/tsig.key")" = 600 ] || fail "tsig.key is not mode 0600"

# Zones: NS set, delegation with glue, CNAME into validation.test.
ns=$(dig +short +norecurse @"$DNS_PRIMARY" example.test NS | sort | tr '\n' ' ')
assert_eq "ns1.example.test. ns2.example.test. " "$ns" "NS set of example.test"
axfr=$(dig +noall +answer @"$DNS_PRIMARY" example.test AXFR)
echo "$axfr" | grep -Eq '^sub\.example\.test\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+NS[[:space:]]+ns1\.sub\.example\.test\.$' ||
    fail "no delegation of sub.example.test in the AXFR: $axfr"
echo "$axfr" | grep -Eq "^ns1\.sub\.example\.test\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+$DNS_PRIMARY\$" ||
    fail "no glue for ns1.sub.example.test in the AXFR: $axfr"
echo "$axfr" | grep -Eq '^_acme-challenge\.cname\.example\.test\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+CNAME[[:space:]]+cname\.validation\.test\.$' ||
    fail "no CNAME at _acme-challenge.cname.example.test"
for z in sub.example.test validation.test; do
    dig +norecurse @"$DNS_PRIMARY" "$z" SOA | grep -q 'flags:.* aa' || fail "primary is not authoritative for $z"
done
dig +norecurse @"$DNS_SECONDARY" example.test SOA | grep -q 'flags:.* aa' || fail "secondary is not authoritative for example.test"

# Every TSIG key adds and deletes a TXT value at the primary; the secondary follows.
keys="tsig.key"
for a in $BED_ALGS; do
    keys="$keys tsig-$a.key"
    assert_contains "$D/tsig-$a.key" "algorithm hmac-$a;"
    assert_contains "$D/tsig-$a.key" "key \"acme-$a\""
    cmp -s "$D/tsig-$a.key" "$D/tsig-hmac-$a.key" || fail "tsig-hmac-$a.key differs from tsig-$a.key"
done
N=_acme-challenge.example.test
want=""
for k in $keys; do
    v="selftest-${k%.key}"
    out=$(nsup "$D/$k" example.test "update add $N. 60 TXT \"$v\"") ||
        fail "nsupdate -k $k (add) failed: $out"
    bed_txt "$D" "$N" | grep -qxF "$v" || fail "primary does not serve $v after the update with $k"
    want=$(printf '%s\n%s\n' "$want" "$v" | sed '/^$/d' | sort)
done
poll_txt "$D" "$N" "$DNS_PRIMARY" "$want" 1 || fail "primary TXT set"
poll_txt "$D" "$N" "$DNS_SECONDARY" "$want" 20 || fail "the secondary did not get the values"
for k in $keys; do
    v="selftest-${k%.key}"
    out=$(nsup "$D/$k" example.test "update delete $N. TXT \"$v\"") ||
        fail "nsupdate -k $k (delete) failed: $out"
    bed_txt "$D" "$N" | grep -qxF "$v" && fail "primary still serves $v after the delete with $k"
done
poll_txt "$D" "$N" "$DNS_PRIMARY" "" 1 || fail "primary TXT set after the deletes"
poll_txt "$D" "$N" "$DNS_SECONDARY" "" 20 || fail "the secondary did not drop the values"

# Updates in the other zones; unsigned and non-TXT updates are refused.
out=$(nsup "$D/tsig.key" sub.example.test "update add _acme-challenge.sub.example.test. 60 TXT \"s\"") ||
    fail "update in sub.example.test failed: $out"
assert_eq s "$(bed_txt "$D" _acme-challenge.sub.example.test)" "TXT in sub.example.test"
out=$(nsup "$D/tsig-sha512.key" validation.test "update add cname.validation.test. 60 TXT \"c\"") ||
    fail "update in validation.test failed: $out"
assert_eq c "$(bed_txt "$D" cname.validation.test)" "TXT in validation.test"
# Pebble's resolver (the primary's recursive address .3) follows the CNAME into validation.test.
dig +short @"127.${BED_NET:-0}.$BED_ID.3" _acme-challenge.cname.example.test TXT | grep -qx '"c"' ||
    fail "127.${BED_NET:-0}.$BED_ID.3 does not follow _acme-challenge.cname.example.test to its TXT"
out=$({ printf 'server %s 53\nzone example.test\nupdate add x.example.test. 60 TXT "u"\nsend\n' "$DNS_PRIMARY"; } |
    nsupdate -t 5 2>&1) && fail "an unsigned update was accepted"
echo "$out" | grep -q REFUSED || fail "unsigned update: expected REFUSED, got: $out"
out=$(nsup "$D/tsig.key" example.test "update add x.example.test. 60 A 127.0.0.9") &&
    fail "an A record update was accepted"

# Pebble answers with the bed's CA (and not with the system's).
curl -sf --cacert "$ACME_CA_BUNDLE" "$ACME_DIR_URL" >"$D/directory.json" || fail "Pebble directory not reachable"
assert_contains "$D/directory.json" '"newOrder"'
assert_contains "$D/directory.json" "https://127.${BED_NET:-0}.$BED_ID.1:14000/"
curl -sf --max-time 5 "$ACME_DIR_URL" >/dev/null 2>&1 && fail "Pebble's HTTPS certificate verifies without the bed CA"
openssl x509 -in "$D/pebble/cert.pem" -noout -ext subjectAltName | grep -q "IP Address:127.${BED_NET:-0}.$BED_ID.1" ||
    fail "Pebble's HTTPS certificate lacks IP:127.${BED_NET:-0}.$BED_ID.1"
root=$(bed_issuer_root "$D")
openssl x509 -in "$root" -noout -subject | grep -qi pebble || fail "bed_issuer_root did not give Pebble's root"

# bed_run: /etc/resolv.conf names the primary inside, and only inside.
inside=$(bed_run "$D" cat /etc/resolv.conf)
echo "$inside" | grep -qx "nameserver $DNS_PRIMARY" || fail "bed_run: resolv.conf inside is: $inside"
grep -qx "nameserver $DNS_PRIMARY" /etc/resolv.conf && fail "bed_run changed the host's /etc/resolv.conf"
rc=0; bed_run "$D" sh -c 'exit 7' || rc=$?
assert_eq 7 "$rc" "bed_run exit status"

# bed_down stops exactly what bed_up started.
pids=$(cat "$D"/named.pid "$D"/knotd.pid "$D"/pebble.pid)
bed_down "$D"
for p in $pids; do
    if kill -0 "$p" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$p/stat")" != Z ]; then
        fail "process $p still runs after bed_down"
    fi
done
bed_down "$D" # idempotent
rm -rf "$D"

# ------------------------------------------------------------------ phase 2: a held secondary
D=$(bed_tmpdir)
BED_SECONDARY=1 BED_SECONDARY_HOLD=1 BED_NOTIFY_DELAY=0 BED_NO_PEBBLE=1 bed_up "$D"
if [ -n "${ACME_DIR_URL:-}" ] || grep -q ACME_DIR_URL "$D/env"; then
    fail "BED_NO_PEBBLE=1 still wrote ACME_DIR_URL"
fi
[ ! -f "$D/pebble.pid" ] || fail "BED_NO_PEBBLE=1 started Pebble"
out=$(nsup "$D/tsig.key" example.test "update add $N. 60 TXT \"held\"") || fail "update failed: $out"
assert_eq held "$(bed_txt "$D" "$N")" "primary value"
# The secondary stays authoritative and keeps the old serial while held.
# Wait until the secondary has received the NOTIFY for the new serial; unheld, it
# would transfer at once (notify-delay 0).
serial=$(dig +short @"$DNS_PRIMARY" example.test SOA | awk '{print $3}')
start=$SECONDS
until grep -q "notify, incoming, remote $DNS_PRIMARY@[0-9]*, serial $serial" "$D/knotd.log"; do
    [ $((SECONDS - start)) -lt 20 ] || fail "no NOTIFY for serial $serial reached the secondary"
    sleep 0.1
done
sleep 0.5 # what an unheld secondary would need to transfer, many times over
dig +norecurse @"$DNS_SECONDARY" example.test SOA | grep -q 'flags:.* aa' || fail "held secondary is not authoritative"
assert_eq "" "$(bed_txt "$D" "$N" "$DNS_SECONDARY")" "held secondary TXT"
bed_secondary_release "$D"
poll_txt "$D" "$N" "$DNS_SECONDARY" held 20 || fail "the released secondary did not catch up"
bed_wait_secondary "$D" 10 || fail "bed_wait_secondary"
echo "PASS: test_bed_selftest"
