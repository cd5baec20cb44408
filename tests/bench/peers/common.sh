# shellcheck shell=bash disable=SC1091,SC2034
# Sourced by every configuration in this folder. A configuration is run as
#   bash peers/NAME.sh BED_DIR RUN_DIR DOMAIN...
# (bench.sh times exactly that command): it loads the bed's environment, puts the
# requested names in DOMAINS, and offers bed_run from the integration harness, so
# that the client sees only the bed's primary in /etc/resolv.conf.  RUN_DIR is
# new for every run: every client starts without an account.
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
