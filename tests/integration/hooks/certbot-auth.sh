#!/bin/bash
# A certbot --manual-auth-hook as certbot's documentation shows one: it reads
# CERTBOT_DOMAIN and CERTBOT_VALIDATION, creates the TXT record and prints an id
# for the cleanup hook (CERTBOT_AUTH_OUTPUT).  Here the record goes to the bed's
# primary with nsupdate; every call is logged to $HOOK_LOG for the test.
set -eu
printf 'auth domain=%s validation=%s token=%s remaining=%s all=%s\n' "$CERTBOT_DOMAIN" \
    "$CERTBOT_VALIDATION" "${CERTBOT_TOKEN-unset}" "$CERTBOT_REMAINING_CHALLENGES" \
    "$CERTBOT_ALL_DOMAINS" >>"$HOOK_LOG"
printf 'server %s\nupdate add _acme-challenge.%s. 60 IN TXT "%s"\nsend\n' "$DNS_PRIMARY" \
    "$CERTBOT_DOMAIN" "$CERTBOT_VALIDATION" | nsupdate -k "$TSIG_KEYFILE"
# The "record id" the cleanup hook gets back (with white space around it, which
# certbot strips).
printf '  \n_acme-challenge.%s\n\n' "$CERTBOT_DOMAIN"
