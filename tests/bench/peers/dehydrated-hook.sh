#!/usr/bin/env bash
# dehydrated hook: the dns-01 TXT record through RFC 2136 (nsupdate with the bed's
# TSIG key).  deploy_challenge adds one value, then asks every name server in the
# zone's NS set, once a second for up to 60 s, until each serves it, as a user's
# hook would; clean_challenge deletes that value.  Other events are ignored.
set -euo pipefail
case ${1:-} in
deploy_challenge) op=add ;;
clean_challenge) op=delete ;;
*) exit 0 ;;
esac
name=_acme-challenge.$2. value=$4
printf 'server %s 53\nupdate %s %s 60 TXT "%s"\nsend\n' "$DNS_PRIMARY" "$op" "$name" "$value" |
    nsupdate -k "$TSIG_KEYFILE"
[ "$op" = add ] || exit 0
zone=example.test
for _ in $(seq 60); do
    ok=1
    for ns in $(dig +short @"$DNS_PRIMARY" "$zone" NS); do
        dig +short +norecurse @"$ns" "$name" TXT | grep -qxF "\"$value\"" || ok=0
    done
    [ "$ok" = 0 ] || exit 0
    sleep 1
done
echo "dehydrated-hook: $name \"$value\" is not on every name server after 60 s" >&2
exit 1
