# shellcheck shell=bash disable=SC1091,SC2034
# acme-dns integration test bed: a sourced bash library.
#
# Each test brings up its own DNS servers and ACME CA on its own loopback
# addresses (127.0.$BED_ID.1 and 127.0.$BED_ID.2), so tests run in parallel:
#
#   BIND 9 named  127.0.$BED_ID.1:53   primary for example.test, sub.example.test
#                                      (delegated from example.test with NS + glue)
#                                      and validation.test; TSIG-signed updates of
#                                      TXT records (update-policy zonesub TXT)
#   Knot knotd    127.0.$BED_ID.2:53   secondary for example.test (BED_SECONDARY=1),
#                                      NOTIFY from the primary, then IXFR/AXFR
#   (or, with BED_PRIMARY=pdns or knot, PowerDNS Authoritative or Knot as the primary
#   on 127.0.$BED_ID.1:53 for example.test alone, TSIG-signed updates allowed for
#   the same keys, and no recursive listener: Pebble then asks the primary)
#   Pebble        https://127.0.$BED_ID.1:14000/dir, management :15000, with its
#                                      own throwaway HTTPS CA (DIR/pebble-ca.pem)
#   named again   127.0.$BED_ID.3:53   the same named, recursive on this address only:
#                                      Pebble's resolver (BED_PEBBLE_DNS=primary), so
#                                      that it follows _acme-challenge.cname.example.test
#                                      CNAME cname.validation.test. as a CA would; its
#                                      root hints name the bed itself (nothing leaves
#                                      loopback) and its cache keeps answers 1 s at most
#
# Usage in a test (bash, run as root: port 53 and unshare -m):
#   set -euo pipefail
#   . "$ACME_DNS_SRC/tests/integration/bed.sh"
#   D=$(bed_tmpdir)                 # or any empty directory
#   bed_up "$D"                     # also sets bed_down "$D" as the EXIT trap
#   bed_acme "$D" --provider ... -d example.test
#
# Environment read by bed_up:
#   BED_ID               unique integer 1..254 per test (required)
#   BED_NET              second octet of the bed's addresses, 127.BED_NET.BED_ID.x (default 0;
#                        CMake's AD_BED_NET sets it, so that two build trees can run their
#                        suites at the same time)
#   BED_PRIMARY          bind|pdns|knot: the primary for example.test (default bind).
#                        pdns: pdns_server with the gsqlite3 backend, dnsupdate=yes, the keys
#                        imported with pdnsutil and allowed by TSIG-ALLOW-DNSUPDATE, kind primary,
#                        SOA-EDIT-DNSUPDATE INCREASE and NOTIFY-DNSUPDATE 1 (it NOTIFYs the
#                        secondary after each update).  knot: knotd with the keys in an acl
#                        with action update.  Both serve example.test only.
#   BED_SECONDARY        1: start the Knot secondary and list ns2 in example.test (default 0)
#   BED_SECONDARY_HOLD   1: the secondary loads example.test once, then takes no further
#                        change until bed_secondary_release DIR (default 0)
#   BED_PEBBLE_DNS       primary|secondary: the server Pebble validates against (default primary)
#   BED_NOTIFY_DELAY     BIND notify-delay in seconds (default 5)
#   BED_NO_PEBBLE        1: do not start Pebble
#   BED_PEBBLE_EAB       a JSON object {"KID": "base64url HMAC key", ...}: Pebble requires an
#                        external account binding of new accounts, with these keys
#                        (externalAccountBindingRequired, externalAccountMACKeys)
#   PEBBLE_*             exported variables reach Pebble; PEBBLE_VA_NOSLEEP defaults to 1,
#                        PEBBLE_AUTHZREUSE to 0 (every order needs its challenges, so every run
#                        really presents records); PEBBLE_WFE_NONCEREJECT is left at Pebble's
#                        default (5 %) unless set
#
# BED_PEBBLE_DNS=secondary makes Pebble ask the Knot secondary directly (no CNAME
# chasing into validation.test there).
#
# BED_SECONDARY_HOLD: Knot starts normally and transfers the zone once (so it is
# authoritative and answers SOA/NS from the start); bed_up then runs
# `knotc zone-freeze example.test`, which postpones every zone-changing event,
# including the refresh a NOTIFY schedules.  The secondary keeps serving the old
# serial until bed_secondary_release DIR thaws the zone and forces a refresh.
#
# bed_up writes into DIR:
#   env            ACME_DIR_URL ACME_CA_BUNDLE PEBBLE_MGMT_URL DNS_PRIMARY DNS_SECONDARY
#                  DNS_SERVER (primary ADDR:53) DNS_SECONDARY_SERVER TSIG_NAME TSIG_ALG
#                  TSIG_SECRET TSIG_KEYFILE BED_DIR BED_RESOLV_CONF
#                  (load with: set -a; . DIR/env; set +a; bed_up loads it already)
#   tsig.key       key acme-key (hmac-sha256), BIND key-file format (nsupdate -k)
#   tsig-ALG.key   key acme-ALG for ALG in md5 sha1 sha224 sha256 sha384 sha512
#                  (the same files also as tsig-hmac-ALG.key)
#   tsig-denied.key key acme-denied (hmac-sha256): the primary knows it but does not let
#                  it update example.test (BIND: no grant; PowerDNS: not in
#                  TSIG-ALLOW-DNSUPDATE; Knot: an acl rule with deny: on)
#   resolv.conf    nameserver = the primary (bed_run puts it over /etc/resolv.conf)
#   pebble-ca.pem  the CA of Pebble's HTTPS listener (--ca-bundle)
#   *.pid, *.log   the daemons
#
# Other functions: bed_down DIR, bed_run DIR CMD..., bed_acme DIR ARGS...,
# bed_acme_expect DIR WANT LOG ARGS..., bed_cmd DIR NAME CMD..., bed_expect DIR WANT NAME,
# bed_txt DIR NAME [ADDR], bed_issuer_root DIR, bed_verify_cert DIR CERTDIR NAME...,
# bed_stop PIDFILE PROGRAM (for fakes a test starts itself),
# bed_secondary_release DIR, bed_wait_secondary DIR [SECONDS], bed_tmpdir,
# fail MSG, assert_eq EXPECTED ACTUAL [WHAT], assert_contains FILE STRING,
# assert_not_contains FILE STRING.
#
# named listens only on addresses an interface carries, so bed_up adds
# 127.0.$BED_ID.1/32, .2/32 and .3/32 to lo (unless present) and bed_down removes them.
# Daemons are started with PR_SET_PDEATHSIG (setpriv --pdeathsig TERM), in the
# test's process group: if the test shell is killed outright they still go.
# bed_tmpdir directories are removed at exit when the test passed (keep them with
# BED_KEEP=1) and kept for inspection when it failed.

