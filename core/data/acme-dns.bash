# bash completion for acme-dns.  Commands and options are read from `acme-dns --help`,
# so that they follow the installed version; providers are the plugins installed.
_acme_dns_plugins()
{
    local d f
    for d in "$@" "@AD_PLUGIN_INSTALL_DIR@"; do
        for f in "$d"/*.so; do
            [ -e "$f" ] || continue
            f=${f##*/}
            printf '%s\n' "${f%.so}"
        done
    done
}

_acme_dns()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} help i
    local -a dirs=()
    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        [ "${COMP_WORDS[i]}" = --plugin-dir ] && dirs+=("${COMP_WORDS[i+1]}")
    done
    case $prev in
    -p | --provider)
        mapfile -t COMPREPLY < <(compgen -W "$(_acme_dns_plugins "${dirs[@]}")" -- "$cur")
        return ;;
    --key-type | --account-key-type)
        mapfile -t COMPREPLY < <(compgen -W "ec256 ec384 rsa2048 rsa3072 rsa4096" -- "$cur")
        return ;;
    --ca-bundle | --config | --eab-hmac-key-file)
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return ;;
    --state-dir | --plugin-dir)
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        return ;;
    -d | --domain | --server | --email | --cert-name | --provider-opt | --deploy-hook | --dns-resolver | \
        --propagation-timeout | --http-timeout | --lock-timeout | --eab-kid | --profile | --preferred-chain | \
        --reason)
        return ;;
    esac
    help=$("${COMP_WORDS[0]}" --help 2>/dev/null)
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(grep -oE -- '(^| )--?[a-zA-Z][a-zA-Z-]*' <<<"$help" | tr -d ' ' | sort -u)" -- "$cur")
    else
        mapfile -t COMPREPLY < <(compgen -W "$(sed -nE 's/^(usage:| ) *acme-dns \[?([a-z-]+).*/\2/p' <<<"$help" | sort -u)" -- "$cur")
    fi
}
complete -F _acme_dns acme-dns
