#!/usr/bin/env bash
# Install what building and testing acme-dns needs on Debian 12 (run as root).
# Does nothing when everything is already there.
set -euo pipefail
PKGS=(build-essential cmake pkg-config libssl-dev libcurl4-openssl-dev libjson-c-dev libldns-dev
      libcmocka-dev pebble bind9 bind9-dnsutils ldnsutils knot knot-dnsutils curl openssl
      ca-certificates python3 python3-h2 time nghttp2-server iproute2 procps util-linux valgrind gnuplot-nox strace binutils tcpdump)
PKGS+=(pdns-server pdns-backend-sqlite3) # the PowerDNS primary of the rfc2136 tests
PKGS+=(uacme) # its own nsupdate.sh hook, run unchanged by the hook style tests
PKGS+=(clang libclang-rt-14-dev) # the libFuzzer targets (tests/fuzz)
PKGS+=(groff-base man-db) # the man page's rendering check (tests/integration/test_core_install.sh)
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
if pgrep -x pdns_server >/dev/null && [ -x /usr/sbin/service ]; then service pdns stop >/dev/null 2>&1 || true; fi
exit 0
