# shellcheck shell=bash
# Start and drive the fake Cloudflare API (cloudflare_api.py) inside a test bed.
# Source after bed.sh and bed_up:
#
#   cf_fake_up DIR [ARGS...]   start the fake over HTTPS on 127.0.$BED_ID.1 (any free port)
#                              with its own CA, writing through to the bed's primary; ARGS
#                              go to cloudflare_api.py.  Sets and exports:
#     CF_URL        API base URL (https://127.0.$BED_ID.1:PORT/client/v4)
#     CF_BASE       the fake's root URL (control endpoints /__control, /__records, ...)
#     CF_CA         the CA that signed the fake's certificate (ca-bundle)
#     CF_TOKEN      token with every permission on every zone
#     CF_RO_TOKEN   token with Zone:Read and DNS:Read only
#     CF_ZONE_TOKEN token with Zone:Read only, CF_DNS_TOKEN with DNS:Read and DNS:Edit only
#                   (lego's split token); the fake's request log ends each of their
#                   requests with "zone-token" or "dns-token"
#     CF_BAD_TOKEN  well-formed token the fake does not know
#     CF_EMAIL CF_KEY   a global API key
#     CF_ZONE_ID    id of example.test; CF_SUB_ZONE_ID id of (the active) sub.example.test;
#     CF_SUB_PENDING_ID  id of a pending duplicate of sub.example.test (listed first)
#   cf_fake_down DIR           stop it (also done at exit)
#   cf_ctl JSON                POST JSON to /__control (failure injection)
#   cf_records                 print every record the fake holds (JSON list)
#   cf_assert_empty DIR        no record in the fake, no TXT at the challenge names in DNS
#
# Secrets live in files only (tokens file, key file), never on a command line.

CF_ZONE_ID=0123456789abcdef0123456789abcdef
CF_SUB_ZONE_ID=fedcba9876543210fedcba9876543210
CF_SUB_PENDING_ID=00000000000000000000000000000bad

cf_fake_up() {
    local d=${1:?usage: cf_fake_up DIR [ARGS...]} a1 c
    shift
    a1=127.${BED_NET:-0}.$BED_ID.1
    c=$d/cf
    mkdir -p "$c"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=fake Cloudflare CA $BED_ID" -keyout "$c/ca.key" -out "$c/ca.pem" 2>/dev/null ||
        fail "cf_fake_up: openssl CA"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=api.fake \
        -keyout "$c/key.pem" -out "$c/req.pem" 2>/dev/null || fail "cf_fake_up: openssl key"
    printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$a1" >"$c/ext.cnf"
    openssl x509 -req -in "$c/req.pem" -CA "$c/ca.pem" -CAkey "$c/ca.key" -days 2 \
        -extfile "$c/ext.cnf" -out "$c/cert.pem" 2>/dev/null || fail "cf_fake_up: openssl sign"
    CF_TOKEN=$(head -c 30 /dev/urandom | base64 | tr -d '/+=' | head -c 40)
    CF_RO_TOKEN=$(head -c 30 /dev/urandom | base64 | tr -d '/+=' | head -c 40)
    CF_BAD_TOKEN=$(head -c 30 /dev/urandom | base64 | tr -d '/+=' | head -c 40)
    CF_ZONE_TOKEN=$(head -c 30 /dev/urandom | base64 | tr -d '/+=' | head -c 40)
    CF_DNS_TOKEN=$(head -c 30 /dev/urandom | base64 | tr -d '/+=' | head -c 40)
    CF_EMAIL=admin@example.test
    CF_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 37)
    umask 077
    printf '%s all *\n%s zone:read,dns:read *\n%s zone:read * zone-token\n%s dns:read,dns:edit * dns-token\n' \
        "$CF_TOKEN" "$CF_RO_TOKEN" "$CF_ZONE_TOKEN" "$CF_DNS_TOKEN" >"$c/tokens"
    printf '%s %s\n' "$CF_EMAIL" "$CF_KEY" >"$c/keys"
    umask 022
    rm -f "$c/port"
    setpriv --pdeathsig TERM -- python3 "$SRC/tests/fakes/cloudflare_api.py" \
        --listen "$a1" --ready-file "$c/port" --tls-cert "$c/cert.pem" --tls-key "$c/key.pem" \
        --dns-server "$DNS_PRIMARY" --tsig-keyfile "$TSIG_KEYFILE" \
        --zone "example.test=$CF_ZONE_ID" \
        --zone "sub.example.test=$CF_SUB_PENDING_ID,status=pending" \
        --zone "sub.example.test=$CF_SUB_ZONE_ID" \
        --tokens-file "$c/tokens" --global-key-file "$c/keys" --log "$c/requests.log" \
        "$@" </dev/null >"$c/fake.log" 2>&1 &
    echo $! >"$c/fake.pid"
    local delay=0.02 start=$SECONDS
    until [ -s "$c/port" ]; do
        kill -0 "$(cat "$c/fake.pid")" 2>/dev/null || { cat "$c/fake.log" >&2; fail "cf_fake_up: the fake exited"; }
        [ $((SECONDS - start)) -lt 20 ] || fail "cf_fake_up: the fake did not start"
        sleep "$delay"
        case $delay in 0.02) delay=0.05 ;; 0.05) delay=0.1 ;; *) delay=0.2 ;; esac
    done
    CF_BASE=https://$a1:$(cat "$c/port")
    CF_URL=$CF_BASE/client/v4
    CF_CA=$c/ca.pem
    export CF_URL CF_BASE CF_CA CF_TOKEN CF_RO_TOKEN CF_BAD_TOKEN CF_ZONE_TOKEN CF_DNS_TOKEN CF_EMAIL CF_KEY \
        CF_ZONE_ID CF_SUB_ZONE_ID CF_SUB_PENDING_ID
    # Stop the fake before the bed goes (keeping the test's exit status).
    # shellcheck disable=SC2064
    trap "_cf_rc=\$?; cf_fake_down '$d'; (exit \$_cf_rc); _bed_exit '$d'" EXIT
}

cf_fake_down() {
    bed_stop "${1:?usage: cf_fake_down DIR}/cf/fake.pid" cloudflare_api.py
}

cf_ctl() {
    curl -sf --max-time 10 --cacert "$CF_CA" -X POST -H 'Content-Type: application/json' \
        --data "$1" "$CF_BASE/__control" >/dev/null || fail "cf_ctl: the fake refused $1"
}

cf_records() {
    curl -sf --max-time 10 --cacert "$CF_CA" "$CF_BASE/__records"
}

cf_assert_empty() {
    local d=${1:?usage: cf_assert_empty DIR} n
    assert_eq "[]" "$(cf_records)" "records left in the fake"
    for n in _acme-challenge.example.test _acme-challenge.sub.example.test _acme-challenge.www.sub.example.test; do
        assert_eq "" "$(bed_txt "$d" "$n")" "TXT left at $n"
    done
}