BED_ALGS="md5 sha1 sha224 sha256 sha384 sha512"
BED_ZONE=example.test

# ---------------------------------------------------------------- assertions

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
    [ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

# assert_contains FILE STRING: FILE has STRING (fixed string) somewhere.
assert_contains() {
    [ -f "$1" ] || fail "assert_contains: no file $1"
    if ! grep -qF -- "$2" "$1"; then
        echo "---- $1 (last 40 lines) ----" >&2
        tail -n 40 "$1" >&2
        echo "----" >&2
        fail "$1 does not contain '$2'"
    fi
}

# assert_not_contains FILE STRING
assert_not_contains() {
    [ -f "$1" ] || fail "assert_not_contains: no file $1"
    if grep -qF -- "$2" "$1"; then
        echo "---- $1: lines with '$2' ----" >&2
        grep -nF -- "$2" "$1" | head -n 20 >&2
        echo "----" >&2
        fail "$1 contains '$2'"
    fi
}

# bed_tmpdir: print a fresh private directory (removed at exit when the test
# passed, unless BED_KEEP=1; kept when it failed).
bed_tmpdir() {
    mktemp -d "${TMPDIR:-/tmp}/acme-dns-bed${BED_ID:+-$BED_ID}.XXXXXX"
}

# ---------------------------------------------------------------- helpers

_bed_log() { echo "bed[${BED_ID:-?}]: $*" >&2; }

# _bed_listening ADDR PORT: is anything (TCP or UDP) bound to ADDR:PORT or a wildcard?
_bed_listening() {
    ss -Hlntu 2>/dev/null | awk '{print $5}' |
        grep -qxF -e "$1:$2" -e "0.0.0.0:$2" -e "*:$2" -e "[::]:$2"
}

# _bed_wait DIR NAME PIDNAME CHECK...: poll CHECK (short first, backing off) for up to
# BED_WAIT seconds (default 30); stop early if the daemon exits.  On failure show
# its log tail, tear the bed down and fail.
_bed_wait() {
    local d=$1 name=$2 daemon=$3 delay=0.02 start
    shift 3
    start=$SECONDS
    while :; do
        if "$@" >/dev/null 2>&1; then return 0; fi
        if [ -n "$daemon" ] && ! kill -0 "$(cat "$d/$daemon.pid" 2>/dev/null || echo 0)" 2>/dev/null; then
            _bed_log "$name: $daemon exited during start-up"
            break
        fi
        if [ $((SECONDS - start)) -ge "${BED_WAIT:-30}" ]; then
            _bed_log "$name: not ready after ${BED_WAIT:-30} s"
            break
        fi
        sleep "$delay"
        case $delay in 0.02) delay=0.05 ;; 0.05) delay=0.1 ;; 0.1) delay=0.2 ;; *) delay=0.5 ;; esac
    done
    if [ -n "$daemon" ] && [ -f "$d/$daemon.log" ]; then
        echo "---- $d/$daemon.log (last 30 lines) ----" >&2
        tail -n 30 "$d/$daemon.log" >&2
        echo "----" >&2
    fi
    bed_down "$d"
    fail "bed_up: $name did not come up (bed $d)"
}

# _bed_start DIR NAME CMD...: start a daemon in the background with its log and pid file.
_bed_start() {
    local d=$1 name=$2
    shift 2
    setpriv --pdeathsig TERM -- "$@" </dev/null >"$d/$name.log" 2>&1 &
    echo $! >"$d/$name.pid"
}

_bed_soa() { # ADDR ZONE: the server answers the zone's SOA authoritatively
    dig +norecurse +time=1 +tries=1 @"$1" "$2" SOA 2>/dev/null | grep -q 'flags:.* aa'
}

_bed_serial() { # ADDR ZONE
    dig +short +norecurse +time=1 +tries=1 @"$1" "$2" SOA 2>/dev/null | awk '{print $3}'
}

