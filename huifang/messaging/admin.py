# Nothing registered: the outbox holds full numbers and opt-outs name customers; both are read
# through ``huifang messages`` and the customer page, which mask and audit (R11.1).
