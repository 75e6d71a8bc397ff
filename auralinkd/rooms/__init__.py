"""Rooms: where calls happen, and who is in each room's call."""