_bed_zonefiles() {
    local d=$1 a1=$2 a2=$3 ns2 sec=${BED_SECONDARY:-0}
    ns2=""
    if [ "$sec" = 1 ]; then
        ns2="@            NS    ns2
ns2          A     $a2"
    fi
    cat >"$d/bind/example.test.zone" <<EOF
\$TTL 60
@            SOA   ns1 hostmaster 1 60 10 600 10
@            NS    ns1
ns1          A     $a1
$ns2
; delegation of sub.example.test, served by the primary: NS + glue
sub          NS    ns1.sub
ns1.sub      A     $a1
; a challenge delegated into validation.test by CNAME
_acme-challenge.cname CNAME cname.validation.test.
www          A     $a1
EOF
    cat >"$d/bind/sub.example.test.zone" <<EOF
\$TTL 60
@            SOA   ns1 hostmaster 1 60 10 600 10
@            NS    ns1
ns1          A     $a1
EOF
    cat >"$d/bind/validation.test.zone" <<EOF
\$TTL 60
@            SOA   ns1.example.test. hostmaster.example.test. 1 60 10 600 10
@            NS    ns1.example.test.
EOF
}

_bed_named_conf() {
    local d=$1 a1=$2 a2=$3 a3=$4 grants="" z notify
    grants="grant acme-key zonesub TXT;"
    for a in $BED_ALGS; do grants="$grants grant acme-$a zonesub TXT;"; done
    if [ "${BED_SECONDARY:-0}" = 1 ]; then
        notify="notify explicit; also-notify { $a2; };"
    else
        notify="notify no;"
    fi
    {
        echo "include \"$d/tsig.key\";"
        for a in $BED_ALGS denied; do echo "include \"$d/tsig-$a.key\";"; done
        cat <<EOF
options {
    directory "$d/bind";
    pid-file none;
    session-keyfile "$d/bind/session.key";
    managed-keys-directory "$d/bind";
    dump-file "$d/bind/named_dump.db";
    statistics-file "$d/bind/named.stats";
    memstatistics-file "$d/bind/named.memstats";
    listen-on port 53 { $a1; $a3; };
    listen-on-v6 { none; };
    bindkeys-file "$d/bind/bind.keys";
    // Recursion only on $a3 (Pebble's resolver), so that a CNAME into another
    // zone of this server is followed as a CA's resolver would; $a1 stays a plain
    // authoritative server.  The root hints name this server itself and no
    // forwarders are set: nothing leaves loopback.
    recursion yes;
    allow-recursion { 127.0.0.0/8; };
    allow-recursion-on { $a3; };
    allow-query-cache { 127.0.0.0/8; };
    allow-query-cache-on { $a3; };
    max-cache-ttl 1;
    max-ncache-ttl 1;
    query-source address $a3;
    dnssec-validation no;
    $notify
    notify-source $a1;
    notify-delay ${BED_NOTIFY_DELAY:-5};
    allow-transfer { 127.0.0.0/8; };
    allow-query { any; };
};
controls { };
EOF
        cat <<EOF
zone "." {
    type hint;
    file "$d/bind/root.hint";
};
EOF
        for z in example.test sub.example.test validation.test; do
            cat <<EOF
zone "$z" {
    type primary;
    file "$z.zone";
    update-policy { $grants };
};
EOF
        done
    } >"$d/bind/named.conf"
    printf '.  3600000 NS ns.bed.\nns.bed.  3600000 A %s\n' "$a1" >"$d/bind/root.hint"
}

_bed_knot_conf() {
    local d=$1 a1=$2 a2=$3
    cat >"$d/knot/knot.conf" <<EOF
server:
    rundir: "$d/knot"
    listen: $a2@53
database:
    storage: "$d/knot"
control:
    listen: "$d/knot/knot.sock"
log:
  - target: stderr
    any: info
remote:
  - id: primary
    address: $a1@53
    via: $a2
acl:
  - id: notify-from-primary
    address: $a1
    action: notify
template:
  - id: default
    storage: "$d/knot"
zone:
  - domain: $BED_ZONE
    master: primary
    acl: notify-from-primary
    zonefile-load: none
    zonefile-sync: -1
EOF
}

_bed_pebble_files() {
    local d=$1 a1=$2 p=$1/pebble
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -subj "/CN=acme-dns test bed $BED_ID HTTPS CA" \
        -keyout "$p/ca-key.pem" -out "$d/pebble-ca.pem" 2>/dev/null ||
        fail "bed_up: openssl could not make Pebble's HTTPS CA"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
        -keyout "$p/key.pem" -out "$p/req.pem" 2>/dev/null ||
        fail "bed_up: openssl could not make Pebble's HTTPS key"
    printf 'subjectAltName=IP:%s,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        "$a1" >"$p/ext.cnf"
    openssl x509 -req -in "$p/req.pem" -CA "$d/pebble-ca.pem" -CAkey "$p/ca-key.pem" -days 30 \
        -extfile "$p/ext.cnf" -out "$p/cert.pem" 2>/dev/null ||
        fail "bed_up: openssl could not sign Pebble's HTTPS certificate"
    local eab='"externalAccountBindingRequired": false'
    [ -z "${BED_PEBBLE_EAB:-}" ] ||
        eab="\"externalAccountBindingRequired\": true, \"externalAccountMACKeys\": $BED_PEBBLE_EAB"
    cat >"$p/pebble-config.json" <<EOF
{"pebble": {"listenAddress": "$a1:14000", "managementListenAddress": "$a1:15000",
  "certificate": "$p/cert.pem", "privateKey": "$p/key.pem", "httpPort": 5002, "tlsPort": 5001,
  "ocspResponderURL": "", $eab}}
EOF
}

