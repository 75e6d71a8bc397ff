"""A simulated mesh with ground-truth latencies: nodes in regions, ~10 links each, noisy measurements.

Used by the tests at small scale and by bench/mesh.py. `main` drives an in-process MeshService through a
kill and checks that detection and rerouting stay within the detector's bound (the gRPC-driven variant
needs the servicers wired into the daemon).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

REGIONS = (("eu", 0.0, 0.0), ("us", 80.0, 10.0), ("ap", 160.0, -20.0), ("sa", 90.0, -70.0))


@dataclass
class SimMesh:
    names: list[str]
    region: dict[str, str]
    position: dict[str, tuple[float, float]]
    access: dict[str, float]
    links: dict[str, list[str]] = field(default_factory=dict)

    def rtt(self, a: str, b: str) -> float:
        """Ground-truth RTT in ms: distance plus both access delays."""
        (x1, y1), (x2, y2) = self.position[a], self.position[b]
        return math.hypot(x1 - x2, y1 - y2) + self.access[a] + self.access[b]

    def measure(self, a: str, b: str, rng: random.Random, noise: float = 0.05) -> float:
        return max(0.1, self.rtt(a, b) * (1 + rng.gauss(0, noise)))


def generate(n: int, degree: int = 10, seed: int = 7) -> SimMesh:
    rng = random.Random(seed)
    names = [f"n{i:05d}" for i in range(n)]
    region, position, access = {}, {}, {}
    for name in names:
        r, cx, cy = rng.choice(REGIONS)
        region[name] = r
        position[name] = (cx + rng.gauss(0, 15), cy + rng.gauss(0, 15))
        access[name] = rng.uniform(0.5, 5.0)
    mesh = SimMesh(names, region, position, access, {name: [] for name in names})
    # Mostly near neighbours (a grid of cells keeps generation O(n)), plus a few long-haul links.
    cell = 6.0
    grid: dict[tuple[int, int], list[str]] = {}
    for name in names:
        x, y = position[name]
        grid.setdefault((int(x // cell), int(y // cell)), []).append(name)
    edges: set[tuple[str, str]] = set()
    for name in names:
        x, y = position[name]
        cx, cy = int(x // cell), int(y // cell)
        near = [m for dx in (-1, 0, 1) for dy in (-1, 0, 1) for m in grid.get((cx + dx, cy + dy), ()) if m != name]
        near.sort(key=lambda m: mesh.rtt(name, m))
        picks = near[: degree // 2 - 1] + [rng.choice(names)]
        for other in picks:
            if other != name:
                edges.add((min(name, other), max(name, other)))
    for a, b in edges:
        mesh.links[a].append(b)
        mesh.links[b].append(a)
    return mesh


def main(argv: list[str]) -> int:
    """Kill a relay on a route and check the reroute happens within the detector's OFFLINE bound."""
    import asyncio

    from bench.mesh import simulate_failover

    result = asyncio.run(simulate_failover(200 if "--quick" in argv else 1000))
    print(result)
    return 0 if result["ok"] else 1
