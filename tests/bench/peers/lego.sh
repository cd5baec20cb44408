#!/usr/bin/env bash
# lego (Debian 4.9.1) with its rfc2136 provider.  The provider solves the
# authorizations one after the other with LEGO_SEQUENCE_INTERVAL seconds of sleep
# between them (lego's default: 60); after each record it polls the zone's name
# servers by name on port 53 every 2 s (its defaults) until all serve it.
# cert: lego/certificates/{first}.crt
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
export LEGO_CA_CERTIFICATES=$ACME_CA_BUNDLE
export RFC2136_NAMESERVER=$DNS_SERVER RFC2136_TSIG_KEY=$TSIG_NAME
export RFC2136_TSIG_ALGORITHM=$TSIG_ALG. RFC2136_TSIG_SECRET=$TSIG_SECRET
if [ -n "${LEGO_SEQUENCE_INTERVAL:-}" ]; then export RFC2136_SEQUENCE_INTERVAL=$LEGO_SEQUENCE_INTERVAL; fi
args=()
for d in "${DOMAINS[@]}"; do args+=(-d "$d"); done
bed_run "$BED" "${CLIENT[@]}" lego --server "$ACME_DIR_URL" --path "$RUN/lego" --accept-tos \
    --email bench@example.org --key-type ec256 \
    --dns rfc2136 --dns.resolvers "$DNS_SERVER" "${args[@]}" run
