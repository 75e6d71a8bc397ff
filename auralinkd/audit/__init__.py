"""The tamper-evident audit log: one row per mutating call, hash-chained per organization."""
