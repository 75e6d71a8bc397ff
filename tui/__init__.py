"""The AuraLink Textual dashboard: a gRPC client of auralinkd for live monitoring and management."""
