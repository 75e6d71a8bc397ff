"""AuraLink Core daemon: one process hosting the AI services behind one gRPC API."""

__version__ = "0.1.0"
