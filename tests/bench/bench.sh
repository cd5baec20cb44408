#!/usr/bin/env bash
# shellcheck disable=SC1091,SC2317
# Benchmark: time to a correct certificate with acme-dns and with lego, certbot,
# uacme and dehydrated, on the integration test bed (tests/integration/bed.sh):
# BIND 9 primary and Knot secondary for example.test, Pebble as the CA, all on
# loopback.  Every client updates DNS through RFC 2136 with the same TSIG key.
#
# Scenarios (each on a bed of its own, brought up and down by this script):
#   A  example.test + *.example.test; the CA validates against the primary
#   L  the same; the CA validates against the secondary, which lags behind the
#      primary by BIND's notify-delay when changes come close together
#   B  100 names, n0 ... n99.example.test, in one order (CA reads the primary)
#   R  renewal: 100 certificates (rK.example.test + www.rK.example.test, one zone, a
#      primary without secondary) issued first, untimed; then timed: renewing r0 alone,
#      and renewing all 100 in one go (acme-dns renew, certbot renew; lego renew once
#      per certificate), each tool in its own state; HTTPS connections to the CA counted
#      with tcpdump (SYNs to Pebble's port)
#
# Configurations (peers/NAME.sh; --tools picks, in this order by default):
#   acme-dns     acme-dns, provider rfc2136
#   certbot-0    certbot + certbot-dns-rfc2136, --dns-rfc2136-propagation-seconds 0
#   lego-1s      lego, rfc2136, RFC2136_SEQUENCE_INTERVAL=1
#   dehydrated   dehydrated + peers/dehydrated-hook.sh (waits for every name server)
#   uacme        uacme + its stock /usr/share/uacme/nsupdate.sh
#   lego         lego with its defaults (sleeps 60 s between authorizations)
#   certbot      certbot with its defaults (sleeps 60 s before validation)
# --quick leaves out the last two.  Scenario R runs --r-tools (default: acme-dns
# certbot-0 lego-1s), --r-runs times (default 1), with --r-certs certificates
# (default 100).  Scenario B runs only the configurations in
# --b-tools (default: acme-dns certbot-0): the others solve 100 authorizations one
# at a time, each waiting for the secondary, which takes 10 minutes and more.
#
# Every run starts without an account (new directory), runs alone, and is timed
# as one command (measure.c, started inside the bed's namespace around the client
# command exactly as a user would type it): wall time, user+sys CPU of the
# client's whole process tree (its hooks and helpers included) and the peak RSS of
# its largest process (getrusage of the waited-for children, to the microsecond,
# where /usr/bin/time prints hundredths); the script around it (bash, the bed's
# environment, unshare -m) is timed too, reported as the wrapping with the process
# floor and kept in runs.tsv (wrapped_wall_s, wrapped_cpu_s); the HTTP requests
# the CA saw (Pebble's log) and the DNS messages
# the bed's servers received from the client (BIND's query and update log on the
# primary, Knot's mod-stats counters on the secondary; in L, Pebble's own
# validation queries to the secondary are subtracted).  A run passes when the
# client exited 0, a certificate naming every requested name was written, and no
# _acme-challenge TXT record is left in the zone (left-overs are removed so the
# next run starts clean).  Before every timed run the bed settles for BIND's
# notify-delay + 1 s, for every tool alike, so that each run is measured as a
# user's single run would be.  Pebble rejects no nonces here
# (PEBBLE_WFE_NONCEREJECT=0), so that every client sees the same CA.
#
# Output: RESULTS/results.md (the table), RESULTS/bench.png (the chart, gnuplot),
# RESULTS/runs.tsv (one line per run), floor.tsv, machine.txt (report.py makes the
# table and the chart from them); the logs of every run stay in the work directory.
#
# Usage (as root: port 53, private mount namespaces):
#   tests/bench/bench.sh [--quick] [--runs N] [--slow-runs N] [--tools LIST]
#       [--b-tools LIST] [--r-tools LIST] [--r-certs N] [--r-runs N]
#       [--scenarios LIST] [--results DIR] [--work DIR]
#       [--bed-id ID] [--notify-delay S] [--timeout S] [--no-install] [--no-chart]
#   LIST: comma- or space-separated.  --runs: runs per configuration (default 3);
#   --slow-runs: runs of the two 60 s configurations (default: --runs).
#   Beds use 127.0.ID.x, 127.0.ID+1.x (L) and 127.0.ID+2.x (R) (default ID 110).  The acme-dns binary is
#   $ACME_DNS when set, else the checkout is built into the work directory.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
export ACME_DNS_SRC=$SRC

