#!/bin/sh
# acme-dns hook: add or remove one dns-01 TXT value with nsupdate (RFC 2136,
# signed with a TSIG key).
#
#   acme-dns --provider hook --provider-opt script=/path/to/nsupdate.sh ...
#
# Called by the hook provider as
#   nsupdate.sh present RECORD_NAME VALUE     adds VALUE at RECORD_NAME (other values stay)
#   nsupdate.sh cleanup RECORD_NAME VALUE     removes exactly VALUE (gone already: fine)
#
# Environment:
#   ACME_DNS_NSUPDATE_SERVER   primary server to send the update to, ADDR[:PORT]
#                              ([V6ADDR]:PORT for IPv6 with a port); required
#   ACME_DNS_NSUPDATE_KEYFILE  TSIG key in BIND key-file format (tsig-keygen output),
#                              given to nsupdate with -k; required
#   ACME_DNS_NSUPDATE_ZONE     zone to update; default: ACME_DNS_ZONE from acme-dns,
#                              else nsupdate finds it by SOA look-up
#   ACME_DNS_NSUPDATE_TIMEOUT  seconds nsupdate waits for the server (default 10)
#   ACME_DNS_TTL               TTL of the record (set by acme-dns; default 60)
#
# The key's secret is only read by nsupdate from the key file: it never appears in
# a command line.  Errors go to stderr, which acme-dns shows when the script fails.
set -u

me=${0##*/}
die() {
    echo "$me: $*" >&2
    exit 1
}

[ $# -eq 3 ] || die "usage: $me present|cleanup RECORD_NAME VALUE"
action=$1
name=${2%.}
value=$3

server=${ACME_DNS_NSUPDATE_SERVER:-}
keyfile=${ACME_DNS_NSUPDATE_KEYFILE:-}
zone=${ACME_DNS_NSUPDATE_ZONE:-${ACME_DNS_ZONE:-}}
ttl=${ACME_DNS_TTL:-60}
timeout=${ACME_DNS_NSUPDATE_TIMEOUT:-10}

[ -n "$server" ] || die "ACME_DNS_NSUPDATE_SERVER is not set: give the primary server as ADDR[:PORT]"
[ -n "$keyfile" ] || die "ACME_DNS_NSUPDATE_KEYFILE is not set: give a TSIG key file (tsig-keygen format)"
[ -r "$keyfile" ] || die "cannot read the key file $keyfile (ACME_DNS_NSUPDATE_KEYFILE)"
command -v nsupdate >/dev/null 2>&1 || die "nsupdate not found in PATH (Debian: apt-get install bind9-dnsutils)"

# Only what an update line can carry safely.
case $action in
present | cleanup) ;;
*) die "unknown action '$action' (expected present or cleanup)" ;;
esac
case $name in
'' | *[!A-Za-z0-9._*-]*) die "refusing record name '$name': letters, digits, '.', '-', '_', '*' only" ;;
esac
case $value in
'' | *[!A-Za-z0-9._~+/=-]*) die "refusing TXT value '$value': not a dns-01 value" ;;
esac
case $zone in
*[!A-Za-z0-9._-]*) die "refusing zone '$zone'" ;;
esac
case $ttl in
'' | *[!0-9]*) die "ACME_DNS_TTL '$ttl' is not a number" ;;
esac
case $timeout in
'' | *[!0-9]*) die "ACME_DNS_NSUPDATE_TIMEOUT '$timeout' is not a number" ;;
esac

# ADDR[:PORT], [V6ADDR]:PORT or a bare IPv6 address.
port=53
case $server in
\[*\]:*)
    port=${server##*]:}
    addr=${server#\[}
    addr=${addr%%]*}
    ;;
\[*\]) addr=${server#\[} addr=${addr%]} ;;
*:*:*) addr=$server ;;
*:*)
    addr=${server%:*}
    port=${server##*:}
    ;;
*) addr=$server ;;
esac
case $port in
'' | *[!0-9]*) die "bad port in ACME_DNS_NSUPDATE_SERVER '$server'" ;;
esac

if [ "$action" = present ]; then
    change="update add $name. $ttl TXT \"$value\""
    what="add" done="added"
else
    change="update delete $name. TXT \"$value\""
    what="delete" done="deleted"
fi

out=$(
    {
        echo "server $addr $port"
        [ -z "$zone" ] || echo "zone $zone."
        echo "$change"
        echo "send"
    } | nsupdate -k "$keyfile" -t "$timeout" 2>&1
)
rc=$?
if [ $rc -ne 0 ]; then
    {
        echo "$me: could not $what TXT \"$value\" at $name via $addr port $port${zone:+ (zone $zone)}:"
        printf '%s\n' "$out" | grep -v '^$' | sed 's/^/  /'
        case $out in
        *BADSIG* | *BADKEY* | *"tsig verify failure"*)
            echo "  the server rejected the TSIG key: check the key name, algorithm and secret in $keyfile" ;;
        *REFUSED*)
            echo "  the server refused the update: check its update-policy / allow-update for this key and name" ;;
        *NOTZONE* | *NOTAUTH*)
            echo "  the server is not the primary of the zone of $name: check ACME_DNS_NSUPDATE_SERVER and ACME_DNS_NSUPDATE_ZONE" ;;
        *"timed out"* | *"connection refused"* | *"communications error"*)
            echo "  no answer from $addr port $port: check ACME_DNS_NSUPDATE_SERVER" ;;
        esac
    } >&2
    exit 1
fi
echo "$me: $done TXT \"$value\" at $name via $addr port $port"
exit 0
