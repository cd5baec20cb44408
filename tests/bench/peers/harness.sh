#!/usr/bin/env bash
# The wrapping every configuration pays (bash, the bed's environment, the private
# mount namespace), around /bin/true: reported with the process floor.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
bed_run "$BED" "${CLIENT[@]}" /bin/true