RUNS=3 SLOW_RUNS="" QUICK=0 TOOLS="" B_TOOLS="acme-dns certbot-0" SCENARIOS="A L B R"
R_TOOLS="acme-dns certbot-0 lego-1s" R_CERTS=100 R_RUNS=1
RESULTS=$HERE/results WORK="" BED_BASE=110 NOTIFY_DELAY=5 TIMEOUT=600 INSTALL=1 CHART=1

die() {
    echo "bench: $*" >&2
    exit 1
}
usage() { # [STATUS]
    sed -n '/^# Usage/,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit "${1:-2}"
}
while [ $# -gt 0 ]; do
    case $1 in
    --quick) QUICK=1 ;;
    --runs) RUNS=${2:?}; shift ;;
    --slow-runs) SLOW_RUNS=${2:?}; shift ;;
    --tools) TOOLS=${2:?}; shift ;;
    --b-tools) B_TOOLS=${2:?}; shift ;;
    --r-tools) R_TOOLS=${2:?}; shift ;;
    --r-certs) R_CERTS=${2:?}; shift ;;
    --r-runs) R_RUNS=${2:?}; shift ;;
    --scenarios) SCENARIOS=${2:?}; shift ;;
    --results) RESULTS=${2:?}; shift ;;
    --work) WORK=${2:?}; shift ;;
    --bed-id) BED_BASE=${2:?}; shift ;;
    --notify-delay) NOTIFY_DELAY=${2:?}; shift ;;
    --timeout) TIMEOUT=${2:?}; shift ;;
    --no-install) INSTALL=0 ;;
    --no-chart) CHART=0 ;;
    -h | --help) usage 0 ;;
    *) echo "bench: unknown argument '$1'" >&2; usage ;;
    esac
    shift
done
for v in RUNS NOTIFY_DELAY TIMEOUT BED_BASE R_CERTS R_RUNS; do
    case ${!v} in '' | *[!0-9]*) die "--${v,,} wants a whole number (got '${!v}')" ;; esac
done
[ "$RUNS" -ge 1 ] || die "--runs must be at least 1"
SLOW_RUNS=${SLOW_RUNS:-$RUNS}
TOOLS=${TOOLS//,/ } B_TOOLS=${B_TOOLS//,/ } R_TOOLS=${R_TOOLS//,/ } SCENARIOS=${SCENARIOS//,/ }
[ "$(id -u)" = 0 ] || die "needs root (port 53, unshare -m)"

# ---------------------------------------------------------------- configurations
# id -> "script|VAR=VALUE|label|slow"
declare -A CONF=(
    [acme-dns]="acme-dns.sh||acme-dns (rfc2136)|0"
    [certbot-0]="certbot.sh|CERTBOT_PROPAGATION=0|certbot, propagation 0 s|0"
    [lego-1s]="lego.sh|LEGO_SEQUENCE_INTERVAL=1|lego, sequence interval 1 s|0"
    [dehydrated]="dehydrated.sh||dehydrated + nsupdate hook|0"
    [uacme]="uacme.sh||uacme + stock nsupdate.sh|0"
    [lego]="lego.sh||lego, defaults|1"
    [certbot]="certbot.sh||certbot, defaults (60 s)|1"
)
ORDER="acme-dns certbot-0 lego-1s dehydrated uacme lego certbot"
if [ -z "$TOOLS" ]; then
    TOOLS=$ORDER
    [ "$QUICK" = 0 ] || TOOLS="acme-dns certbot-0 lego-1s dehydrated uacme"
fi
for t in $TOOLS $B_TOOLS; do [ -n "${CONF[$t]:-}" ] || die "unknown configuration '$t' (known: $ORDER)"; done
# Scenario R: the configurations that renew, and their scripts.
declare -A RCONF=([acme-dns]=renew-acme-dns.sh [certbot-0]=renew-certbot.sh [lego-1s]=renew-lego.sh)
for t in $R_TOOLS; do [ -n "${RCONF[$t]:-}" ] || die "scenario R knows acme-dns, certbot-0 and lego-1s (not '$t')"; done
for s in $SCENARIOS; do case $s in A | L | B | R) ;; *) die "unknown scenario '$s' (A, L, B, R)" ;; esac; done
with_r=0
case " $SCENARIOS " in *" R "*) with_r=1 ;; esac
[ "$with_r" = 1 ] || R_TOOLS=""
conf_field() { cut -d'|' -f"$2" <<<"${CONF[$1]}"; }

