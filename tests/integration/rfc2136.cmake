# The rfc2136 provider (plugins/rfc2136) against BIND 9, PowerDNS and Knot primaries, a Knot
# secondary and Pebble.
ad_integration_test(integration_rfc2136_algs test_rfc2136_algs.sh 30)
ad_integration_test(integration_rfc2136_badkey test_rfc2136_badkey.sh 31)
ad_integration_test(integration_rfc2136_many test_rfc2136_many.sh 32)
ad_integration_test(integration_rfc2136_cname test_rfc2136_cname.sh 33)
ad_integration_test(integration_rfc2136_secondary test_rfc2136_secondary.sh 34)
ad_integration_test(integration_rfc2136_secondary_timeout test_rfc2136_secondary_timeout.sh 35)
ad_integration_test(integration_rfc2136_verbose test_rfc2136_verbose.sh 36)
ad_integration_test(integration_rfc2136_pdns test_rfc2136_primary.sh 40 pdns)
ad_integration_test(integration_rfc2136_knot test_rfc2136_primary.sh 41 knot)
ad_integration_test(integration_rfc2136_pdns_secondary test_rfc2136_secondary.sh 42 pdns)
# Other clients' credentials unchanged: lego's variables, certbot's INI, tsig=none.
ad_integration_test(integration_rfc2136_creds test_rfc2136_creds.sh 191)
