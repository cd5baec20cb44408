#!/usr/bin/env bash
# Install what building and testing acme-dns needs on Debian 12 (run as root).
# Does nothing when everything is already there.
set -euo pipefail
PKGS=(build-essential cmake pkg-config libssl-dev libcurl4-openssl-dev libnghttp2-dev libjson-c-dev libldns-dev
      libcmocka-dev pebble bind9 bind9-dnsutils ldnsutils knot knot-dnsutils curl openssl
      ca-certificates python3 nghttp2-server iproute2 procps util-linux valgrind gnuplot-nox tcpdump)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${missing[*]}; run this script as root to install them" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
# The packaged daemons must not hold the loopback ports the tests use.
for svc in named knotd; do
  if pgrep -x "$svc" >/dev/null && [ -x /usr/sbin/service ]; then
    service "${svc/knotd/knot}" stop >/dev/null 2>&1 || service "${svc/named/bind9}" stop >/dev/null 2>&1 || true
  fi
done
exit 0