# ---------------------------------------------------------------- what we need
need_pkgs=()
need() { command -v "$1" >/dev/null 2>&1 || need_pkgs+=("$2"); }
[ -x /usr/bin/python3 ] || need_pkgs+=(python3)
PY=/usr/bin/python3 # the system's, whatever python3 PATH finds first
[ "$CHART" = 0 ] || need gnuplot gnuplot-nox
[ "$with_r" = 0 ] || need tcpdump tcpdump
for t in $TOOLS $B_TOOLS $R_TOOLS; do
    case $t in
    lego*) need lego lego ;;
    certbot*) need certbot certbot
        dpkg-query -W -f='${Status}' python3-certbot-dns-rfc2136 2>/dev/null | grep -q 'ok installed' ||
            need_pkgs+=(python3-certbot-dns-rfc2136) ;;
    uacme) need uacme uacme ;;
    dehydrated) need dehydrated dehydrated ;;
    esac
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
    mapfile -t need_pkgs < <(printf '%s\n' "${need_pkgs[@]}" | sort -u)
    [ "$INSTALL" = 1 ] || die "missing Debian packages: ${need_pkgs[*]} (run without --no-install to install them)"
    echo "bench: installing ${need_pkgs[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >/dev/null ||
        die "apt-get install ${need_pkgs[*]} failed"
fi

if [ -z "$WORK" ]; then WORK=$(mktemp -d "${TMPDIR:-/tmp}/acme-dns-bench.XXXXXX"); fi
mkdir -p "$WORK" "$RESULTS"
WORK=$(cd "$WORK" && pwd) RESULTS=$(cd "$RESULTS" && pwd)
if [ -z "${ACME_DNS:-}" ]; then
    echo "bench: building acme-dns into $WORK/build" >&2
    { cmake -S "$SRC" -B "$WORK/build" && cmake --build "$WORK/build" -j"$(nproc)"; } \
        >"$WORK/build.log" 2>&1 || die "the build failed: see $WORK/build.log"
    ACME_DNS=$WORK/build/bin/acme-dns
fi
[ -x "$ACME_DNS" ] || die "ACME_DNS=$ACME_DNS is not an executable"
MEASURE=$WORK/measure
"${CC:-cc}" -std=c17 -O2 -Wall -Wextra -o "$MEASURE" "$HERE/measure.c" || die "cannot compile $HERE/measure.c"
export ACME_DNS
echo "bench: work directory $WORK (logs of every run), results in $RESULTS" >&2

. "$SRC/tests/integration/bed.sh"

# The bed as the integration tests know it, plus the two counters we read: BIND
# logs every query it receives (querylog), Knot counts what it receives
# (mod-stats).  Both are added to the configuration bed_up writes.
if ! declare -F _bed_named_conf >/dev/null || ! declare -F _bed_knot_conf >/dev/null; then
    die "tests/integration/bed.sh no longer has _bed_named_conf/_bed_knot_conf: adapt the counters here"
