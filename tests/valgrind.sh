#!/usr/bin/env bash
# valgrind memcheck on acme-dns against a test bed (tests/integration/bed.sh): one issuance
# (apex + wildcard through rfc2136, then the files are checked) and one failed issuance (a TSIG
# key file with a wrong secret: the server answers BADSIG, exit 4).  Each must show 0 errors and
# 0 bytes definitely or indirectly lost (--errors-for-leak-kinds=definite,indirect, so a leak
# counts as an error); prints the figures of both runs and keeps the logs when it fails.
# Not part of tests/run.sh (slow).  Run from anywhere, as root, after building the plain tree:
#   BED_NET=N bash tests/valgrind.sh [BUILD_DIR]      (default build/; BED_ID defaults to 248)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$SRC/build}" && pwd)
command -v valgrind >/dev/null || { echo "valgrind: not installed: run tests/deps.sh as root" >&2; exit 1; }
[ -x "$build/bin/acme-dns" ] || { echo "valgrind: no $build/bin/acme-dns: build the plain tree first" >&2; exit 1; }
export BED_ID=${BED_ID:-248} BED_NET=${BED_NET:-0}
# shellcheck source=integration/bed.sh
. "$SRC/tests/integration/bed.sh"
D=$(bed_tmpdir)
bed_up "$D"

# bed_acme runs $ACME_DNS: a wrapper that puts valgrind in front, one log per run ($VG_LOG).
cat >"$D/acme-dns-vg" <<EOF
#!/bin/sh
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \\
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-origins=yes \\
    --num-callers=30 --log-file="\$VG_LOG" "$build/bin/acme-dns" "\$@"
EOF
chmod 755 "$D/acme-dns-vg"
export ACME_DNS=$D/acme-dns-vg

# The bed's key with another secret: BIND refuses it (BADSIG).  The secret stays in a file.
sed 's/secret "[^"]*"/secret "c2VjcmV0LXRoYXQtdGhlLXNlcnZlci1kb2VzLW5vdC1rbm93"/' "$TSIG_KEYFILE" >"$D/wrong.key"
grep -q 'c2VjcmV0LXRoYXQ' "$D/wrong.key" || fail "could not write a key file with a wrong secret"

status=0
# run NAME WANT_EXIT ARGS...: one run under valgrind; its figures on one line.
run() {
    local name=$1 want=$2 rc=0
    shift 2
    VG_LOG=$D/$name.vg bed_acme "$D" --provider rfc2136 --provider-opt "server=$DNS_SERVER" \
        --cert-name "$name" -d example.test -d '*.example.test' "$@" >"$D/$name.log" 2>&1 || rc=$?
    local errors definite indirect inuse
    inuse=$(sed -n 's/.*in use at exit: \([0-9,]*\) bytes.*/\1/p' "$D/$name.vg" | tail -n 1)
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$D/$name.vg" | tail -n 1)
    definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$D/$name.vg" | tail -n 1)
    indirect=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$D/$name.vg" | tail -n 1)
    # No leak summary at all means nothing was allocated and left: 0 bytes.
    printf 'valgrind %-7s exit %-2s errors %-3s definitely lost %-5s indirectly lost %-5s in use at exit %s bytes\n' \
        "$name" "$rc" "${errors:-?}" "${definite:-0}" "${indirect:-0}" "${inuse:-?}"
    if [ "$rc" != "$want" ] || [ "${errors:-?}" != 0 ] || [ "${definite:-0}" != 0 ] || [ "${indirect:-0}" != 0 ]; then
        echo "---- $name: expected exit $want, 0 errors, 0 bytes lost; acme-dns's output:" >&2
        tail -n 20 "$D/$name.log" >&2
        echo "---- valgrind's report ($D/$name.vg):" >&2
        grep -v '^==[0-9]*== *$' "$D/$name.vg" | tail -n 80 >&2
        status=1
    fi
}

run issue 0 --provider-opt "tsig-keyfile=$TSIG_KEYFILE"
[ "$status" != 0 ] || bed_verify_cert "$D" "$D/state/certs/issue" example.test '*.example.test'
run badsig 4 --provider-opt "tsig-keyfile=$D/wrong.key"
[ "$status" != 0 ] || assert_contains "$D/badsig.log" "(BADSIG)"
[ ! -e "$D/state/certs/badsig/cert.pem" ] || fail "badsig: a certificate was written"
[ "$status" = 0 ] || fail "valgrind found errors or leaks (logs in $D)"
echo "PASS: valgrind (0 errors, 0 bytes definitely or indirectly lost in both runs)"
