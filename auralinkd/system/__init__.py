"""The daemon describing itself: status, and the events other domains publish."""