fi
eval "$(declare -f _bed_named_conf | sed '1s/^_bed_named_conf/_bench_named_conf_orig/')"
eval "$(declare -f _bed_knot_conf | sed '1s/^_bed_knot_conf/_bench_knot_conf_orig/')"
_bed_named_conf() {
    _bench_named_conf_orig "$@"
    sed -i 's/^options {$/&\n    querylog yes;/' "$1/bind/named.conf"
}
_bed_knot_conf() {
    _bench_knot_conf_orig "$@"
    sed -i -e 's/^template:$/mod-stats:\n  - id: bench\ntemplate:/' \
        -e 's|^  - id: default$|&\n    global-module: mod-stats/bench|' "$1/knot/knot.conf"
}

SETTLE=$((NOTIFY_DELAY + 1))
TSV=$RESULTS/runs.tsv
printf 'scenario\tconfig\tlabel\trun\tpassed\twall_s\tcpu_s\trss_kib\tca_requests\tca_orders\tdns_queries\tdns_updates\twrapped_wall_s\twrapped_cpu_s\tnote\thttps_conns\tcerts\n' >"$TSV"

# ---------------------------------------------------------------- measuring

names_for() { # SCENARIO
    if [ "$1" = B ]; then
        for i in $(seq 0 99); do echo "n$i.example.test"; done
    else
        printf '%s\n' example.test '*.example.test'
    fi
}

