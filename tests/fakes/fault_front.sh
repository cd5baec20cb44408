# shellcheck shell=bash
# Start the fault front (fault_front.py: drops, loses, delays or answers 5xx to a share of the
# requests, and passes the rest to Pebble) inside a test bed.  Source after bed.sh and bed_up:
#
#   fault_front_up DIR RATE SEED [FAULTS [PATHS [once]]]   start it over HTTPS on
#                        127.NET.$BED_ID.1 (any free port) in front of the bed's Pebble, with
#                        Pebble's own HTTPS certificate: RATE percent of the requests (those whose
#                        path matches the regular expression PATHS, default all; with "once" only
#                        the first for each path) meet one of FAULTS (default drop,lose,delay,5xx),
#                        drawn from SEED.  Sets and exports FAULT_DIR_URL
#                        (the directory through the front) and FAULT_LOG (one line per request:
#                        "N METHOD PATH FAULT STATUS").
#   fault_front_down DIR stop it (also done at exit)
# FAULT_DUMP=FOLDER in the environment of fault_front_up: every answer is written there too.

fault_front_up() {
    local d=${1:?usage: fault_front_up DIR RATE SEED [FAULTS [PATHS [once]]]} rate=${2:?usage: fault_front_up DIR RATE SEED [FAULTS [PATHS [once]]]}
    local seed=${3:?usage: fault_front_up DIR RATE SEED [FAULTS [PATHS [once]]]} faults=${4:-drop,lose,delay,5xx} paths=${5:-} once=() a1 c
    [ "${6:-}" != once ] || once=(--once)
    a1=127.${BED_NET:-0}.$BED_ID.1
    c=$d/faults
    mkdir -p "$c"
    : >"$c/requests.log"
    rm -f "$c/port"
    setpriv --pdeathsig TERM -- python3 "$SRC/tests/fakes/fault_front.py" --listen "$a1" \
        --ready-file "$c/port" --tls-cert "$d/pebble/cert.pem" --tls-key "$d/pebble/key.pem" \
        --upstream "https://$a1:14000" --upstream-ca "$ACME_CA_BUNDLE" --log "$c/requests.log" \
        --rate "$rate" --seed "$seed" --faults "$faults" --paths "$paths" "${once[@]}" --dump "${FAULT_DUMP:-}" \
        </dev/null >"$c/front.log" 2>&1 &
    echo $! >"$c/front.pid"
    _bed_wait "$d" "the fault front" faults/front test -s "$c/port"
    FAULT_DIR_URL=https://$a1:$(cat "$c/port")/dir
    FAULT_LOG=$c/requests.log
    export FAULT_DIR_URL FAULT_LOG
    # shellcheck disable=SC2064
    trap "_ff_rc=\$?; fault_front_down '$d'; (exit \$_ff_rc); _bed_exit '$d'" EXIT
}

fault_front_down() {
    bed_stop "${1:?usage: fault_front_down DIR}/faults/front.pid" fault_front.py
}
