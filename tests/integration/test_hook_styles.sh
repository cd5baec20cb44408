#!/usr/bin/env bash
# Other clients' hook scripts, unchanged, through --provider-opt style=...:
#  - uacme: Debian's /usr/share/uacme/nsupdate.sh itself (it waits until a name holds
#    exactly one value, so the apex and wildcard values are served one after the
#    other: begin, done, begin, done); then a logging uacme hook for the arguments,
#    the UACME_* variables, a declined begin (no done/failed after it) and a failed
#    challenge ("failed");
#  - certbot: an auth and a cleanup hook as certbot documents them (CERTBOT_*
#    variables, CERTBOT_TOKEN unset, CERTBOT_AUTH_OUTPUT stripped);
#  - dehydrated: a hook shaped like its example hook.sh, once per record and with
#    chain=yes (every triple in one call);
#  - lego: an exec script that replaces the TXT set (one value at a time, FQDN with
#    its trailing dot).
# Each issues example.test + *.example.test against the bed's BIND with nothing
# left behind, and no TSIG secret in the output.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
export BED_ID=${BED_ID:-190}
H=$SRC/tests/integration/hooks

D=$(bed_tmpdir)
bed_up "$D"
export HOOK_LOG=$D/hook.log

# issue NAME WANT ARGS...: one certificate through the hook provider; the log in D/NAME.log.
# Each with a new account: Pebble reuses a valid authorization of the same account 1 time in 100
# even at PEBBLE_AUTHZREUSE=0, and a reused one would leave calls out of the logs checked here.
issue() {
    local name=$1 want=$2
    shift 2
    : >"$HOOK_LOG"
    rm -rf "$D/state/accounts"
    bed_acme_expect "$D" "$want" "$D/$name.log" --provider hook --cert-name "$name" -v "$@"
    assert_not_contains "$D/$name.log" "$TSIG_SECRET"
}
# no_txt NAME...: nothing left at _acme-challenge.NAME
no_txt() {
    for n in "$@"; do
        assert_eq "" "$(bed_txt "$D" "_acme-challenge.$n")" "TXT left at _acme-challenge.$n"
    done
}

# ---- uacme: Debian's nsupdate.sh, unedited (nsupdate on PATH adds the bed's key).
PATH=$H/bin:$PATH issue uacme 0 --provider-opt style=uacme --provider-opt script=/usr/share/uacme/nsupdate.sh \
    --provider-opt timeout=60 -d example.test -d '*.example.test'
bed_verify_cert "$D" "$D/state/certs/uacme" example.test '*.example.test'
no_txt example.test
# One value at a time: begin, done, begin, done.
grep -o '(\(begin\|done\|failed\) dns-01 example.test' "$D/uacme.log" | cut -c2- | tr '\n' ' ' >"$D/order"
assert_eq "begin dns-01 example.test done dns-01 example.test begin dns-01 example.test done dns-01 example.test " \
    "$(cat "$D/order")" "uacme hook calls"
assert_contains "$D/uacme.log" "2 rounds: the provider takes one value per name at a time"

# ---- uacme: arguments and variables as uacme passes them.
issue uacme-log 0 --provider-opt style=uacme --provider-opt "script=$H/uacme-log.sh" -d www.example.test
begin=$(grep '^args begin ' "$HOOK_LOG")
read -r _ _ type ident token auth <<<"$begin"
assert_eq "dns-01 www.example.test" "$type $ident" "uacme begin arguments"
[[ $token =~ ^[A-Za-z0-9_-]{20,}$ ]] || fail "uacme TOKEN argument is not a token: '$token'"
[[ $auth =~ ^[A-Za-z0-9_-]{43}$ ]] || fail "uacme AUTH argument is not a dns-01 value: '$auth'"
grep -qxF "env begin dns-01 www.example.test $token $auth" "$HOOK_LOG" || fail "UACME_* variables differ from the arguments"
grep -qxF "args done dns-01 www.example.test $token $auth" "$HOOK_LOG" || fail "no 'done' after a valid challenge"
no_txt www.example.test
# A declined begin fails the run (exit 4) and gets neither done nor failed.
issue uacme-declined 4 --provider-opt style=uacme --provider-opt "script=$H/uacme-log.sh" -d declined.example.test
assert_contains "$D/uacme-declined.log" "declined the dns-01 challenge for declined.example.test (begin exited 1)"
assert_eq "args begin" "$(grep '^args' "$HOOK_LOG" | cut -d' ' -f1-2 | tr '\n' ' ' | sed 's/ $//')" "calls after a declined begin"
# A challenge that cannot succeed (the hook writes a wrong value): "failed", exit 5.
issue uacme-failed 5 --provider-opt style=uacme --provider-opt "script=$H/uacme-log.sh" \
    --propagation-timeout 2 -d wrong.example.test
