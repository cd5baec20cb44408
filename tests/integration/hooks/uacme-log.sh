#!/bin/sh
# A uacme hook in the shape of uacme's uacme.sh: METHOD TYPE IDENT TOKEN AUTH, exit 0
# from begin accepts.  Logs its arguments and the UACME_* variables to $HOOK_LOG,
# declines (exit 1) for declined.example.test, and writes a wrong value for
# wrong.example.test (so that the challenge fails and "failed" follows).
set -eu
[ $# -eq 5 ] || { echo "Usage: $(basename "$0") method type ident token auth" >&2; exit 85; }
METHOD=$1 TYPE=$2 IDENT=$3 TOKEN=$4 AUTH=$5
echo "args $METHOD $TYPE $IDENT $TOKEN $AUTH" >>"$HOOK_LOG"
echo "env $UACME_METHOD $UACME_TYPE $UACME_IDENT $UACME_TOKEN $UACME_AUTH" >>"$HOOK_LOG"
[ "$TYPE" = dns-01 ] || exit 1
case $METHOD in
begin)
    [ "$IDENT" != declined.example.test ] || exit 1
    [ "$IDENT" != wrong.example.test ] || AUTH=wrong
    update="update add _acme-challenge.$IDENT. 60 TXT \"$AUTH\"" ;;
done | failed)
    update="update delete _acme-challenge.$IDENT. TXT" ;;
*) exit 1 ;;
esac
printf 'server %s\n%s\nsend\n' "$DNS_PRIMARY" "$update" | nsupdate -k "$TSIG_KEYFILE"
