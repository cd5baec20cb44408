#!/bin/sh
# A lego exec-provider script (EXEC_PATH): "present|cleanup FQDN VALUE", FQDN with
# its trailing dot.  Like many such scripts it replaces the TXT set at the name
# (lego's exec provider solves one challenge at a time), and cleanup deletes it.
set -eu
echo "$1 $2 $3" >>"$HOOK_LOG"
case $2 in *.) ;; *) echo "FQDN without its trailing dot: $2" >&2; exit 1 ;; esac
case $1 in
present) update="update delete $2 TXT
update add $2 60 TXT \"$3\"" ;;
cleanup) update="update delete $2 TXT" ;;
*) exit 1 ;;
esac
printf 'server %s\n%s\nsend\n' "$DNS_PRIMARY" "$update" | nsupdate -k "$TSIG_KEYFILE"
