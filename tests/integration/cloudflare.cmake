# The Cloudflare provider (plugins/cloudflare) against the fake Cloudflare API
# (tests/fakes/cloudflare_api.py), which writes through to the bed's BIND.
ad_integration_test(integration_cloudflare_fake test_cloudflare_fake.sh 60)
ad_integration_test(integration_cloudflare_issue test_cloudflare_issue.sh 61)
ad_integration_test(integration_cloudflare_zones test_cloudflare_zones.sh 62)
ad_integration_test(integration_cloudflare_auth test_cloudflare_auth.sh 63)
ad_integration_test(integration_cloudflare_retry test_cloudflare_retry.sh 64)
ad_integration_test(integration_cloudflare_many test_cloudflare_many.sh 142)
# Other clients' credentials unchanged: certbot's cloudflare.ini, lego's split token and key.
ad_integration_test(integration_cloudflare_creds test_cloudflare_creds.sh 192)
