#!/usr/bin/env bash
# Write the seed corpora (tests/fuzz/corpus/NAME/): make_seeds.py, and for cert_check the
# PEM chains OpenSSL makes for the key that fuzz_cert_check.c holds.  The corpora are in
# the tree; run this only to make them again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python3 "$here/make_seeds.py"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
c=$here/corpus/cert_check
mkdir -p "$c"
awk '/BEGIN PRIVATE KEY/,/END PRIVATE KEY/' "$here/fuzz_cert_check.c" | sed -e 's/^[^"]*"//' -e 's/\\n".*$//' >"$t/leaf.key"
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=fuzz root" \
    -keyout "$t/root.key" -out "$t/root.pem"
q openssl req -new -key "$t/leaf.key" -subj /CN=example.test -out "$t/leaf.csr"
printf 'subjectAltName=DNS:example.test,DNS:*.example.test\n' >"$t/ext"
q openssl x509 -req -in "$t/leaf.csr" -CA "$t/root.pem" -CAkey "$t/root.key" -CAcreateserial -days 3650 \
    -extfile "$t/ext" -out "$t/leaf.pem"
printf 'subjectAltName=DNS:example.test\n' >"$t/ext1"
q openssl x509 -req -in "$t/leaf.csr" -CA "$t/root.pem" -CAkey "$t/root.key" -CAcreateserial -days 3650 \
    -extfile "$t/ext1" -out "$t/leaf1.pem"
cat "$t/leaf.pem" "$t/root.pem" >"$c/chain"
cp "$t/leaf.pem" "$c/leaf-only"
cat "$t/leaf1.pem" "$t/root.pem" >"$c/san-missing"
{ cat "$t/leaf.pem"; echo "text between"; cat "$t/root.pem" "$t/root.pem"; } >"$c/text-between"
echo "seeds written under $here/corpus"
