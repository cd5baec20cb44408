# CA features (issue 16): revoke, account commands, EAB, profiles, preferred chain, key reuse;
# bed block 170-189.
ad_integration_test(integration_ca_features test_ca_features.sh 170)
ad_integration_test(integration_ca_eab test_ca_eab.sh 171)
