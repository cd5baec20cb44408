#!/usr/bin/env bash
# Throwaway certificates for the HTTPS client tests, in DIR:
#   ca.pem              the test CA
#   server.pem/.key     signed by it for localhost, 127.0.0.1 and ::1
#   wrong.pem/.key      signed by it for wrong.test only
#   other-ca.pem        an unrelated CA (trusts nothing above)
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
q() { "$@" >/dev/null 2>&1; }
mkca() {
  q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=$2" -keyout "$1.key" -out "$1.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
}
mkleaf() {
  q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" -keyout "$1.key" -out "$1.csr"
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$3" >"$1.ext"
  q openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile "$1.ext" -out "$1.pem"
}
mkca ca "acme-dns test CA"
mkca other-ca "acme-dns unrelated CA"
mkleaf server localhost "DNS:localhost,IP:127.0.0.1,IP:::1"
mkleaf wrong wrong.test "DNS:wrong.test"
