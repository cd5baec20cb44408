#!/usr/bin/env bash
# A dehydrated hook written as dehydrated's example hook.sh is: one function per
# handler, nsupdate as in its comments, unknown handlers ignored; with
# HOOK_CHAIN=yes each call carries DOMAIN TOKEN_FILENAME TOKEN_VALUE triples, taken
# three at a time (docs/hook_chain.md).  Every call is logged to $HOOK_LOG.

deploy_challenge() {
    while (( "$#" >= 3 )); do
        local DOMAIN="${1}" TOKEN_FILENAME="${2}" TOKEN_VALUE="${3}"
        shift 3
        [ -n "${TOKEN_FILENAME}" ] || { echo "no token for ${DOMAIN}" >&2; exit 1; }
        printf 'server %s\nupdate add _acme-challenge.%s 300 IN TXT "%s"\nsend\n' "${DNS_PRIMARY}" "${DOMAIN}" "${TOKEN_VALUE}" | nsupdate -k "${TSIG_KEYFILE}"
    done
}

clean_challenge() {
    while (( "$#" >= 3 )); do
        local DOMAIN="${1}" TOKEN_FILENAME="${2}" TOKEN_VALUE="${3}"
        shift 3
        printf 'server %s\nupdate delete _acme-challenge.%s TXT "%s"\nsend\n' "${DNS_PRIMARY}" "${DOMAIN}" "${TOKEN_VALUE}" | nsupdate -k "${TSIG_KEYFILE}"
    done
}

echo "$# $*" >>"${HOOK_LOG}"
HANDLER="$1"; shift
if [[ "${HANDLER}" =~ ^(deploy_challenge|clean_challenge|sync_cert|deploy_cert|deploy_ocsp|unchanged_cert|invalid_challenge|request_failure|generate_csr|startup_hook|exit_hook)$ ]]; then
  "$HANDLER" "$@"
fi
