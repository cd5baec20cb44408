#!/usr/bin/env bash
# Scenario R with acme-dns (provider rfc2136, TSIG key file named in the environment):
#   bash peers/renew-acme-dns.sh BED_DIR RUN_DIR MODE N
#   setup  issue r0 ... r(N-1), each for rK.example.test and www.rK.example.test (untimed)
#   one    renew r0 alone                        (acme-dns renew --force --cert-name r0)
#   all    renew the N certificates in one run   (acme-dns renew --force)
# --force because Pebble's certificates live five years: none is due by any client's
# own rule, and every client is told to renew regardless.
# cert: state/certs/r{i}/cert.pem
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
: "${ACME_DNS:?ACME_DNS must name the acme-dns binary}"
MODE=${DOMAINS[0]} N=${DOMAINS[1]}
export ACME_DNS_RFC2136_TSIG_KEYFILE=$TSIG_KEYFILE
case $MODE in
setup)
    for i in $(seq 0 $((N - 1))); do
        bed_run "$BED" "$ACME_DNS" --server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE" --agree-tos \
            --state-dir "$RUN/state" --dns-resolver "$DNS_SERVER" -q --provider rfc2136 \
            --provider-opt "server=$DNS_SERVER" --cert-name "r$i" -d "r$i.example.test" -d "www.r$i.example.test"
    done
    ;;
one) bed_run "$BED" "${CLIENT[@]}" "$ACME_DNS" renew --state-dir "$RUN/state" --force --cert-name r0 --timings ;;
all) bed_run "$BED" "${CLIENT[@]}" "$ACME_DNS" renew --state-dir "$RUN/state" --force --timings ;;
esac