# _bed_keys DIR: "NAME ALGORITHM SECRET" of every bed key, one a line.
_bed_keys() {
    local f
    for f in "$1/tsig.key" "$1"/tsig-{md5,sha1,sha224,sha256,sha384,sha512,denied}.key; do
        awk '/^key/ {gsub(/"/, "", $2); n = $2} /algorithm/ {gsub(/;/, "", $2); a = $2}
             /secret/ {split($0, q, "\""); print n, a, q[2]}' "$f"
    done
}

# PowerDNS primary on A1 for example.test (gsqlite3 backend, filled by pdnsutil).
_bed_pdns_primary() {
    local d=$1 a1=$2 p=$1/pdns allowed="" name alg secret
    mkdir -p "$p"
    python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).executescript(open(sys.argv[2]).read())' \
        "$p/pdns.sqlite3" /usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql ||
        fail "bed_up: cannot create the PowerDNS database"
    printf '%s\n' launch=gsqlite3 "gsqlite3-database=$p/pdns.sqlite3" "local-address=$a1" local-port=53 \
        "query-local-address=$a1" "socket-dir=$p" guardian=no daemon=no disable-syslog=yes log-timestamp=no \
        primary=yes dnsupdate=yes allow-axfr-ips=127.0.0.0/8 \
        distributor-threads=1 receiver-threads=1 webserver=no api=no >"$p/pdns.conf"
    {
        pdnsutil --config-dir="$p" load-zone "$BED_ZONE" "$d/bind/$BED_ZONE.zone"
        pdnsutil --config-dir="$p" set-kind "$BED_ZONE" primary # a native zone sends no NOTIFY
        while read -r name alg secret; do
            pdnsutil --config-dir="$p" import-tsig-key "$name" "$alg" "$secret"
            [ "$name" = acme-denied ] || allowed="$allowed $name"
        done < <(_bed_keys "$d")
        # shellcheck disable=SC2086
        pdnsutil --config-dir="$p" set-meta "$BED_ZONE" TSIG-ALLOW-DNSUPDATE $allowed
        pdnsutil --config-dir="$p" set-meta "$BED_ZONE" SOA-EDIT-DNSUPDATE INCREASE
        pdnsutil --config-dir="$p" set-meta "$BED_ZONE" NOTIFY-DNSUPDATE 1
    } >"$d/pdnsutil.log" 2>&1 || { cat "$d/pdnsutil.log" >&2; fail "bed_up: pdnsutil failed"; }
    _bed_start "$d" pdns pdns_server --config-dir="$p"
    _bed_wait "$d" "pdns_server ($a1:53, zone $BED_ZONE)" pdns _bed_soa "$a1" "$BED_ZONE"
}

# Knot primary on A1 for example.test; NOTIFY to the secondary on A2 when there is one.
_bed_knot_primary() {
    local d=$1 a1=$2 a2=$3 k=$1/knotp name alg secret keys="" notify=""
    mkdir -p "$k"
    cp "$d/bind/$BED_ZONE.zone" "$k/$BED_ZONE.zone"
    if [ "${BED_SECONDARY:-0}" = 1 ]; then notify="    notify: secondary"; fi
    {
        printf 'server:\n    rundir: "%s"\n    listen: %s@53\n' "$k" "$a1"
        printf 'database:\n    storage: "%s"\ncontrol:\n    listen: "%s/knot.sock"\n' "$k" "$k"
        printf 'log:\n  - target: stderr\n    any: info\nkey:\n'
        while read -r name alg secret; do
            printf '  - id: %s\n    algorithm: %s\n    secret: %s\n' "$name" "$alg" "$secret"
            [ "$name" = acme-denied ] || keys="$keys${keys:+, }$name"
        done < <(_bed_keys "$d")
        printf 'remote:\n  - id: secondary\n    address: %s@53\n    via: %s\n' "$a2" "$a1"
        printf 'acl:\n  - id: denied\n    key: acme-denied\n    action: update\n    deny: on\n'
        printf '  - id: update\n    key: [%s]\n    action: update\n' "$keys"
        printf '  - id: transfer\n    address: 127.0.0.0/8\n    action: transfer\n'
        printf 'zone:\n  - domain: %s\n    storage: "%s"\n    file: "%s/%s.zone"\n' "$BED_ZONE" "$k" "$k" "$BED_ZONE"
        printf '    zonefile-sync: -1\n    acl: [denied, update, transfer]\n%s\n' "$notify"
    } >"$k/knot.conf"
    _bed_start "$d" knotp knotd -c "$k/knot.conf"
    _bed_wait "$d" "knotd primary ($a1:53, zone $BED_ZONE)" knotp _bed_soa "$a1" "$BED_ZONE"
}

# ---------------------------------------------------------------- API

