/* Test plugin: a shared object without the descriptor symbol. */
int acme_dns_not_a_provider(void);
int acme_dns_not_a_provider(void)
{
    return 42;
}
