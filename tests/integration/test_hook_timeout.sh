#!/usr/bin/env bash
# A hook that hangs: with timeout=2 the run fails quickly (exit 4), names the
# timeout, and the hung script and what it started are gone afterwards.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-13}

D=$(bed_tmpdir)
bed_up "$D"

# present hangs (a child that ignores SIGTERM, so SIGKILL is needed); cleanup works.
cat >"$D/hook.sh" <<'HOOK'
#!/bin/bash
echo "$1 $2 $3" >>"$HOOK_TEST_DIR/calls.log"
[ "$1" = present ] || exit 0
echo $$ >>"$HOOK_TEST_DIR/hook.pids"
( trap '' TERM; echo $BASHPID >>"$HOOK_TEST_DIR/hook.pids"; while :; do sleep 0.2; done ) &
echo "hook-test: waiting forever" >&2
wait
HOOK
chmod 755 "$D/hook.sh"
export HOOK_TEST_DIR=$D

start=$SECONDS
rc=0
bed_acme "$D" --provider hook --provider-opt "script=$D/hook.sh" --provider-opt timeout=2 \
    -d example.test >"$D/out.log" 2>&1 || rc=$?
took=$((SECONDS - start))
if [ "$rc" != 4 ]; then
    tail -n 60 "$D/out.log" >&2
    fail "acme-dns exited $rc (expected 4: DNS provider failed)"
fi
[ "$took" -le 30 ] || fail "the run took $took s; with timeout=2 it should end in a few seconds"
assert_contains "$D/out.log" "timed out after 2 s"
assert_contains "$D/out.log" "timeout="
assert_contains "$D/out.log" "$D/hook.sh"

[ -s "$D/hook.pids" ] || fail "the hook never ran"
while read -r pid; do
    if _bed_alive "$pid"; then
        ps -o pid,ppid,pgid,stat,args -p "$pid" >&2 || true
        kill -KILL "$pid" 2>/dev/null || true
        fail "hook process $pid still runs after acme-dns returned"
    fi
done <"$D/hook.pids"
assert_eq 2 "$(wc -l <"$D/hook.pids" | tr -d ' ')" "hook processes started"
echo "PASS: test_hook_timeout"