# bed_up DIR
bed_up() {
    [ $# -eq 1 ] || fail "usage: bed_up DIR"
    local d a1 a2 a3 secret pdns
    case ${BED_ID:-} in
    '' | *[!0-9]*) fail "bed_up: BED_ID must be an integer 1..254 (got '${BED_ID:-}')" ;;
    esac
    if [ "$BED_ID" -lt 1 ] || [ "$BED_ID" -gt 254 ]; then fail "bed_up: BED_ID $BED_ID is not in 1..254"; fi
    [ "$(id -u)" = 0 ] || fail "bed_up: needs root (port 53, unshare -m)"
    case ${BED_PRIMARY:=bind} in
    bind | pdns | knot) ;;
    *) fail "bed_up: BED_PRIMARY must be bind, pdns or knot (got '$BED_PRIMARY')" ;;
    esac
    for c in named knotd knotc pdns_server pdnsutil python3 pebble tsig-keygen dig nsupdate openssl curl ss ip setpriv unshare; do
        if [ "$c" = knotd ] || [ "$c" = knotc ]; then [ "${BED_SECONDARY:-0}" = 1 ] || [ "$BED_PRIMARY" = knot ] || continue; fi
        if [ "$c" = pdns_server ] || [ "$c" = pdnsutil ] || [ "$c" = python3 ]; then [ "$BED_PRIMARY" = pdns ] || continue; fi
        if [ "$c" = pebble ]; then [ "${BED_NO_PEBBLE:-0}" != 1 ] || continue; fi
        command -v "$c" >/dev/null 2>&1 || fail "bed_up: '$c' not found in PATH"
    done
    mkdir -p "$1" || fail "bed_up: cannot create $1"
    d=$(cd "$1" && pwd)
    for f in named knotd knotp pdns pebble; do
        [ ! -f "$d/$f.pid" ] || fail "bed_up: $d/$f.pid exists: a bed already runs in $d (bed_down $d)"
    done
    case ${BED_NET:-0} in
    *[!0-9]*) fail "bed_up: BED_NET must be an integer 0..254 (got '${BED_NET}')" ;;
    esac
    a1=127.${BED_NET:-0}.$BED_ID.1
    a2=127.${BED_NET:-0}.$BED_ID.2
    a3=127.${BED_NET:-0}.$BED_ID.3

    # Nothing may hold our addresses already.
    local busy="$a1:53"
    [ "$BED_PRIMARY" != bind ] || busy="$busy $a3:53"
    [ "${BED_SECONDARY:-0}" != 1 ] || busy="$busy $a2:53"
    [ "${BED_NO_PEBBLE:-0}" = 1 ] || busy="$busy $a1:14000 $a1:15000"
    for ap in $busy; do
        if _bed_listening "${ap%:*}" "${ap##*:}"; then
            ss -Hlntup 2>/dev/null | grep -F -e "$ap " -e "0.0.0.0:${ap##*:} " -e "*:${ap##*:} " \
                -e "[::]:${ap##*:} " >&2 || true
            fail "bed_up: $ap (or a wildcard on its port) is already in use: another bed with BED_ID=$BED_ID, or a system DNS server? Pick another BED_ID or stop it"
        fi
    done

    # From here on, whatever happens, the daemons go when the test ends.
    # shellcheck disable=SC2064
    trap "_bed_exit '$d'" EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
    BED_DIR=$d
    unset ACME_DIR_URL ACME_CA_BUNDLE PEBBLE_MGMT_URL DNS_PRIMARY DNS_SECONDARY DNS_SECONDARY_SERVER \
        DNS_SERVER TSIG_NAME TSIG_ALG TSIG_SECRET TSIG_KEYFILE BED_RESOLV_CONF

    mkdir -p "$d/bind" "$d/knot" "$d/pebble" "$d/state"

    # named listens only on addresses that an interface carries (the 127/8 route
    # alone is not enough), so put ours on lo; bed_down takes away what it added.
    : >"$d/addrs"
    # (grep reads all of ip's output: with -q it may stop first, and under pipefail
    # ip's SIGPIPE would turn a match into a miss when lo carries many addresses.)
    for a in "$a1" "$a2" "$a3"; do
        if ! ip -4 -o addr show dev lo | grep -F " $a/" >/dev/null; then
            if ip addr add "$a/32" dev lo 2>"$d/ip.err"; then
                echo "$a" >>"$d/addrs"
            elif ! ip -4 -o addr show dev lo | grep -F " $a/" >/dev/null; then
                fail "bed_up: cannot add $a to lo: $(cat "$d/ip.err") (needs CAP_NET_ADMIN)"
            fi
        fi
    done

    # TSIG keys: acme-key (hmac-sha256) and acme-ALG for every algorithm.
    tsig-keygen -a hmac-sha256 acme-key >"$d/tsig.key" || fail "bed_up: tsig-keygen failed"
    for a in $BED_ALGS; do
        tsig-keygen -a "hmac-$a" "acme-$a" >"$d/tsig-$a.key" || fail "bed_up: tsig-keygen -a hmac-$a failed"
        cp "$d/tsig-$a.key" "$d/tsig-hmac-$a.key"
    done
    tsig-keygen -a hmac-sha256 acme-denied >"$d/tsig-denied.key" || fail "bed_up: tsig-keygen failed"
    chmod 600 "$d"/tsig*.key
    secret=$(awk -F'"' '/secret/ {print $2}' "$d/tsig.key")

    _bed_zonefiles "$d" "$a1" "$a2"
    _bed_named_conf "$d" "$a1" "$a2" "$a3"
    named-checkconf "$d/bind/named.conf" >"$d/named-checkconf.log" 2>&1 || {
        cat "$d/named-checkconf.log" >&2
        fail "bed_up: named.conf does not check"
    }
    printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$a1" >"$d/resolv.conf"

    case $BED_PRIMARY in
    bind)
        _bed_start "$d" named named -4 -g -n 1 -c "$d/bind/named.conf"
        for z in example.test sub.example.test validation.test; do
            _bed_wait "$d" "named ($a1:53, zone $z)" named _bed_soa "$a1" "$z"
        done
        ;;
    pdns) _bed_pdns_primary "$d" "$a1" ;;
    knot) _bed_knot_primary "$d" "$a1" "$a2" ;;
    esac

    if [ "${BED_SECONDARY:-0}" = 1 ]; then
        _bed_knot_conf "$d" "$a1" "$a2"
        _bed_start "$d" knotd knotd -c "$d/knot/knot.conf"
        _bed_wait "$d" "knotd ($a2:53, zone $BED_ZONE)" knotd _bed_soa "$a2" "$BED_ZONE"
        _bed_wait "$d" "knotc ($d/knot/knot.sock)" knotd \
            knotc -s "$d/knot/knot.sock" zone-status "$BED_ZONE"
        if [ "${BED_SECONDARY_HOLD:-0}" = 1 ]; then
            knotc -s "$d/knot/knot.sock" zone-freeze "$BED_ZONE" >/dev/null ||
                fail "bed_up: knotc zone-freeze $BED_ZONE failed"
            _bed_wait "$d" "knotd freeze of $BED_ZONE" knotd _bed_knot_frozen "$d"
        fi
    fi

    if [ "${BED_NO_PEBBLE:-0}" != 1 ]; then
        case ${BED_PEBBLE_DNS:-primary} in
        primary) # BIND's recursive listener (see named.conf); PowerDNS and Knot directly
            pdns=$a3:53
            [ "$BED_PRIMARY" = bind ] || pdns=$a1:53
            ;;
        secondary)
            [ "${BED_SECONDARY:-0}" = 1 ] || fail "bed_up: BED_PEBBLE_DNS=secondary needs BED_SECONDARY=1"
            pdns=$a2:53
            ;;
        *) fail "bed_up: BED_PEBBLE_DNS must be primary or secondary (got '$BED_PEBBLE_DNS')" ;;
        esac
        _bed_pebble_files "$d" "$a1"
        PEBBLE_VA_NOSLEEP=${PEBBLE_VA_NOSLEEP:-1} PEBBLE_AUTHZREUSE=${PEBBLE_AUTHZREUSE:-0} \
            _bed_start "$d" pebble pebble -config "$d/pebble/pebble-config.json" -dnsserver "$pdns"
        _bed_wait "$d" "pebble (https://$a1:14000/dir)" pebble \
            curl -sf --max-time 2 --cacert "$d/pebble-ca.pem" "https://$a1:14000/dir"
    fi

    {
        echo "BED_DIR=$d"
        echo "BED_ID=$BED_ID"
        echo "BED_PRIMARY=$BED_PRIMARY"
        if [ "${BED_NO_PEBBLE:-0}" != 1 ]; then
            echo "ACME_DIR_URL=https://$a1:14000/dir"
            echo "ACME_CA_BUNDLE=$d/pebble-ca.pem"
            echo "PEBBLE_MGMT_URL=https://$a1:15000"
        fi
        echo "DNS_ZONE=$BED_ZONE"
        echo "DNS_PRIMARY=$a1"
        if [ "${BED_SECONDARY:-0}" = 1 ]; then
            echo "DNS_SECONDARY=$a2"
            echo "DNS_SECONDARY_SERVER=$a2:53"
        else
            echo "DNS_SECONDARY="
            echo "DNS_SECONDARY_SERVER="
        fi
        echo "DNS_SERVER=$a1:53"
        echo "TSIG_NAME=acme-key"
        echo "TSIG_ALG=hmac-sha256"
        echo "TSIG_SECRET=$secret"
        echo "TSIG_KEYFILE=$d/tsig.key"
        echo "BED_RESOLV_CONF=$d/resolv.conf"
    } >"$d/env"
    chmod 600 "$d/env"
    set -a
    # shellcheck disable=SC1091
    . "$d/env"
    set +a
    _bed_log "up in $d: primary $a1:53${DNS_SECONDARY:+, secondary $a2:53}${ACME_DIR_URL:+, ACME ${ACME_DIR_URL}}"
}

