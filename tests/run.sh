#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds acme-dns twice (plain with -Werror,
# and with -fsanitize=address,undefined), runs every test on both builds: unit tests and
# integration tests against Pebble, BIND 9, Knot and PowerDNS on loopback, and one issuance and
# one failed issuance of the plain build under valgrind (tests/valgrind.sh). First it builds the
# libFuzzer targets with clang and runs each 15 s (tests/fuzz/run.sh), so that the run ends with
# ctest's summary line of the sanitizer build.
# Run from the checkout's root, as root.
# BED_NET=N puts the test beds on 127.N.x.y (default 0), for a second tree running at once.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh
jobs=$(nproc)
bash tests/fuzz/run.sh 15
cmake -S . -B build -DAD_WERROR=ON -DAD_BED_NET="${BED_NET:-0}" >/dev/null
cmake --build build -j"$jobs" >/dev/null
ctest --test-dir build -j"$jobs" --output-on-failure
BED_NET="${BED_NET:-0}" bash tests/valgrind.sh build # an issuance and a failed one under valgrind (~30 s)
cmake -S . -B build-asan -DAD_WERROR=ON -DAD_SANITIZE=ON -DAD_BED_NET="${BED_NET:-0}" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan -j"$jobs" --output-on-failure
