#!/bin/sh
# Deploy hook for acme-dns: reload nginx after a certificate was renewed.
#
#   acme-dns issue ... --deploy-hook /usr/local/lib/acme-dns/reload-nginx.sh
#
# acme-dns runs it (without a shell) only when a new certificate was written, with
# RENEWED_LINEAGE (the certificate's folder, as certbot's deploy hooks get it),
# RENEWED_DOMAINS, ACME_DNS_CERT_NAME, ACME_DNS_CERT_DIR and ACME_DNS_DOMAINS in the
# environment.  Point nginx's ssl_certificate and ssl_certificate_key at
# $RENEWED_LINEAGE/fullchain.pem and $RENEWED_LINEAGE/privkey.pem.  A failing
# check leaves the running nginx (with the old certificate) alone and makes acme-dns
# report the failure with this script's exit status.
set -eu
echo "reload-nginx: new certificate $ACME_DNS_CERT_NAME ($RENEWED_DOMAINS) in $RENEWED_LINEAGE" >&2
nginx -t -q
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    exec systemctl reload nginx
fi
exec nginx -s reload
