#!/usr/bin/env bash
# Scenario R with lego 4.9 (rfc2136, RFC2136_SEQUENCE_INTERVAL=1; see renew-acme-dns.sh):
#   setup  lego run for each rK (untimed)
#   one    lego renew for r0
#   all    lego renew for each of the N certificates, one process after the other (lego
#          renews one certificate per run)
# --days 3650 makes a five-year certificate due by lego's own rule; --no-random-sleep.
# cert: lego/certificates/r{i}.example.test.crt
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
MODE=${DOMAINS[0]} N=${DOMAINS[1]}
export LEGO_CA_CERTIFICATES=$ACME_CA_BUNDLE RFC2136_SEQUENCE_INTERVAL=1
export RFC2136_NAMESERVER=$DNS_SERVER RFC2136_TSIG_KEY=$TSIG_NAME
export RFC2136_TSIG_ALGORITHM=$TSIG_ALG. RFC2136_TSIG_SECRET=$TSIG_SECRET
common=(--server "$ACME_DIR_URL" --path "$RUN/lego" --accept-tos --email bench@example.org --key-type ec256
    --dns rfc2136 --dns.resolvers "$DNS_SERVER")
case $MODE in
setup)
    for i in $(seq 0 $((N - 1))); do
        bed_run "$BED" lego "${common[@]}" -d "r$i.example.test" -d "www.r$i.example.test" run >/dev/null 2>&1 ||
            bed_run "$BED" lego "${common[@]}" -d "r$i.example.test" -d "www.r$i.example.test" run
    done
    ;;
one) bed_run "$BED" "${CLIENT[@]}" lego "${common[@]}" -d r0.example.test -d www.r0.example.test renew --days 3650 --no-random-sleep ;;
all)
    # One measured command for the N runs (the loop's bash is a few milliseconds of it).
    bed_run "$BED" "${CLIENT[@]}" bash -c 'n=$1; shift
        for i in $(seq 0 $((n - 1))); do
            lego "$@" -d "r$i.example.test" -d "www.r$i.example.test" renew --days 3650 --no-random-sleep || exit
        done' lego-loop "$N" "${common[@]}"
    ;;
esac
