"""AI agents: configuration, streaming chat with memory, conversations and room assignments."""
