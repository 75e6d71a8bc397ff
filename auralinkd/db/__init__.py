"""PostgreSQL: the embedded server, the pool with retry, forward-only migrations and the tenant (RLS) scope."""
