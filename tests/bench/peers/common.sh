# shellcheck shell=bash disable=SC1091,SC2034
# Sourced by every configuration in this folder. A configuration is run as
#   bash peers/NAME.sh BED_DIR RUN_DIR DOMAIN...
# : it loads the bed's environment, puts the requested names in DOMAINS, and
# offers bed_run from the integration harness, so that the client sees only the
# bed's primary in /etc/resolv.conf.  RUN_DIR is new for every run: every client
# starts without an account.
#
# The client command itself, as a user would type it, is started through
# "${CLIENT[@]}" inside bed_run: when bench.sh sets BENCH_MEASURE, that is the
# stopwatch (measure.c) writing RUN_DIR/client.measure, so the figures are the
# client's own process tree (with its hooks), not this script's bash, the bed's
# environment and the namespace set-up around it (bench.sh times those too and
# prints them as "the wrapping" with the process floor).
[ $# -ge 3 ] || { echo "usage: $0 BED_DIR RUN_DIR DOMAIN..." >&2; exit 2; }
BED=$1 RUN=$2
shift 2
DOMAINS=("$@")
PEERS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=${ACME_DNS_SRC:-$(cd "$PEERS/../../.." && pwd)}
. "$SRC/tests/integration/bed.sh"
set -a
. "$BED/env"
set +a
mkdir -p "$RUN"
CLIENT=()
if [ -n "${BENCH_MEASURE:-}" ]; then
    CLIENT=("$BENCH_MEASURE" "$RUN/client.measure" "${BENCH_TIMEOUT:-600}")
fi
