#!/usr/bin/env bash
# One bed (BIND primary, Knot secondary, Pebble, the Cloudflare fake, a silent name server):
#   check: apex + wildcard through rfc2136, each server's served/gone times, nothing left, --json and
#     -q; a secondary that never updates (exit 5, not_updated, naming it); a name server that never
#     answers (exit 5, unreachable); refused credentials at Cloudflare and at rfc2136 (exit 4); Ctrl-C
#     while waiting (exit 130, record removed, journal empty);
#   names at two providers in one certificate (Cloudflare fake and rfc2136): issue --json, the
#     saved mapping (settings.json version 2), renew --force --json, certificates --json; a failure at
#     either provider still removes the other's records (exit 4);
#   plugins (the tests' broken plugins listed with their reasons, exit 3), directory --json, and -q
#     silent on success for issue, renew, certificates, directory, check and plugins.
set -euo pipefail
SRC=${ACME_DNS_SRC:?set ACME_DNS_SRC to the source directory}
BUILD=${ACME_DNS_BUILD:?set ACME_DNS_BUILD to the build directory}
# shellcheck source=bed.sh
. "$SRC/tests/integration/bed.sh"
# shellcheck source=../fakes/cloudflare_fake.sh
. "$SRC/tests/fakes/cloudflare_fake.sh"
export BED_ID=${BED_ID:-210}
export BED_SECONDARY=1 BED_SECONDARY_HOLD=1 BED_NOTIFY_DELAY=0
unset CLOUDFLARE_DNS_API_TOKEN CF_DNS_API_TOKEN CLOUDFLARE_EMAIL CLOUDFLARE_API_KEY \
    ACME_DNS_RFC2136_TSIG_KEYFILE ACME_DNS_RFC2136_TSIG_SECRET ACME_DNS_RFC2136_TSIG_NAME

D=$(bed_tmpdir)
bed_up "$D"
cf_fake_up "$D"
S=$D/state
NET=127.${BED_NET:-0}
BASE=$NET.$BED_ID

