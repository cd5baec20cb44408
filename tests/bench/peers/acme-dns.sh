#!/usr/bin/env bash
# acme-dns through its rfc2136 provider (TSIG key from a file named in the
# environment), waiting for every authoritative server before it asks the CA.
# cert: state/certs/{first}/cert.pem
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
: "${ACME_DNS:?ACME_DNS must name the acme-dns binary}"
args=()
for d in "${DOMAINS[@]}"; do args+=(-d "$d"); done
ACME_DNS_RFC2136_TSIG_KEYFILE=$TSIG_KEYFILE bed_run "$BED" "${CLIENT[@]}" "$ACME_DNS" \
    --server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE" --agree-tos \
    --state-dir "$RUN/state" --dns-resolver "$DNS_SERVER" --timings \
    --provider rfc2136 --provider-opt "server=$DNS_SERVER" "${args[@]}"
