#!/usr/bin/env bash
# certbot (Debian 2.1.0) with certbot-dns-rfc2136.  The plugin adds every TXT
# record, sleeps --dns-rfc2136-propagation-seconds (CERTBOT_PROPAGATION; the
# plugin's default is 60) and asks the CA; it looks at no name server.
# cert: certbot/live/bench/cert.pem
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
export REQUESTS_CA_BUNDLE=$ACME_CA_BUNDLE
umask 077
printf 'dns_rfc2136_server = %s\ndns_rfc2136_port = 53\ndns_rfc2136_name = %s\ndns_rfc2136_secret = %s\ndns_rfc2136_algorithm = %s\n' \
    "$DNS_PRIMARY" "$TSIG_NAME" "$TSIG_SECRET" "${TSIG_ALG^^}" >"$RUN/rfc2136.ini"
args=()
for d in "${DOMAINS[@]}"; do args+=(-d "$d"); done
bed_run "$BED" "${CLIENT[@]}" certbot certonly --non-interactive --agree-tos --register-unsafely-without-email \
    --server "$ACME_DIR_URL" --config-dir "$RUN/certbot" --work-dir "$RUN/work" --logs-dir "$RUN/logs" \
    --authenticator dns-rfc2136 --dns-rfc2136-credentials "$RUN/rfc2136.ini" \
    ${CERTBOT_PROPAGATION:+--dns-rfc2136-propagation-seconds "$CERTBOT_PROPAGATION"} \
    --key-type ecdsa --elliptic-curve secp256r1 --cert-name bench "${args[@]}"
