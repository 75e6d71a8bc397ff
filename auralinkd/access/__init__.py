"""Access: who is calling (tokens, principals), what they may do, and the first admin."""