grep -q '^args failed dns-01 wrong.example.test ' "$HOOK_LOG" || fail "no 'failed' after a failed challenge"
no_txt declined.example.test wrong.example.test

# ---- certbot: --manual-auth-hook / --manual-cleanup-hook scripts.
CERTBOT_TOKEN=stale CERTBOT_AUTH_OUTPUT=stale issue certbot 0 --provider-opt style=certbot \
    --provider-opt "auth-script=$H/certbot-auth.sh" --provider-opt "cleanup-script=$H/certbot-cleanup.sh" \
    -d example.test -d '*.example.test'
bed_verify_cert "$D" "$D/state/certs/certbot" example.test '*.example.test'
no_txt example.test
assert_eq 2 "$(grep -c '^auth domain=example.test validation=[A-Za-z0-9_-]\{43\} token=unset ' "$HOOK_LOG")" \
    "auth calls with CERTBOT_TOKEN unset"
assert_eq "remaining=1 all=example.test,example.test remaining=0 all=example.test,example.test " \
    "$(grep '^auth' "$HOOK_LOG" | grep -o 'remaining=.*' | tr '\n' ' ')" "CERTBOT_REMAINING_CHALLENGES, CERTBOT_ALL_DOMAINS"
assert_eq 2 "$(grep -c '^cleanup domain=example.test validation=[A-Za-z0-9_-]\{43\} output=_acme-challenge.example.test remaining=' "$HOOK_LOG")" \
    "cleanup calls with CERTBOT_AUTH_OUTPUT"
# certbot style needs its cleanup hook (acme-dns removes what it adds).
issue certbot-noclean 3 --provider-opt style=certbot --provider-opt "auth-script=$H/certbot-auth.sh" -d example.test
assert_contains "$D/certbot-noclean.log" "style=certbot needs both auth-script=PATH and cleanup-script=PATH"

# ---- dehydrated, one call per record, then HOOK_CHAIN=yes.
issue dehydrated 0 --provider-opt style=dehydrated --provider-opt "script=$H/dehydrated-hook.sh" \
    -d example.test -d '*.example.test'
bed_verify_cert "$D" "$D/state/certs/dehydrated" example.test '*.example.test'
no_txt example.test
assert_eq "4 deploy_challenge 4 deploy_challenge 4 clean_challenge 4 clean_challenge " \
    "$(cut -d' ' -f1-2 "$HOOK_LOG" | tr '\n' ' ')" "dehydrated calls"
grep -q '^4 deploy_challenge example.test [A-Za-z0-9_-]\{20,\} [A-Za-z0-9_-]\{43\}$' "$HOOK_LOG" ||
    fail "deploy_challenge DOMAIN TOKEN_FILENAME TOKEN_VALUE: $(head -n 1 "$HOOK_LOG")"
issue dehydrated-chain 0 --provider-opt style=dehydrated --provider-opt chain=yes \
    --provider-opt "script=$H/dehydrated-hook.sh" -d example.test -d '*.example.test'
bed_verify_cert "$D" "$D/state/certs/dehydrated-chain" example.test '*.example.test'
no_txt example.test
assert_eq "7 deploy_challenge 7 clean_challenge " "$(cut -d' ' -f1-2 "$HOOK_LOG" | tr '\n' ' ')" "chained calls"

# ---- lego exec: the script replaces the TXT set, which only works one value at a time.
issue lego 0 --provider-opt style=lego --provider-opt "script=$H/lego-exec.sh" -d example.test -d '*.example.test'
bed_verify_cert "$D" "$D/state/certs/lego" example.test '*.example.test'
no_txt example.test
assert_eq "present cleanup present cleanup " "$(cut -d' ' -f1 "$HOOK_LOG" | tr '\n' ' ')" "lego exec calls"
assert_eq 4 "$(grep -c '^[a-z]* _acme-challenge.example.test. ' "$HOOK_LOG")" "FQDN with its trailing dot"

# Options that do not go together are refused before any order (exit 3).
issue bad-style 3 --provider-opt style=acme.sh --provider-opt "script=$H/lego-exec.sh" -d example.test
assert_contains "$D/bad-style.log" "style=acme.sh: use exec (the default), lego, uacme, certbot or dehydrated"
issue bad-chain 3 --provider-opt chain=yes --provider-opt "script=$H/lego-exec.sh" -d example.test
assert_contains "$D/bad-chain.log" "chain goes with style=dehydrated"
echo "PASS: test_hook_styles"