_bed_knot_frozen() {
    knotc -s "$1/knot/knot.sock" zone-status "$BED_ZONE" 2>/dev/null | grep -q 'freeze: yes'
}

# bed_secondary_release DIR: let a held secondary (BED_SECONDARY_HOLD=1) catch up now.
bed_secondary_release() {
    local d=${1:?usage: bed_secondary_release DIR}
    [ -S "$d/knot/knot.sock" ] || fail "bed_secondary_release: no secondary runs in $d"
    knotc -s "$d/knot/knot.sock" zone-thaw "$BED_ZONE" >/dev/null ||
        fail "bed_secondary_release: knotc zone-thaw failed"
    knotc -s "$d/knot/knot.sock" zone-refresh "$BED_ZONE" >/dev/null ||
        fail "bed_secondary_release: knotc zone-refresh failed"
}

# bed_wait_secondary DIR [SECONDS]: wait until the secondary has the primary's serial
# of example.test (default up to 30 s).
bed_wait_secondary() {
    local d=${1:?usage: bed_wait_secondary DIR [SECONDS]} limit=${2:-30} start=$SECONDS p s delay=0.05
    # shellcheck disable=SC1091
    p=$(set -a; . "$d/env"; _bed_serial "$DNS_PRIMARY" "$BED_ZONE")
    while :; do
        s=$(set -a; . "$d/env"; _bed_serial "$DNS_SECONDARY" "$BED_ZONE")
        [ "$s" != "$p" ] || return 0
        [ $((SECONDS - start)) -lt "$limit" ] || return 1
        sleep "$delay"
        case $delay in 0.05) delay=0.1 ;; 0.1) delay=0.2 ;; *) delay=0.5 ;; esac
    done
}

