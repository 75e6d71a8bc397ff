"""Long-term memory: local embeddings, store with dedupe, hybrid recall, evolve, relationships and statistics."""
