"""Object storage: an organization's objects by key; bytes in a backend, metadata in PostgreSQL under RLS."""
