# Renewal: saved settings, ARI through tests/fakes/ari_front.py, the lifetime rule,
# deploy hooks, several providers in one run, the certificates command.
ad_integration_test(integration_renew test_renew.sh 120)