# counters BED: "pebble_requests pebble_validations primary_queries primary_updates secondary_queries
# pebble_orders"
# as totals so far; a run's figures are the differences.
counters() {
    local d=$1 pr pv po pq pu sq
    read -r pr pv po < <(awk '/^Pebble .* (GET|HEAD|POST) .* -> calling handler/ {r++}
        /^Pebble .* POST \/order-plz -> calling handler/ {o++}
        /Starting [0-9]+ validations/ {for (i = 1; i <= NF; i++) if ($i == "Starting") v += $(i + 1)}
        END {print r + 0, v + 0, o + 0}' "$d/pebble.log")
    # Queries from the client: the primary's own address as source (Knot's refreshes
    # come from .2, Pebble's resolver from .3).  One UPDATE message = one client
    # socket in the "updating zone" lines.
    read -r pq pu < <(awk -v me="$DNS_PRIMARY" '
        / query: / {for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+#[0-9]+/) {split($i, a, "#"); if (a[1] == me) q++; break}}
        /updating zone/ {for (i = 1; i <= NF; i++) if ($i ~ /#[0-9]+\/key$/) {if (!seen[$(i - 1) $i]++) u++; break}}
        END {print q + 0, u + 0}' "$d/named.log")
    sq=$(knotc -s "$d/knot/knot.sock" stats mod-stats 2>/dev/null |
        awk -F' = ' '/server-operation\[(query|update)\]/ {s += $2} END {print s + 0}')
    echo "$pr $pv $pq $pu $sq $po"
}

# check_run BED RUN CERT NAME...: prints why the run failed, nothing when it passed.
check_run() {
    local d=$1 run=$2 cert=$3 sans n
    shift 3
    if [ ! -s "$cert" ]; then echo "no certificate at ${cert#"$run"/}"; else
        sans=$(openssl x509 -in "$cert" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr ',' '\n' | sed 's/^ *//')
        for n in "$@"; do
            grep -qxF "DNS:$n" <<<"$sans" || { echo "certificate does not name $n"; break; }
        done
    fi
    leftovers
}

# leftovers: prints why the zone is not clean (and cleans it), nothing when it is.
leftovers() {
    local left n
    left=$(dig +noall +answer +time=2 +tries=2 @"$DNS_PRIMARY" example.test AXFR |
        awk '$4 == "TXT" && $1 ~ /^_acme-challenge/ {print $1}' | sort -u)
    if [ -n "$left" ]; then
        echo "left TXT at $(echo "$left" | wc -l) name(s)"
        for n in $left; do printf 'server %s 53\nupdate delete %s TXT\n' "$DNS_PRIMARY" "$n"; done |
            { cat; echo send; } | nsupdate -k "$TSIG_KEYFILE" || echo "could not remove the left-overs"
    fi
}

# one_run SCENARIO CONFIG I BED
one_run() {
    local scen=$1 conf=$2 i=$3 d=$4 script var run cert rc before after why names wall cpu rss u s ca co dq du
    script=$(conf_field "$conf" 1) var=$(conf_field "$conf" 2)
    run=$WORK/$scen/$conf.$i
    rm -rf "$run"
    mkdir -p "$run"
    mapfile -t names < <(names_for "$scen")
    cert=$(sed -n 's/^# cert: //p' "$HERE/peers/$script")
    cert=$run/${cert//\{first\}/${names[0]}}

    # Settle: the secondary has the primary's serial, and BIND's notify-delay has
    # passed since the last change, so this run's first change is sent at once.
    bed_wait_secondary "$d" 30 || echo "bench: the secondary is still behind the primary" >&2
    sleep "$SETTLE"

    # Two stopwatches: the outer one around the configuration's script (bash, the
    # bed's environment, the namespace, the client), the inner one (BENCH_MEASURE,
    # started by the script inside the namespace) around the client command alone.
    # The figures are the inner one's; the outer one's go to runs.tsv as
    # wrapped_*.
    before=$(counters "$d")
    env ${var:+"$var"} BENCH_MEASURE="$MEASURE" BENCH_TIMEOUT="$TIMEOUT" \
        "$MEASURE" "$run/measure" $((TIMEOUT + 60)) \
        bash "$HERE/peers/$script" "$d" "$run" "${names[@]}" >"$run/out.log" 2>&1 ||
        die "measure failed (see $run/out.log)"
    after=$(counters "$d")
    local ow ou os orss orc
    read -r ow ou os orss orc <"$run/measure"
    why=""
    if [ -s "$run/client.measure" ]; then
        read -r wall u s rss rc <"$run/client.measure"
        [ "$orc" = 0 ] || [ "$rc" != 0 ] || rc=$orc
    else
        wall=$ow u=$ou s=$os rss=$orss rc=$orc
        why="the client was not started (no $run/client.measure)"
        [ "$rc" != 0 ] || rc=1
    fi

    [ "$rc" = 0 ] || why="${why:+$why; }exit $rc"
    [ "$rc" != 124 ] || why="timed out after $TIMEOUT s"
    local c
    c=$(check_run "$d" "$run" "$cert" "${names[@]}")
    [ -z "$c" ] || why="${why:+$why; }$(echo "$c" | paste -sd';' -)"
    wall=$(awk -v w="$wall" 'BEGIN {printf "%.3f", w}')
    cpu=$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.3f", u + s}')
    read -r ca co dq du < <(awk -v s="$scen" -v b="$before" -v a="$after" 'BEGIN {
        split(b, x); split(a, y)
        sec = y[5] - x[5]
        if (s == "L") sec -= y[2] - x[2]     # Pebble asked the secondary itself
        print y[1] - x[1], y[6] - x[6], (y[3] - x[3]) + sec, y[4] - x[4]}')
    local passed=1
    [ -z "$why" ] || passed=0
    local owall ocpu
    owall=$(awk -v w="$ow" 'BEGIN {printf "%.3f", w}')
    ocpu=$(awk -v u="$ou" -v s="$os" 'BEGIN {printf "%.3f", u + s}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\t\n' "$scen" "$conf" "$(conf_field "$conf" 3)" \
        "$i" "$passed" "$wall" "$cpu" "$rss" "$ca" "$co" "$dq" "$du" "$owall" "$ocpu" "$why" >>"$TSV"
    local tim
    tim=$(grep -m1 '^timings (ms):' "$run/out.log" || true)
    printf 'bench: %s %-11s run %s: %s %7.3f s, CPU %s s, %s MiB, %s CA requests, %s DNS queries, %s UPDATEs%s\n' \
        "$scen" "$conf" "$i" "$([ "$passed" = 1 ] && echo pass || echo FAIL)" "$wall" "$cpu" \
        "$(awk -v r="$rss" 'BEGIN {printf "%.1f", r / 1024}')" "$ca" "$dq" "$du" "${why:+ ($why)}" >&2
    [ -z "$tim" ] || echo "bench:   $tim" >&2
    [ "$passed" = 1 ] || tail -n 5 "$run/out.log" | sed 's/^/bench:   | /' >&2
}

run_scenario() { # SCENARIO BED_ID (in a subshell: bed_up's EXIT trap takes the bed down)
    local scen=$1 d conf n tools
    export BED_ID=$2 BED_SECONDARY=1 BED_NOTIFY_DELAY=$NOTIFY_DELAY
    export PEBBLE_WFE_NONCEREJECT=0 PEBBLE_VA_NOSLEEP=1
    BED_PEBBLE_DNS=primary
    [ "$scen" != L ] || BED_PEBBLE_DNS=secondary
    export BED_PEBBLE_DNS
    d=$WORK/bed-$scen
    rm -rf "$d"
    mkdir -p "$d"
    bed_up "$d" 2>"$WORK/bed-$scen.log" || die "bed $BED_ID did not come up: see $WORK/bed-$scen.log"
    tools=$TOOLS
    [ "$scen" != B ] || tools=$B_TOOLS
    echo "bench: scenario $scen on bed $BED_ID (CA validates against the $BED_PEBBLE_DNS);" \
        "settling ${SETTLE} s (notify-delay ${NOTIFY_DELAY} s + 1 s) before every timed run" >&2
    for conf in $tools; do
        n=$RUNS
        [ "$(conf_field "$conf" 4)" = 0 ] || n=$SLOW_RUNS
        for i in $(seq "$n"); do one_run "$scen" "$conf" "$i" "$d"; done
    done
    [ "$scen" != A ] || floor "$d"
}

# The process floor: what the libraries alone cost, and what the wrapping costs.
floor() {
    local d=$1 what cmd i wall u s rss rc out=$WORK/floor
    mkdir -p "$out"
    : >"$out/floor.tsv"
    for what in version directory curl harness; do
        for i in $(seq 5); do
            case $what in
            version) cmd=("$ACME_DNS" --version) ;;
            directory) cmd=("$ACME_DNS" directory --server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE") ;;
            curl) cmd=(curl -sf --cacert "$ACME_CA_BUNDLE" -o /dev/null "$ACME_DIR_URL") ;;
            harness) cmd=(bash "$HERE/peers/harness.sh" "$d" "$out/h" x) ;;
            esac
            "$MEASURE" "$out/$what.$i" 60 "${cmd[@]}" >/dev/null 2>&1
            read -r wall u s rss rc <"$out/$what.$i"
            [ "$rc" = 0 ] || echo "bench: floor: ${cmd[*]} exited $rc" >&2
            awk -v w="$what" -v t="$wall" -v u="$u" -v s="$s" -v r="$rss" \
                'BEGIN {printf "%s\t%.4f\t%.4f\t%s\n", w, t, u + s, r}' >>"$out/floor.tsv"
        done
    done
    cp "$out/floor.tsv" "$RESULTS/floor.tsv"
}

# ---------------------------------------------------------------- scenario R

# syn_start OUT: count the TCP connections opened to Pebble's HTTPS port (SYNs) from
# now until syn_stop OUT, which prints the count.
syn_start() {
    rm -f "$1.pcap" "$1.err"
    tcpdump -i lo -nn -U --immediate-mode -w "$1.pcap" \
        "dst host $DNS_PRIMARY and dst port 14000 and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn" \
        2>"$1.err" &
    echo $! >"$1.pid"
    local n=0
    until grep -q 'listening on' "$1.err" 2>/dev/null; do
        n=$((n + 1))
        [ "$n" -lt 200 ] || die "tcpdump did not start: $(cat "$1.err")"
        sleep 0.05
    done
}
syn_stop() {
    local pid
    pid=$(cat "$1.pid")
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    tcpdump -r "$1.pcap" -nn 2>/dev/null | wc -l
}

# r_serials RUN CONF: the serial of every certificate of the run, one per line (r0 first).
r_serials() {
    local run=$1 conf=$2 cert i
    cert=$(sed -n 's/^# cert: //p' "$HERE/peers/${RCONF[$conf]}")
    for i in $(seq 0 $((R_CERTS - 1))); do
        openssl x509 -in "$run/${cert//\{i\}/$i}" -noout -serial 2>/dev/null || echo "none"
    done
}

# r_run CONF I BED RUN MODE: one timed renewal (MODE one: r0 alone, R1; all: every one, R).
r_run() {
    local conf=$1 i=$2 d=$3 run=$4 mode=$5 scen before after old new rc why="" wall u s rss ca co dq du conns
    scen=R
    [ "$mode" = all ] || scen=R1
    old=$(r_serials "$run" "$conf")
    before=$(counters "$d")
    # All N in one go may take N times one (lego: a run per certificate): the time
    # limit grows with N.
    local limit=$TIMEOUT
    [ "$mode" = one ] || [ $((R_CERTS * 30)) -le "$limit" ] || limit=$((R_CERTS * 30))
    syn_start "$run/$mode.syn"
    env BENCH_MEASURE="$MEASURE" BENCH_TIMEOUT="$limit" "$MEASURE" "$run/$mode.outer" $((limit + 60)) \
        bash "$HERE/peers/${RCONF[$conf]}" "$d" "$run" "$mode" "$R_CERTS" >"$run/$mode.log" 2>&1 ||
        die "measure failed (see $run/$mode.log)"
    conns=$(syn_stop "$run/$mode.syn")
    after=$(counters "$d")
    new=$(r_serials "$run" "$conf")
    if [ -s "$run/client.measure" ]; then
        read -r wall u s rss rc <"$run/client.measure"
        mv "$run/client.measure" "$run/$mode.measure"
    else
        read -r wall u s rss rc <"$run/$mode.outer"
        why="the client was not started"
        [ "$rc" != 0 ] || rc=1
    fi
    [ "$rc" = 0 ] || why="${why:+$why; }exit $rc"
    # Renewed: r0 alone has a new serial (one), or every certificate has (all).
    local changed same
    changed=$(paste <(echo "$old") <(echo "$new") | awk '$1 != $2 && $2 != "none"' | wc -l)
    same=$(paste <(echo "$old") <(echo "$new") | awk 'NR > 1 && $1 == $2' | wc -l)
    if [ "$mode" = one ]; then
        [ "$(paste <(echo "$old") <(echo "$new") | head -n 1 | awk '{print ($1 != $2 && $2 != "none")}')" = 1 ] &&
            [ "$changed" = 1 ] || why="${why:+$why; }r0 alone should have been renewed ($changed renewed)"
    else
        [ "$changed" = "$R_CERTS" ] || why="${why:+$why; }$changed of $R_CERTS renewed ($same unchanged)"
    fi
    local left
    left=$(leftovers)
    [ -z "$left" ] || why="${why:+$why; }$(echo "$left" | paste -sd';' -)"
    read -r ca co dq du < <(awk -v b="$before" -v a="$after" 'BEGIN {split(b, x); split(a, y)
        print y[1] - x[1], y[6] - x[6], (y[3] - x[3]) + (y[5] - x[5]), y[4] - x[4]}')
    local passed=1
    [ -z "$why" ] || passed=0
    local n=1
    [ "$mode" = one ] || n=$R_CERTS
    printf '%s\t%s\t%s\t%s\t%s\t%.3f\t%.3f\t%s\t%s\t%s\t%s\t%s\t\t\t%s\t%s\t%s\n' "$scen" "$conf" \
        "$(conf_field "$conf" 3)" "$i" "$passed" "$wall" "$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')" "$rss" \
        "$ca" "$co" "$dq" "$du" "$why" "$conns" "$n" >>"$TSV"
    printf 'bench: %-2s %-11s run %s: %s %8.3f s, CPU %.3f s, %s MiB, %s HTTPS connections, %s CA requests, %s UPDATEs%s\n' \
        "$scen" "$conf" "$i" "$([ "$passed" = 1 ] && echo pass || echo FAIL)" "$wall" \
        "$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')" "$(awk -v r="$rss" 'BEGIN {printf "%.1f", r / 1024}')" \
        "$conns" "$ca" "$du" "${why:+ ($why)}" >&2
    [ "$passed" = 1 ] || tail -n 5 "$run/$mode.log" | sed 's/^/bench:   | /' >&2
}

run_renewal() { # BED_ID (in a subshell: bed_up's EXIT trap takes the bed down)
    local d conf i run
    export BED_ID=$1 BED_SECONDARY=0 BED_NOTIFY_DELAY=$NOTIFY_DELAY BED_PEBBLE_DNS=primary
    export PEBBLE_WFE_NONCEREJECT=0 PEBBLE_VA_NOSLEEP=1
    d=$WORK/bed-R
    rm -rf "$d"
    mkdir -p "$d"
    bed_up "$d" 2>"$WORK/bed-R.log" || die "bed $BED_ID did not come up: see $WORK/bed-R.log"
    echo "bench: scenario R on bed $BED_ID: $R_CERTS certificates of two names each, renewed one and all" >&2
    for conf in $R_TOOLS; do
        for i in $(seq "$R_RUNS"); do
            run=$WORK/R/$conf.$i
            rm -rf "$run"
            mkdir -p "$run"
            local t0=$SECONDS
            bash "$HERE/peers/${RCONF[$conf]}" "$d" "$run" setup "$R_CERTS" >"$run/setup.log" 2>&1 ||
                die "R: $conf could not issue the $R_CERTS certificates to renew (see $run/setup.log)"
            echo "bench: R  $conf: $R_CERTS certificates issued in $((SECONDS - t0)) s (untimed)" >&2
            r_run "$conf" "$i" "$d" "$run" one
            r_run "$conf" "$i" "$d" "$run" all
        done
    done
}

for s in $SCENARIOS; do
    case $s in A) id=$BED_BASE ;; B) id=$BED_BASE ;; L) id=$((BED_BASE + 1)) ;; R) id=$((BED_BASE + 2)) ;; esac
    if [ "$s" = R ]; then
        (run_renewal "$id") || die "scenario R failed to run (not a client failure): see above"
        continue
    fi
    (run_scenario "$s" "$id") || die "scenario $s failed to run (not a client failure): see above"
done

# ---------------------------------------------------------------- report
{
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(. /etc/os-release && echo "$PRETTY_NAME"), $(nproc) cores" \
        "($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), kernel $(uname -r);" \
        "runs per configuration: $RUNS$([ "$SLOW_RUNS" = "$RUNS" ] || echo " ($SLOW_RUNS for the two 60 s configurations)");" \
        "settle ${SETTLE} s before each run (BIND notify-delay ${NOTIFY_DELAY} s + 1 s); Pebble: no VA sleep, no nonce rejection."
    echo
    printf 'Versions: %s' "$("$ACME_DNS" --version 2>&1 | head -n 1)"
    for p in lego certbot uacme dehydrated pebble bind9 knot; do
        v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null) && printf ', %s %s' "$p" "$v"
    done
    echo "."
} >"$RESULTS/machine.txt"
"$PY" "$HERE/report.py" "$RESULTS" "$CHART"
echo "bench: table in $RESULTS/results.md$([ "$CHART" = 0 ] || echo ", chart in $RESULTS/bench.png"); logs in $WORK" >&2
