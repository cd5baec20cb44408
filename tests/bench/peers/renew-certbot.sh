#!/usr/bin/env bash
# Scenario R with certbot 2.1 + certbot-dns-rfc2136, propagation 0 s (see renew-acme-dns.sh):
#   setup  certbot certonly for each rK (untimed)
#   one    certbot renew --cert-name r0 --force-renewal
#   all    certbot renew --force-renewal (every lineage, one after the other, in one process)
# --no-random-sleep-on-renew: certbot otherwise sleeps up to 8 minutes when not on a terminal.
# cert: certbot/live/r{i}/cert.pem
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
MODE=${DOMAINS[0]} N=${DOMAINS[1]}
export REQUESTS_CA_BUNDLE=$ACME_CA_BUNDLE
umask 077
printf 'dns_rfc2136_server = %s\ndns_rfc2136_port = 53\ndns_rfc2136_name = %s\ndns_rfc2136_secret = %s\ndns_rfc2136_algorithm = %s\n' \
    "$DNS_PRIMARY" "$TSIG_NAME" "$TSIG_SECRET" "${TSIG_ALG^^}" >"$RUN/rfc2136.ini"
common=(--non-interactive --config-dir "$RUN/certbot" --work-dir "$RUN/work" --logs-dir "$RUN/logs")
case $MODE in
setup)
    for i in $(seq 0 $((N - 1))); do
        bed_run "$BED" certbot certonly "${common[@]}" --agree-tos --register-unsafely-without-email -q \
            --server "$ACME_DIR_URL" --authenticator dns-rfc2136 --dns-rfc2136-credentials "$RUN/rfc2136.ini" \
            --dns-rfc2136-propagation-seconds 0 --key-type ecdsa --elliptic-curve secp256r1 \
            --cert-name "r$i" -d "r$i.example.test" -d "www.r$i.example.test"
    done
    ;;
one) bed_run "$BED" "${CLIENT[@]}" certbot renew "${common[@]}" --no-random-sleep-on-renew --force-renewal --cert-name r0 ;;
all) bed_run "$BED" "${CLIENT[@]}" certbot renew "${common[@]}" --no-random-sleep-on-renew --force-renewal ;;
esac
