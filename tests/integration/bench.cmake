# The benchmark (tests/bench/bench.sh) is not run by ctest: it takes minutes.  This
# quick run of acme-dns alone through the same script keeps the script working.
# Beds 100 (scenarios A, B), 101 (L) and 102 (R).
ad_integration_test(integration_bench_smoke test_bench_smoke.sh 100)
