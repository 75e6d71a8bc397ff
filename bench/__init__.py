"""Benchmarks: one module per area (`bench/<area>.py` with `main(argv)`), run with `python -m bench <area>`.

Each area measures its baseline in the same run and writes `bench/results/<area>.json` through `bench.common`.
"""
