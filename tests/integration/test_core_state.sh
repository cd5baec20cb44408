#!/usr/bin/env bash
# The state folder: created 0700; refused (exit 8, a message saying what to do) when group or
# others may write to it, when another user owns it, or when a folder or key file in it is a
# symbolic link planted to redirect a write (the link's target is left alone).  Two runs on one
# state folder: the second waits for the lock, saying so with the first run's process id, and
# goes on when the first is done; with --lock-timeout 1 it gives up with exit 11.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-232}
D=$(bed_tmpdir)
bed_up "$D"
export ACME_DNS_NSUPDATE_SERVER=$DNS_SERVER ACME_DNS_NSUPDATE_KEYFILE=$TSIG_KEYFILE
S=$D/fresh/state

# run LOG WANT ARGS...: issue example.test with the state folder S; fail unless it exits WANT.
run() {
    local log=$1 want=$2
    shift 2
    bed_acme_expect "$D" "$want" "$log" --state-dir "$S" --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
        --provider-opt "tsig-keyfile=$TSIG_KEYFILE" -d example.test "$@"
}

# 1. Created 0700 (with its missing parent), and a certificate issued into it.
run "$D/fresh.log" 0
assert_eq 700 "$(stat -c %a "$S")" "mode of a new state folder"
assert_eq 600 "$(stat -c %a "$S/certs/example.test/privkey.pem")" "mode of the key"

# 2. Writable by its group, then by all: refused before anything is done.
for mode in 770 703; do
    chmod "$mode" "$S"
    run "$D/mode-$mode.log" 8
    assert_contains "$D/mode-$mode.log" "the folder $S can be written by"
    assert_contains "$D/mode-$mode.log" "run chmod go-w $S"
done
chmod 700 "$S"

# 3. Owned by another user.
chown nobody "$S"
run "$D/owner.log" 8
assert_contains "$D/owner.log" "belongs to user id $(id -u nobody), not to the user running acme-dns"
chown root "$S"

# 4. The certificate folder replaced by a link to a folder elsewhere: refused before the CA is asked,
# nothing written there.
mkdir "$D/elsewhere"
mv "$S/certs/example.test" "$D/moved"
ln -s "$D/elsewhere" "$S/certs/example.test"
run "$D/link-dir.log" 8
assert_contains "$D/link-dir.log" "$S/certs/example.test is a symbolic link: acme-dns does not follow links"
assert_eq 0 "$(find "$D/elsewhere" -mindepth 1 | wc -l)" "files written through the link"
assert_not_contains "$D/link-dir.log" "TXT record"
rm "$S/certs/example.test"
mv "$D/moved" "$S/certs/example.test"

# 5. The account key replaced by a link to another file: refused, that file left as it was.
key=$(find "$S/accounts" -name account.key)
cp "$key" "$D/key.saved"
echo "someone else's file" >"$D/theirs"
rm "$key"
ln -s "$D/theirs" "$key"
run "$D/link-key.log" 8
assert_contains "$D/link-key.log" "$key is a symbolic link"
assert_eq "someone else's file" "$(cat "$D/theirs")" "the link's target"
rm "$key"
cp "$D/key.saved" "$key"
chmod 600 "$key"
run "$D/again.log" 0

# 6. Two runs on one state folder.  The first holds the lock while its hook waits for a file.
cat >"$D/slow.sh" <<'HOOK'
#!/bin/sh
if [ "$1" = present ]; then
    : >"$SLOW_DIR/started"
    while [ ! -e "$SLOW_DIR/go" ]; do sleep 0.05; done
fi
exec "$NSUPDATE_HOOK" "$@"
HOOK
chmod 755 "$D/slow.sh"
export SLOW_DIR=$D NSUPDATE_HOOK=$SRC/examples/hooks/nsupdate.sh
bed_acme "$D" --state-dir "$S" --provider hook --provider-opt "script=$D/slow.sh" -d example.test >"$D/first.log" 2>&1 &
first=$!
for _ in $(seq 400); do [ -e "$D/started" ] && break; sleep 0.05; done
[ -e "$D/started" ] || { cat "$D/first.log" >&2; fail "the first run never reached its hook"; }
holder=$(cat "$S/lock")
# A second run with --lock-timeout 1 gives up: exit 11, naming the lock, the holder and the option.
run "$D/locked.log" 11 --lock-timeout 1
assert_contains "$D/locked.log" "another acme-dns run (process $holder) still holds $S/lock after 1 s"
assert_contains "$D/locked.log" "--lock-timeout SECONDS"
assert_contains "$D/locked.log" "(exit status 11)"
# A second run with the default waits, says so, and goes on once the first is done.
run "$D/second.log" 0 &
second=$!
for _ in $(seq 400); do grep -q "waiting for it" "$D/second.log" 2>/dev/null && break; sleep 0.05; done
assert_contains "$D/second.log" "another acme-dns run (process $holder) holds $S/lock: waiting for it, up to 300 s (--lock-timeout)"
kill -0 "$second" 2>/dev/null || fail "the second run did not wait"
: >"$D/go"
wait "$first" || { cat "$D/first.log" >&2; fail "the first run failed"; }
wait "$second" || { cat "$D/second.log" >&2; fail "the second run failed after waiting"; }
assert_contains "$D/second.log" "the other run is done"
bed_verify_cert "$D" "$S/certs/example.test" example.test
assert_eq 0 "$(bed_txt "$D" _acme-challenge.example.test | wc -l)" "TXT records left"
echo "PASS: test_core_state"
