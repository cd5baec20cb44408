#!/usr/bin/env bash
# Hostile authoritative name servers (tests/fakes/hostile_dns.py) during the propagation wait:
# TC=1 forever (TCP that never answers, or truncates again), a 64 KB answer, the wrong ID, the
# wrong source address, silence, and a name server with a 64 KB answer of A records.  The wait
# ends at --propagation-timeout (not 8 or 32 s later), exit 5, one error line per server naming
# it, one warning for the 4,000 addresses, and the records removed; Ctrl-C ends it at once
# (exit 130) and removes them too.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-140}
D=$(bed_tmpdir)
bed_up "$D"
NET=127.${BED_NET:-0}
BASE=$NET.$BED_ID
RESOLVER=$BASE.20
ZONE=hostile.test

cat >"$D/hook.sh" <<'HOOK'
#!/bin/sh
echo "$1 $2 $3" >>"$HOOK_LOG"
HOOK
chmod 755 "$D/hook.sh"
export HOOK_LOG=$D/hook.log

fake_pid=""
fake_up() { # MODE... : the resolver and one server per mode on $BASE.21, .22 ... (BIG=1: and big.ZONE)
    local i=21 args=() m
    fake_down
    for m in "$@"; do args+=("$m@$BASE.$i"); i=$((i + 1)); done
    python3 "$SRC/tests/fakes/hostile_dns.py" --zone "$ZONE" --resolver "$RESOLVER" --alt "$BASE.29" \
        ${BIG:+--big-ns "$NET"} "${args[@]}" >"$D/fake.out" 2>"$D/fake.err" &
    fake_pid=$!
    for _ in $(seq 100); do grep -q ready "$D/fake.out" 2>/dev/null && return; sleep 0.05; done
    cat "$D/fake.err" >&2
    fail "hostile_dns.py did not start"
}
fake_down() { if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; fake_pid=""; fi; }
trap 'r=$?; fake_down; (exit $r); _bed_exit "$D"' EXIT

acme() { # LOG TIMEOUT: one issuance for the zone's apex, wildcard and www
    local log=$1 t=$2
    shift 2
    : >"$HOOK_LOG"
    bed_run "$D" "$ACME_DNS" --server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE" --agree-tos \
        --state-dir "$D/state" --dns-resolver "$RESOLVER" --provider hook --provider-opt "script=$D/hook.sh" \
        --propagation-timeout "$t" --timings -d "$ZONE" -d "*.$ZONE" -d "www.$ZONE" >"$log" 2>&1
}
prop_ms() { sed -n 's/.*, propagation \([0-9]*\),.*/\1/p' "$1"; }
check_cleanup() { # the hook removed what it added
    local p c
    p=$(grep -c '^present ' "$HOOK_LOG" || true)
    c=$(grep -c '^cleanup ' "$HOOK_LOG" || true)
    [ "$p" = 3 ] || fail "$p records presented, expected 3"
    assert_eq "$p" "$c" "records removed after $1"
}
timed_out() { # LOG WHAT: a run with a 2 s timeout exits 5 within 3.5 s of propagation
    local rc=0 ms
    acme "$1" 2 || rc=$?
    [ "$rc" = 5 ] || { cat "$1" >&2; fail "$2: exit $rc, expected 5"; }
    ms=$(prop_ms "$1")
    echo "$2, --propagation-timeout 2: propagation took $ms ms, $(wc -l <"$1") lines of output"
    [ -n "$ms" ] && [ "$ms" -le 3500 ] || fail "$2: the propagation wait took ${ms:-?} ms with a 2 s timeout"
}
per_server() { # LOG ADDR...: each address has exactly one line of the final report
    local log=$1 a n
    shift
    for a in "$@"; do
        n=$(grep -c "^error:   $a (" "$log" || true)
        [ "$n" = 1 ] || { cat "$log" >&2; fail "$n report lines for $a, expected 1"; }
    done
}

# 1. Eight servers answer TC=1 over UDP and never over TCP: the wait ends at its 2 s deadline.
fake_up tc tc tc tc tc tc tc tc
timed_out "$D/tc.log" "TC=1 x8"
assert_contains "$D/tc.log" "propagation check timed out after 2.0 s"
assert_contains "$D/tc.log" "truncated reply, and the TCP retry failed"
per_server "$D/tc.log" "$BASE".{21..28}
check_cleanup "TC=1"
lines=$(wc -l <"$D/tc.log")
[ "$lines" -lt 40 ] || { cat "$D/tc.log" >&2; fail "$lines lines of output for 8 servers"; }

# 2. Every other kind at once, and a name server whose A answer is 64 KB (4,000 addresses).
BIG=1 fake_up tctc silent wrongid wrongaddr big
timed_out "$D/mixed.log" "TC over TCP, silent, wrong ID, wrong address, 64 KB TXT answer, 64 KB A answer"
per_server "$D/mixed.log" "$BASE".{21..25}
assert_eq 1 "$(grep -c 'big.hostile.test has [0-9]* addresses beyond the 32 checked' "$D/mixed.log")" \
    "warnings about the 64 KB A answer"
assert_contains "$D/mixed.log" "$BASE.21 (ns1.$ZONE) lacks 3 records"
assert_contains "$D/mixed.log" "$BASE.25 (ns5.$ZONE) lacks 3 records"
assert_contains "$D/mixed.log" "serves other TXT values only"
assert_contains "$D/mixed.log" "no answer (timed out)"
check_cleanup "hostile servers"
lines=$(wc -l <"$D/mixed.log")
[ "$lines" -lt 80 ] || { head -n 80 "$D/mixed.log" >&2; fail "$lines lines of output"; }

# 3. Ctrl-C during such a wait: exit 130 within a second, records removed.
fake_up tc tc tc tc tc tc tc tc
: >"$D/int.log"
acme "$D/int.log" 60 &
job=$!
for _ in $(seq 200); do grep -q 'waiting for' "$D/int.log" && break; sleep 0.05; done
grep -q 'waiting for' "$D/int.log" || { cat "$D/int.log" >&2; fail "the propagation wait never began"; }
pid=$(pgrep -f -- "--state-dir $D/state" | head -n 1)
t0=$(date +%s%N)
kill -INT "$pid"
rc=0
while kill -0 "$pid" 2>/dev/null; do
    [ $(($(date +%s%N) - t0)) -lt 10000000000 ] || fail "acme-dns still runs 10 s after SIGINT"
    sleep 0.01
done
took=$((($(date +%s%N) - t0) / 1000000))
wait "$job" || rc=$?
echo "SIGINT during the wait: exit $rc after $took ms"
[ "$rc" = 130 ] || { cat "$D/int.log" >&2; fail "interrupted run exited $rc, expected 130"; }
[ "$took" -le 1500 ] || fail "acme-dns took $took ms to stop after SIGINT"
assert_contains "$D/int.log" "interrupted while waiting for the DNS records to propagate"
check_cleanup "SIGINT"
fake_down
echo "PASS: test_core_hostile_dns"
