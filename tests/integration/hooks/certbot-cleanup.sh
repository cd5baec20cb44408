#!/bin/bash
# A certbot --manual-cleanup-hook: deletes the record the auth hook reported
# in CERTBOT_AUTH_OUTPUT.
set -eu
printf 'cleanup domain=%s validation=%s output=%s remaining=%s\n' "$CERTBOT_DOMAIN" \
    "$CERTBOT_VALIDATION" "$CERTBOT_AUTH_OUTPUT" "$CERTBOT_REMAINING_CHALLENGES" >>"$HOOK_LOG"
printf 'server %s\nupdate delete %s. IN TXT "%s"\nsend\n' "$DNS_PRIMARY" "$CERTBOT_AUTH_OUTPUT" \
    "$CERTBOT_VALIDATION" | nsupdate -k "$TSIG_KEYFILE"
