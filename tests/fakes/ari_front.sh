# shellcheck shell=bash
# Start and drive the ARI front (ari_front.py: it stands in for a CA with ACME
# Renewal Information, which Debian's Pebble 2.4 lacks) inside a test bed.
# Source after bed.sh and bed_up:
#
#   ari_front_up DIR     start the front over HTTPS on 127.NET.$BED_ID.1 (any free port),
#                        in front of the bed's Pebble, with Pebble's own HTTPS certificate.
#                        Sets and exports ARI_DIR_URL (the directory through the front).
#                        Files in DIR/ari: windows.json (what renewal-info answers),
#                        replaces.log (the "replaces" of each new order), requests.log,
#                        profiles.json (the directory's meta.profiles; {}: none),
#                        profiles.log (the "profile" of each new order, "-" for none).
#   ari_window START END [RETRY_AFTER]   every certificate's suggested window (RFC 3339)
#   ari_none             renewal-info answers 404 for every certificate
#   ari_profiles JSON    the directory offers these profiles ({"NAME": "description", ...})
#   ari_front_down DIR   stop it (also done at exit)

ari_front_up() {
    local d=${1:?usage: ari_front_up DIR} a1 c
    a1=127.${BED_NET:-0}.$BED_ID.1
    c=$d/ari
    mkdir -p "$c"
    : >"$c/replaces.log"
    : >"$c/requests.log"
    echo '{}' >"$c/windows.json"
    echo '{}' >"$c/profiles.json"
    : >"$c/profiles.log"
    rm -f "$c/port"
    setpriv --pdeathsig TERM -- python3 "$SRC/tests/fakes/ari_front.py" --listen "$a1" \
        --ready-file "$c/port" --tls-cert "$d/pebble/cert.pem" --tls-key "$d/pebble/key.pem" \
        --upstream "https://$a1:14000" --upstream-ca "$ACME_CA_BUNDLE" --windows "$c/windows.json" \
        --replaces-log "$c/replaces.log" --log "$c/requests.log" --profiles "$c/profiles.json" \
        --profiles-log "$c/profiles.log" </dev/null >"$c/front.log" 2>&1 &
    echo $! >"$c/front.pid"
    _bed_wait "$d" "the ARI front" ari/front test -s "$c/port"
    ARI_DIR_URL=https://$a1:$(cat "$c/port")/dir
    ARI_WINDOWS=$c/windows.json
    ARI_PROFILES=$c/profiles.json
    export ARI_DIR_URL ARI_WINDOWS ARI_PROFILES
    # shellcheck disable=SC2064
    trap "_ari_rc=\$?; ari_front_down '$d'; (exit \$_ari_rc); _bed_exit '$d'" EXIT
}

ari_front_down() {
    bed_stop "${1:?usage: ari_front_down DIR}/ari/front.pid" ari_front.py
}

ari_window() {
    printf '{"default": {"start": "%s", "end": "%s"}, "retry_after": %s}\n' "$1" "$2" "${3:-3600}" \
        >"$ARI_WINDOWS.tmp" && mv "$ARI_WINDOWS.tmp" "$ARI_WINDOWS"
}

ari_none() {
    echo '{}' >"$ARI_WINDOWS.tmp" && mv "$ARI_WINDOWS.tmp" "$ARI_WINDOWS"
}

ari_profiles() {
    echo "${1:?usage: ari_profiles JSON}" >"$ARI_PROFILES.tmp" && mv "$ARI_PROFILES.tmp" "$ARI_PROFILES"
}
