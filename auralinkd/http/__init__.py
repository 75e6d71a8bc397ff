"""The optional HTTP listener (`AURALINK_HTTP_ADDRESS`): `/metrics` and signed object URLs. gRPC stays the API."""
