#!/usr/bin/env bash
# Demo: build acme-dns, start a local ACME CA (Pebble) and a BIND 9 primary on loopback,
# and issue a certificate for example.test and *.example.test through a real provider
# plugin (rfc2136 with a TSIG key). Prints where the files went. Run from the checkout's
# root, as root (port 53, a private mount namespace for /etc/resolv.conf).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
export ACME_DNS_SRC=$PWD ACME_DNS=$PWD/build/bin/acme-dns BED_ID=${BED_ID:-200}
# shellcheck source=../tests/integration/bed.sh
. tests/integration/bed.sh
out=$PWD/demo-out
rm -rf "$out"
mkdir -p "$out/bed"
bed_up "$out/bed" >/dev/null     # stops again when this script exits
echo "local CA: $ACME_DIR_URL; DNS primary for example.test: $DNS_SERVER"
ACME_DNS_RFC2136_TSIG_KEYFILE=$TSIG_KEYFILE bed_run "$out/bed" "$ACME_DNS" \
  --server "$ACME_DIR_URL" --ca-bundle "$ACME_CA_BUNDLE" --agree-tos --email demo@example.test \
  --state-dir "$out/state" --dns-resolver "$DNS_SERVER" --timings \
  --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
  -d example.test -d '*.example.test'
cert=$out/state/certs/example.test
echo
openssl x509 -in "$cert/cert.pem" -noout -subject -issuer -ext subjectAltName
echo
echo "wildcard certificate: $cert/fullchain.pem"
echo "private key (0600):   $cert/privkey.pem"
