# The test bed itself, and the hook provider (plugins/hook) with examples/hooks/nsupdate.sh.
ad_integration_test(integration_bed_selftest test_bed_selftest.sh 10)
ad_integration_test(integration_hook_issue test_hook_issue.sh 11)
ad_integration_test(integration_hook_fail test_hook_fail.sh 12)
ad_integration_test(integration_hook_timeout test_hook_timeout.sh 13)
# Other clients' hook scripts unchanged (style=uacme, certbot, dehydrated, lego).
ad_integration_test(integration_hook_styles test_hook_styles.sh 190)
