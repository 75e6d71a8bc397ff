"""Widgets, in feature folders (common/, overview/, mesh/, access/, compression/). None of them calls gRPC."""
