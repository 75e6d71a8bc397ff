"""The compression corpus now lives with the daemon (auralinkd.compression.benchmark.corpus), so an
installed daemon can run RunBenchmark; this name stays for the bench, the tools and the tests."""

from auralinkd.compression.benchmark.corpus import data, images, quality, speech, video

__all__ = ["data", "images", "quality", "speech", "video"]
