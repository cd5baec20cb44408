#!/usr/bin/env bash
# Run a unit test in a private mount namespace whose /etc/resolv.conf names
# only loopback, so that a test that resolves names (the HTTPS client's)
# never asks this machine's own resolver.  Usage: loopback_resolver.sh CMD...
set -euo pipefail
rc=$(mktemp)
trap 'rm -f "$rc"' EXIT
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$rc"
prop=private
unshare --mount --propagation private true 2>/dev/null || prop=unchanged # a plain chroot
unshare --mount --propagation "$prop" bash -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' _ "$rc" "$@"