# run NAME WANT ARGS...: acme-dns in the bed (no CA options), stdout in NAME.out, stderr in NAME.err.
run() {
    local name=$1 want=$2 rc=0
    shift 2
    bed_run "$D" "$ACME_DNS" --state-dir "$S" "$@" >"$D/$name.out" 2>"$D/$name.err" || rc=$?
    if [ "$rc" != "$want" ]; then
        cat "$D/$name.out" >&2
        tail -n 40 "$D/$name.err" >&2
        fail "$name: acme-dns exited $rc, expected $want"
    fi
}
journals_empty() { # no journal lists a record
    local left
    left=$(find "$S/journals" -name '*.json' 2>/dev/null || true)
    [ -z "$left" ] || { echo "$left" | xargs cat >&2; fail "$1: journals left: $left"; }
}
no_txt() { # NAME...: no TXT at NAME on the primary
    local n
    for n in "$@"; do assert_eq "" "$(bed_txt "$D" "$n")" "TXT left at $n"; done
}
json() { # FILE PYTHON: FILE is one JSON object (json.tool), and the assertions in PYTHON hold for it (j)
    python3 -m json.tool "$1" >/dev/null || { cat "$1" >&2; fail "$1 is not JSON"; }
    python3 -c "import json, sys
j = json.load(open(sys.argv[1]))
$2" "$1" || { cat "$1" >&2; fail "$1: the JSON is not what was expected"; }
}
journal_only() { # WHAT PROVIDER DOMAIN: the one journal left is PROVIDER's, with DOMAIN's record alone
    python3 -c "import glob, json, sys
js = [json.load(open(f)) for f in glob.glob(sys.argv[1] + '/journals/*.json')]
assert [(j['provider']['name'], [r['domain'] for r in j['records']]) for j in js] == [(sys.argv[2], [sys.argv[3]])], js
" "$S" "$2" "$3" || fail "$1: the journals are not what was expected"
}
CA=(--server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE" --agree-tos)
RFC=(--provider rfc2136 --provider-opt "server=$DNS_SERVER" --provider-opt "tsig-keyfile=$TSIG_KEYFILE")
CF=(--provider cloudflare --provider-opt "api-url=$CF_URL" --provider-opt "ca-bundle=$CF_CA")

# ---------------------------------------------------------------- check: a secondary that never updates
# The Knot secondary is frozen: it keeps serving the zone without the test records.
run check-frozen 5 check "${RFC[@]}" -d frozen.example.test --propagation-timeout 2 --json
json "$D/check-frozen.out" "
n = j['names'][0]
assert j['ok'] is False and j['exit_status'] == 5 and j['failed'] == 1, j
assert n['reason'] == 'not_updated' and n['exit_status'] == 5, n
s = {x['address']: x for x in n['servers']}
assert s['$DNS_PRIMARY']['served'] is True, s
assert s['$DNS_SECONDARY']['served'] is False and s['$DNS_SECONDARY']['answered'] is True, s
assert '$DNS_SECONDARY' in n['detail'], n"
assert_contains "$D/check-frozen.err" "propagation check timed out"
no_txt _acme-challenge.frozen.example.test
journals_empty check-frozen

# Ctrl-C while waiting for the frozen secondary: exit 130, the record removed.
bed_run "$D" "$ACME_DNS" --state-dir "$S" check "${RFC[@]}" -d int.example.test --propagation-timeout 60 \
    >"$D/check-int.out" 2>"$D/check-int.err" &
job=$!
for _ in $(seq 200); do [ -n "$(bed_txt "$D" _acme-challenge.int.example.test)" ] && break; sleep 0.05; done
[ -n "$(bed_txt "$D" _acme-challenge.int.example.test)" ] || fail "check never presented its record"
kill -INT "$(pgrep -f -- "--state-dir $S check" | head -n 1)"
rc=0
wait "$job" || rc=$?
[ "$rc" = 130 ] || { cat "$D/check-int.err" >&2; fail "interrupted check exited $rc, expected 130"; }
no_txt _acme-challenge.int.example.test
journals_empty check-int

bed_secondary_release "$D"
bed_wait_secondary "$D"

# ---------------------------------------------------------------- check: the good case
run check 0 check "${RFC[@]}" -d check.example.test -d '*.check.example.test'
for a in "$DNS_PRIMARY" "$DNS_SECONDARY"; do
    [ "$(grep -c "^  $a (.*): served after [0-9]* ms, gone after [0-9]* ms$" "$D/check.out")" = 2 ] ||
        { cat "$D/check.out" >&2; fail "check: not two names served and gone at $a"; }
done
assert_contains "$D/check.out" "check.example.test: _acme-challenge.check.example.test in zone example.test through rfc2136: ok"
assert_contains "$D/check.out" "*.check.example.test: _acme-challenge.check.example.test in zone example.test"
assert_contains "$D/check.out" "check: 2 names passed, 0 failed"
grep -q "zone look-up [0-9]* ms, added in [0-9]* ms, removed in [0-9]* ms" "$D/check.out" ||
    fail "check: no step timings"
no_txt _acme-challenge.check.example.test
assert_eq "" "$(bed_txt "$D" _acme-challenge.check.example.test "$DNS_SECONDARY")" "TXT left on the secondary"
journals_empty check
if [ -d "$S/certs" ] || [ -d "$S/accounts" ]; then fail "check made an account or a certificate"; fi

run check-json 0 check "${RFC[@]}" -d check.example.test -d '*.check.example.test' --json
json "$D/check-json.out" "
assert j['command'] == 'check' and j['ok'] is True and j['exit_status'] == 0 and j['passed'] == 2, j
assert [n['domain'] for n in j['names']] == ['check.example.test', '*.check.example.test'], j
for n in j['names']:
    assert n['ok'] and n['zone'] == 'example.test' and n['provider'] == 'rfc2136', n
    assert n['record'] == '_acme-challenge.check.example.test', n
    assert set(n['timings_ms']) == {'lookup', 'present', 'cleanup'}, n
    assert sorted(s['address'] for s in n['servers']) == sorted(['$DNS_PRIMARY', '$DNS_SECONDARY']), n
    for s in n['servers']:
        assert s['served'] and s['gone'] and isinstance(s['served_ms'], int) and isinstance(s['gone_ms'], int), s
assert isinstance(j['timings_ms']['total'], int)"

run check-q 0 -q check "${RFC[@]}" -d check.example.test
if [ -s "$D/check-q.out" ] || [ -s "$D/check-q.err" ]; then fail "check -q printed something on success"; fi

# A CNAME into another zone: the record goes to the target.
run check-cname 0 check "${RFC[@]}" -d cname.example.test
assert_contains "$D/check-cname.out" \
    "_acme-challenge.cname.example.test -> cname.validation.test (CNAME) in zone validation.test through rfc2136: ok"

# ---------------------------------------------------------------- check: failures
# Credentials refused: a token Cloudflare does not know, and a TSIG key with a wrong secret.  The
# records stay in their providers' journals (the removal is refused too); once the credentials are
# right, the next run with that provider removes them first.
CLOUDFLARE_DNS_API_TOKEN=$CF_BAD_TOKEN run check-cfbad 4 check "${CF[@]}" -d cf.example.test
assert_contains "$D/check-cfbad.out" "the provider refused the credentials"
assert_not_contains "$D/check-cfbad.err" "$CF_BAD_TOKEN"
printf 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$TSIG_NAME" \
    "$(head -c 32 /dev/urandom | base64)" >"$D/wrong.key"
chmod 600 "$D/wrong.key"
cp "$D/wrong.key" "$D/check.key"
run check-tsigbad 4 --json check --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
    --provider-opt "tsig-keyfile=$D/check.key" -d bad.example.test
json "$D/check-tsigbad.out" "
n = j['names'][0]
assert j['exit_status'] == 4 and n['reason'] == 'credentials' and n['exit_status'] == 4, j
assert 'present' in n['timings_ms'] and n['servers'] == [], n"
no_txt _acme-challenge.cf.example.test _acme-challenge.bad.example.test
[ "$(find "$S/journals" -name '*.json' | wc -l)" = 2 ] || fail "check-bad: not two journals kept"
cp "$TSIG_KEYFILE" "$D/check.key"
run check-fixed 0 check --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
    --provider-opt "tsig-keyfile=$D/check.key" -d bad.example.test
assert_contains "$D/check-fixed.err" "that an interrupted run left behind"
CLOUDFLARE_DNS_API_TOKEN=$CF_TOKEN run check-cf 0 check "${CF[@]}" -d cf.example.test -d '*.cf.example.test'
cf_assert_empty "$D"
journals_empty check-bad

# A name server that never answers (port 53 silent), in a zone of its own.
python3 "$SRC/tests/fakes/hostile_dns.py" --zone silent.test --resolver "$BASE.20" "silent@$BASE.21" \
    >"$D/silent.out" 2>"$D/silent.err" &
silent_pid=$!
for _ in $(seq 100); do grep -q ready "$D/silent.out" 2>/dev/null && break; sleep 0.05; done
grep -q ready "$D/silent.out" || { cat "$D/silent.err" >&2; fail "hostile_dns.py did not start"; }
# shellcheck disable=SC2016 # $1 $2 are the hook's
printf '#!/bin/sh\necho "$1 $2" >>"%s"\n' "$D/hook.log" >"$D/hook.sh"
chmod 755 "$D/hook.sh"
run check-silent 5 check --provider hook --provider-opt "script=$D/hook.sh" --dns-resolver "$BASE.20" \
    -d silent.test --propagation-timeout 2 --json
kill "$silent_pid" 2>/dev/null || true
wait "$silent_pid" 2>/dev/null || true
json "$D/check-silent.out" "
n = j['names'][0]
assert n['reason'] == 'unreachable' and n['exit_status'] == 5, n
assert n['servers'][0]['address'] == '$BASE.21' and n['servers'][0]['answered'] is False, n"
assert_eq "present _acme-challenge.silent.test
cleanup _acme-challenge.silent.test" "$(cat "$D/hook.log")" "the hook's calls"

# ---------------------------------------------------------------- one certificate, two providers
export CLOUDFLARE_DNS_API_TOKEN=$CF_TOKEN
: >"$D/cf/requests.log"
run issue-two 0 "${CA[@]}" --json "${CF[@]}" -d two.example.test -d '*.two.example.test' "${RFC[@]}" \
    -d two.validation.test --cert-name two
bed_verify_cert "$D" "$S/certs/two" two.example.test '*.two.example.test' two.validation.test
json "$D/issue-two.out" "
c = j['certificate']
assert j['command'] == 'issue' and j['outcome'] == 'issued' and j['exit_status'] == 0, j
assert c['name'] == 'two' and c['domains'] == ['two.example.test', '*.two.example.test', 'two.validation.test'], c
assert c['providers'] == [{'name': 'cloudflare', 'domains': ['two.example.test', '*.two.example.test']},
                          {'name': 'rfc2136', 'domains': ['two.validation.test']}], c
assert c['files']['fullchain'] == '$S/certs/two/fullchain.pem' and c['directory'] == '$S/certs/two', c
assert c['not_after'].endswith('Z') and c['serial'], c
t = j['timings_ms']
assert t['propagation'] >= 0 and t['total'] >= t['propagation'] and t['ca_http_requests'] > 0, t"
[ "$(grep -c "^POST /client/v4/zones/$CF_ZONE_ID/dns_records 200" "$D/cf/requests.log")" = 2 ] ||
    fail "issue-two: not two records through Cloudflare"
cf_assert_empty "$D"
no_txt _acme-challenge.two.validation.test
journals_empty issue-two
json "$S/certs/two/settings.json" "
assert j['version'] == 2, j
assert j['provider']['name'] == 'cloudflare', j
p = j['providers']
assert [e['provider']['name'] for e in p] == ['cloudflare', 'rfc2136'], p
assert p[0]['domains'] == ['two.example.test', '*.two.example.test'] and p[1]['domains'] == ['two.validation.test'], p
assert p[1]['provider']['options']['server'] == '$DNS_SERVER', p
assert 'CLOUDFLARE_DNS_API_TOKEN' in json.dumps(p[0]) and '$CF_TOKEN' not in json.dumps(j), p"

# renew --force does the same with the saved mapping.
: >"$D/cf/requests.log"
before=$(openssl x509 -in "$S/certs/two/cert.pem" -noout -serial)
run renew-two 0 renew --force --cert-name two --json -vv
[ "$before" != "$(openssl x509 -in "$S/certs/two/cert.pem" -noout -serial)" ] || fail "renew-two: same certificate"
bed_verify_cert "$D" "$S/certs/two" two.example.test '*.two.example.test' two.validation.test
json "$D/renew-two.out" "
c = j['certificates'][0]
assert j['command'] == 'renew' and j['renewed'] == 1 and j['exit_status'] == 0, j
assert c['status'] == 'renewed' and c['files']['privkey'] == '$S/certs/two/privkey.pem', c
assert [p['name'] for p in c['providers']] == ['cloudflare', 'rfc2136'], c
assert isinstance(j['timings_ms']['total'], int)"
# Two records through Cloudflare, less those of names Pebble found already authorized (it reuses
# a valid authorization 1 time in 100 even at PEBBLE_AUTHZREUSE=0), which -vv names.
reused=$(grep -c 'two.example.test is already authorized' "$D/renew-two.err" || true)
[ "$(grep -c "^POST /client/v4/zones/$CF_ZONE_ID/dns_records 200" "$D/cf/requests.log")" = $((2 - reused)) ] ||
    fail "renew-two: not $((2 - reused)) record(s) through Cloudflare"
cf_assert_empty "$D"
no_txt _acme-challenge.two.validation.test
journals_empty renew-two

run certs 0 certificates --json
json "$D/certs.out" "
c = {x['name']: x for x in j['certificates']}['two']
assert c['provider'] == 'cloudflare' and [p['name'] for p in c['providers']] == ['cloudflare', 'rfc2136'], c
assert c['not_after'].endswith('Z') and c['days_left'] >= 0, c"
run certs-text 0 certificates
grep -q "^two .* cloudflare,rfc2136" "$D/certs-text.out" || { cat "$D/certs-text.out" >&2; fail "certificates: providers"; }

# A failure at the second provider (rfc2136, wrong key): Cloudflare's records removed too.
: >"$D/cf/requests.log"
run fail-second 4 "${CA[@]}" -v "${CF[@]}" -d f1.example.test --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
    --provider-opt "tsig-keyfile=$D/wrong.key" -d f1.validation.test --cert-name f1
grep -q "^POST /client/v4/zones/$CF_ZONE_ID/dns_records 200" "$D/cf/requests.log" ||
    fail "fail-second: Cloudflare presented nothing (the order was not cloudflare first)"
grep -q "^DELETE /client/v4/zones/$CF_ZONE_ID/dns_records/[0-9a-f]* 200" "$D/cf/requests.log" ||
    fail "fail-second: Cloudflare's record was not removed"
cf_assert_empty "$D"
no_txt _acme-challenge.f1.validation.test
# Only the refused record stays, in rfc2136's journal; with the key right, the next run removes it.
journal_only fail-second rfc2136 f1.validation.test
cp "$TSIG_KEYFILE" "$D/wrong.key"
[ ! -e "$S/certs/f1/cert.pem" ] || fail "fail-second: a certificate was written"
# ... and at the second one (Cloudflare, unknown token): rfc2136's record removed.
printf '%s\n' "$CF_BAD_TOKEN" >"$D/bad-token"
chmod 600 "$D/bad-token"
run fail-cf 4 "${CA[@]}" -v "${RFC[@]}" -d f2.validation.test "${CF[@]}" --provider-opt "api-token-file=$D/bad-token" \
    -d f2.example.test --cert-name f2
assert_contains "$D/fail-cf.err" "adding 1 TXT record(s) in zone validation.test through rfc2136"
assert_contains "$D/fail-cf.err" "removing 1 TXT record(s) in zone validation.test"
assert_contains "$D/fail-cf.err" "that an interrupted run left behind"
no_txt _acme-challenge.f2.validation.test _acme-challenge.f2.example.test
cf_assert_empty "$D"
journal_only fail-cf cloudflare f2.example.test
printf '%s\n' "$CF_TOKEN" >"$D/bad-token" # the next run that starts providers removes it

# ---------------------------------------------------------------- plugins, directory, -q
run plugins 0 plugins
for p in cloudflare hook rfc2136; do
    grep -q "^  $p  *[A-Z]" "$D/plugins.out" || { cat "$D/plugins.out" >&2; fail "plugins: $p not listed"; }
done
assert_contains "$D/plugins.out" "$BUILD/lib/acme-dns/plugins/rfc2136.so, plugin ABI 1.2"
run plugins-bad 3 plugins --plugin-dir "$BUILD/test-plugins"
assert_contains "$D/plugins-bad.out" "badabi           cannot be loaded: plugin $BUILD/test-plugins/badabi.so was built for plugin ABI 2"
assert_contains "$D/plugins-bad.out" "nosym            cannot be loaded: $BUILD/test-plugins/nosym.so is not an acme-dns plugin"
assert_contains "$D/plugins-bad.out" "  opts             test plugin with an option schema"
assert_contains "$D/plugins-bad.err" "2 plugins cannot be loaded"
run plugins-q 0 -q plugins

run dir-json 0 directory --server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE" --json
json "$D/dir-json.out" "
d = j['directory']
assert j['command'] == 'directory' and j['exit_status'] == 0, j
assert d['url'] == '$ACME_DIR_URL' and d['newOrder'].startswith('https://') and d['newNonce'], d
assert d['externalAccountRequired'] is False and isinstance(d['caaIdentities'], list), d"

run issue-q 0 -q "${CA[@]}" "${RFC[@]}" -d quiet.example.test --cert-name quiet
run renew-q 0 -q renew --cert-name quiet
run certs-q 0 -q certificates
run dir-q 0 -q directory --server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE"
for n in plugins-q issue-q renew-q certs-q dir-q; do
    if [ -s "$D/$n.out" ] || [ -s "$D/$n.err" ]; then
        cat "$D/$n.out" "$D/$n.err" >&2
        fail "$n printed something"
    fi
done
[ -s "$S/certs/quiet/fullchain.pem" ] || fail "issue -q wrote no certificate"
journals_empty issue-q
# -q on failure: the error still on stderr.
run renew-q-fail 10 -q renew --force --cert-name quiet --server https://127.0.0.1:9/dir
[ ! -s "$D/renew-q-fail.out" ] || fail "renew -q printed on stdout"
assert_contains "$D/renew-q-fail.err" "quiet: failed:"

echo "PASS: test_core_eco"