# bed_stop PIDFILE PROGRAM: stop the process PIDFILE names if its command line has
# PROGRAM (a recycled PID is left alone), wait for it, remove PIDFILE; idempotent.
bed_stop() {
    local f=${1:?usage: bed_stop PIDFILE PROGRAM} pid
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -F -- "${2:?usage: bed_stop PIDFILE PROGRAM}" >/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
}

# bed_down DIR: stop exactly the daemons bed_up started (by PID), idempotent.
bed_down() {
    local d=${1:?usage: bed_down DIR} f pid svc sp left="" ours=""
    [ -d "$d" ] || return 0
    d=$(cd "$d" && pwd)
    for svc in pebble knotd knotp pdns named; do
        f=$d/$svc.pid
        [ -f "$f" ] || continue
        pid=$(cat "$f" 2>/dev/null || true)
        # Only a live process whose command line names DIR is one bed_up started
        # (a recycled PID is left alone).
        if [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "$d/"; then
            kill -TERM "$pid" 2>/dev/null || true
            ours="$ours $svc:$pid"
        fi
        rm -f "$f"
    done
    for sp in $ours; do
        svc=${sp%%:*}
        pid=${sp#*:}
        for _ in $(seq 100); do
            _bed_alive "$pid" || break
            sleep 0.05
        done
        if _bed_alive "$pid"; then
            _bed_log "$svc ($pid) ignored SIGTERM for 5 s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true # reap it when it is this shell's child
        if _bed_alive "$pid"; then left="$left $svc($pid)"; fi
    done
    if [ -n "$left" ]; then _bed_log "bed_down: still running:$left"; fi
    if [ -f "$d/addrs" ]; then
        while read -r a; do
            [ -z "$a" ] || ip addr del "$a/32" dev lo 2>/dev/null || true
        done <"$d/addrs"
        rm -f "$d/addrs"
    fi
    return 0
}

# _bed_alive PID: the process exists and is not a zombie.
_bed_alive() {
    local st
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}

# EXIT trap: stop the bed; remove a bed_tmpdir directory when the test passed
# (unless BED_KEEP=1), keep it for inspection when it failed.  The test's exit
# status is kept.
_bed_exit() {
    local rc=$? d=$1
    trap - EXIT
    bed_down "$d"
    case ${d##*/} in
    acme-dns-bed*)
        if [ "$rc" = 0 ] && [ "${BED_KEEP:-0}" != 1 ]; then
            rm -rf "$d"
        else
            _bed_log "bed files kept in $d"
        fi
        ;;
    esac
    exit "$rc"
}

# bed_run DIR CMD...: run CMD in a private mount namespace whose /etc/resolv.conf
# is DIR/resolv.conf (names the primary only).
bed_run() {
    local d=${1:?usage: bed_run DIR CMD...}
    shift
    [ $# -ge 1 ] || fail "usage: bed_run DIR CMD..."
    d=$(cd "$d" && pwd)
    # --propagation private needs "/" to be a mount point; inside a plain chroot it is not,
    # and there the namespace keeps the propagation it inherits (private on the machines this
    # project is tested on, where such a chroot sits on a private root mount).
    local prop=private
    if ! unshare --mount --propagation private true 2>/dev/null; then
        prop=unchanged
    fi
    unshare --mount --propagation "$prop" -- /bin/bash -c '
        mount --bind "$0/resolv.conf" /etc/resolv.conf || { echo "bed_run: cannot bind-mount $0/resolv.conf" >&2; exit 125; }
        exec "$@"' "$d" "$@"
}

# bed_acme DIR ARGS...: run the binary under test against this bed.
bed_acme() {
    local d=${1:?usage: bed_acme DIR ARGS...}
    shift
    [ -n "${ACME_DNS:-}" ] || fail "bed_acme: ACME_DNS (the binary under test) is not set"
    [ -x "$ACME_DNS" ] || fail "bed_acme: $ACME_DNS is not an executable (build it first)"
    (
        set -a
        # shellcheck disable=SC1091
        . "$d/env"
        set +a
        [ -n "${ACME_DIR_URL:-}" ] || fail "bed_acme: the bed in $d has no Pebble (BED_NO_PEBBLE=1)"
        bed_run "$d" "$ACME_DNS" --server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE" \
            --agree-tos --state-dir "$d/state" --dns-resolver "$DNS_SERVER" "$@"
    )
}

# bed_acme_expect DIR WANT LOG ARGS...: bed_acme DIR ARGS... with its output in LOG; fail,
# showing the log's tail, unless it exits WANT.
bed_acme_expect() {
    local d=${1:?usage: bed_acme_expect DIR WANT LOG ARGS...} want=$2 log=$3 rc=0
    shift 3
    bed_acme "$d" "$@" >"$log" 2>&1 || rc=$?
    [ "$rc" != "$want" ] || return 0
    tail -n 40 "$log" >&2
    fail "acme-dns exited $rc, expected $want (log: $log)"
}

# bed_cmd DIR NAME CMD...: bed_run DIR CMD... with its stdout in DIR/NAME.out and its stderr
# in DIR/NAME.log; its exit status in $rc.  bed_expect DIR WANT NAME: fail, showing NAME's
# output, unless $rc is WANT.
bed_cmd() {
    local d=${1:?usage: bed_cmd DIR NAME CMD...} name=${2:?usage: bed_cmd DIR NAME CMD...}
    shift 2
    rc=0
    bed_run "$d" "$@" >"$d/$name.out" 2>"$d/$name.log" || rc=$?
}

bed_expect() {
    local d=${1:?usage: bed_expect DIR WANT NAME} want=${2:?usage: bed_expect DIR WANT NAME}
    local name=${3:?usage: bed_expect DIR WANT NAME}
    [ "$rc" != "$want" ] || return 0
    cat "$d/$name.out" >&2
    tail -n 40 "$d/$name.log" >&2
    fail "$name: exited $rc, expected $want (output: $d/$name.out, $d/$name.log)"
}

# bed_txt DIR NAME [ADDR]: the TXT values at NAME served by ADDR (default the
# primary), one per line, without quotes (several strings of one record joined).
bed_txt() {
    local d=${1:?usage: bed_txt DIR NAME [ADDR]} name=${2:?usage: bed_txt DIR NAME [ADDR]} addr=${3:-}
    if [ -z "$addr" ]; then
        addr=$(set -a; . "$d/env"; echo "$DNS_PRIMARY")
    fi
    dig +noall +answer +norecurse +time=2 +tries=2 @"$addr" "$name" TXT |
        awk '$4 == "TXT" { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' |
        sed -e 's/^"//' -e 's/"$//' -e 's/" "//g'
}

# bed_issuer_root DIR: fetch Pebble's issuing root to DIR/root.pem; print the path.
bed_issuer_root() {
    local d=${1:?usage: bed_issuer_root DIR}
    (
        set -a
        # shellcheck disable=SC1091
        . "$d/env"
        curl -sf --max-time 10 --cacert "$ACME_CA_BUNDLE" "$PEBBLE_MGMT_URL/roots/0" >"$d/root.pem"
    ) || fail "bed_issuer_root: could not fetch the root from Pebble's management API"
    grep -q 'BEGIN CERTIFICATE' "$d/root.pem" || fail "bed_issuer_root: $d/root.pem is not a certificate"
    echo "$d/root.pem"
}

# bed_verify_cert DIR CERTDIR NAME...: the certificate in CERTDIR chains to Pebble's
# root (openssl verify) and names every NAME in its subjectAltName.
bed_verify_cert() {
    local d=${1:?usage: bed_verify_cert DIR CERTDIR NAME...} c=${2:?usage: bed_verify_cert DIR CERTDIR NAME...} root sans n out
    shift 2
    for f in cert.pem chain.pem fullchain.pem privkey.pem; do
        [ -s "$c/$f" ] || fail "bed_verify_cert: $c/$f is missing or empty"
    done
    root=$(bed_issuer_root "$d")
    out=$(openssl verify -CAfile "$root" -untrusted "$c/chain.pem" "$c/cert.pem" 2>&1) ||
        fail "bed_verify_cert: $c/cert.pem does not chain to Pebble's root: $out"
    # fullchain.pem must verify on its own too: its first certificate is the leaf.
    out=$(openssl verify -CAfile "$root" -untrusted "$c/fullchain.pem" "$c/fullchain.pem" 2>&1) ||
        fail "bed_verify_cert: $c/fullchain.pem does not verify: $out"
    [ "$(openssl x509 -in "$c/fullchain.pem" -noout -fingerprint -sha256)" = \
        "$(openssl x509 -in "$c/cert.pem" -noout -fingerprint -sha256)" ] ||
        fail "bed_verify_cert: fullchain.pem does not begin with cert.pem"
    # The private key matches the certificate.
    [ "$(openssl pkey -in "$c/privkey.pem" -pubout 2>/dev/null)" = \
        "$(openssl x509 -in "$c/cert.pem" -noout -pubkey)" ] ||
        fail "bed_verify_cert: privkey.pem does not match cert.pem"
    sans=$(openssl x509 -in "$c/cert.pem" -noout -ext subjectAltName 2>/dev/null |
        tail -n +2 | tr ',' '\n' | sed 's/^ *//')
    for n in "$@"; do
        grep -qxF "DNS:$n" <<<"$sans" ||
            fail "bed_verify_cert: $c/cert.pem does not name $n (SAN: $(printf '%s ' "$sans" | tr '\n' ' '))"
    done
}
