# The core: plugin loader errors, command line, signals, the journal after a hard kill.
ad_integration_test(integration_core_loader test_core_loader.sh 90)
ad_integration_test(integration_core_interrupt test_core_interrupt.sh 91)
ad_integration_test(integration_core_directory test_core_directory.sh 92)
