# The core: plugin loader errors, command line, signals, the journal after a hard kill,
# the install layout.
ad_integration_test(integration_core_loader test_core_loader.sh 90)
ad_integration_test(integration_core_interrupt test_core_interrupt.sh 91)
ad_integration_test(integration_core_directory test_core_directory.sh 92)
# Hostile peers and input checks (issue 19): bed blocks 140-169.
ad_integration_test(integration_core_hostile_dns test_core_hostile_dns.sh 140)
ad_integration_test(integration_core_input_checks test_core_input_checks.sh 141)
ad_integration_test(integration_core_hostile_http test_core_hostile_http.sh 144)
ad_integration_test(integration_core_install test_core_install.sh 93)
# Issue 18, the core half (bed block 210-229): check, names at several providers, plugins, --json, -q.
ad_integration_test(integration_core_eco test_core_eco.sh 210)
# Robustness, part 2 (issue 19): bed block 230-249.
ad_integration_test(integration_core_faults test_core_faults.sh 230)
ad_integration_test(integration_core_crash test_core_crash.sh 231)
ad_integration_test(integration_core_state test_core_state.sh 232)
