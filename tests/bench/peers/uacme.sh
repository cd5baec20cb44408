#!/usr/bin/env bash
# uacme (Debian 1.7.4) with the hook it ships, /usr/share/uacme/nsupdate.sh,
# unedited: one authorization at a time; the hook adds the value with nsupdate and
# polls every name server of the zone (dig, 1 s apart, no time limit) until each
# returns exactly that value; "done" deletes the name's TXT set and waits likewise.
# The hook takes a TSIG key only by editing it, so uacme-bin/nsupdate (first in
# PATH) adds the bed's key.  uacme's libcurl (GnuTLS) takes no CA option: in the
# client's private mount namespace the bed's CA is put over the system bundle.
# cert: uacme/{first}/cert.pem
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
export PATH=$PEERS/uacme-bin:$PATH
# shellcheck disable=SC2016
# The client: uacme's two commands (account, then certificate) as a user runs them.
bed_run "$BED" /bin/sh -ec '
    mount --bind "$1" /etc/ssl/certs/ca-certificates.crt
    shift
    exec "$@"' \
    sh "$ACME_CA_BUNDLE" "${CLIENT[@]}" /bin/sh -ec '
    dir=$1 url=$2
    shift 2
    uacme -v -y -t EC -c "$dir" -a "$url" new
    exec uacme -v -y -t EC -c "$dir" -a "$url" -h /usr/share/uacme/nsupdate.sh issue "$@"' \
    sh "$RUN/uacme" "$ACME_DIR_URL" "${DOMAINS[@]}"
