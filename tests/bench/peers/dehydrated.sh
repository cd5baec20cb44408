#!/usr/bin/env bash
# dehydrated (Debian 0.7.0) with dehydrated-hook.sh (nsupdate, then wait for every
# name server).  dehydrated deploys one challenge at a time through the hook and
# asks the CA once all are deployed.  Its account key is RSA 4096, its default.
# cert: dehydrated/certs/{first}/cert.pem
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
export CURL_CA_BUNDLE=$ACME_CA_BUNDLE
mkdir -p "$RUN/dehydrated"
printf 'CA=%s\nBASEDIR=%s\nCHALLENGETYPE=dns-01\nHOOK=%s\nKEY_ALGO=prime256v1\n' \
    "$ACME_DIR_URL" "$RUN/dehydrated" "$PEERS/dehydrated-hook.sh" >"$RUN/dehydrated/config"
args=()
for d in "${DOMAINS[@]}"; do args+=(-d "$d"); done
bed_run "$BED" "${CLIENT[@]}" dehydrated --config "$RUN/dehydrated/config" --cron --accept-terms "${args[@]}"
