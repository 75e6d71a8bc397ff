"""LLM providers: configurations, BYOK keys (envelope-encrypted), the litellm gateway with failover,
cost and budgets, model selection, and the offline local model."""
