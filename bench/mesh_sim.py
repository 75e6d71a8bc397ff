"""A simulated mesh with ground-truth latencies: nodes in regions, ~10 links each, noisy measurements.

Used by the tests at small scale and by bench/mesh.py. `GrpcMesh` drives a real daemon: it registers the
nodes, streams their heartbeats (with measurement noise) through StreamHeartbeatBatches as a gateway would
(or StreamHeartbeats, one message per beat), kills nodes and
partitions regions, and checks that no route ever uses an OFFLINE or quarantined node. `main` runs that
scenario against a fresh daemon and checks detection and rerouting against the detector's bound.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

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


class GrpcMesh:
    """A simulated mesh living in a daemon: registration, heartbeats, failures, partitions, checks."""

    def __init__(self, sim: SimMesh, channel: Any, token: str, interval_s: float = 0.5, seed: int = 1) -> None:
        from auralink.v1 import mesh_pb2_grpc

        self.sim = sim
        self.md = (("authorization", f"Bearer {token}"),)
        self.mesh = mesh_pb2_grpc.MeshRoutingServiceStub(channel)
        self.reputation = mesh_pb2_grpc.ReputationServiceStub(channel)
        self.interval_s = interval_s
        self.rng = random.Random(seed)
        self.ids: dict[str, str] = {}
        self.killed: set[str] = set()
        self.cut: set[frozenset[str]] = set()  # region pairs whose links are down
        self.accepted = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors: list[str] = []

    def register(self, anchors: int = 3) -> None:
        from google.protobuf import duration_pb2

        from auralink.v1 import mesh_pb2

        interval = duration_pb2.Duration()
        interval.FromNanoseconds(int(self.interval_s * 1e9))
        for i, name in enumerate(self.sim.names):
            request = mesh_pb2.RegisterNodeRequest(
                name=name,
                address=f"{name}.sim:7000",
                region=self.sim.region[name],
                node_type=mesh_pb2.NODE_TYPE_RELAY,
                heartbeat_interval=interval,
                anchor=i < anchors,
            )
            self.ids[name] = self.mesh.RegisterNode(request, metadata=self.md, timeout=30).node.id

    def _linked(self, a: str, b: str) -> bool:
        pair = frozenset((self.sim.region[a], self.sim.region[b]))
        return b not in self.killed and not (len(pair) == 2 and pair in self.cut)

    def beats(self) -> Iterator[Any]:
        """One heartbeat per living node; links to dead or partitioned neighbours are not reported."""
        from auralink.v1 import mesh_pb2

        for a in self.sim.names:
            if a in self.killed:
                continue
            links = [
                mesh_pb2.LinkReport(
                    neighbor=self.ids[b],
                    rtt_ms=self.sim.measure(a, b, self.rng),
                    bandwidth_kbps=self.rng.uniform(5_000, 100_000),
                    loss_pct=self.rng.uniform(0, 2),
                )
                for b in self.sim.links[a]
                if self._linked(a, b)
            ]
            yield mesh_pb2.HeartbeatRequest(node=self.ids[a], load=self.rng.randint(0, 50), links=links)

    def round(self, requests: list[Any] | None = None) -> Any:
        """One StreamHeartbeats call carrying a beat of every living node (one message per beat)."""
        response = self.mesh.StreamHeartbeats(iter(requests or list(self.beats())), metadata=self.md, timeout=60)
        self.accepted += response.accepted
        if response.rejected:
            self.errors.extend(response.errors)
        return response

    def batched_round(self, requests: list[Any] | None = None, batch: int = 500) -> int:
        """One StreamHeartbeatBatches call: the beats in batches of `batch`; returns how many were accepted."""
        from auralink.v1 import mesh_pb2

        beats = requests or list(self.beats())
        batches = (
            mesh_pb2.HeartbeatBatch(heartbeats=beats[i : i + batch], sequence=i // batch)
            for i in range(0, len(beats), batch)
        )
        accepted = 0
        for response in self.mesh.StreamHeartbeatBatches(batches, metadata=self.md, timeout=60):
            accepted += response.accepted
            self.errors.extend(f"{r.code}: {r.message}" for r in response.refusals)
        self.accepted += accepted
        return accepted

    def start(self) -> None:
        """Heartbeat rounds in the background, twice per interval, until stop()."""

        def loop() -> None:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    self.batched_round()
                except Exception as exc:  # noqa: BLE001 - reported by the checks, not fatal to the loop
                    self.errors.append(repr(exc))
                self._stop.wait(max(0.0, self.interval_s / 2 - (time.monotonic() - started)))

        self._stop.clear()
        self._thread = threading.Thread(target=loop, name="sim-heartbeats", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def kill(self, name: str) -> None:
        self.killed.add(name)

    def partition(self, region_a: str, region_b: str) -> None:
        self.cut.add(frozenset((region_a, region_b)))

    def heal(self) -> None:
        self.cut.clear()

    def state(self, name: str) -> str:
        from auralink.v1 import mesh_pb2

        node = self.mesh.GetNode(mesh_pb2.GetNodeRequest(node=name), metadata=self.md, timeout=10)
        return str(mesh_pb2.NodeState.Name(node.state)).removeprefix("NODE_STATE_").lower()

    def wait_state(self, name: str, wanted: str, timeout_s: float) -> float | None:
        """Seconds until the node reached `wanted`, or None."""
        start = time.monotonic()
        while time.monotonic() - start < timeout_s:
            if self.state(name) == wanted:
                return time.monotonic() - start
            time.sleep(0.05)
        return None

    def unusable(self) -> set[str]:
        """Names of the nodes that are OFFLINE or quarantined now (ids map back to names)."""
        from auralink.v1 import mesh_pb2

        out: set[str] = set()
        for request in (
            mesh_pb2.ListNodesRequest(state=mesh_pb2.NODE_STATE_OFFLINE, page_size=500),
            mesh_pb2.ListNodesRequest(quarantined_only=True, page_size=500),
        ):
            while True:
                page = self.mesh.ListNodes(request, metadata=self.md, timeout=10)
                out.update(n.name for n in page.nodes)
                if not page.next_page_token:
                    break
                request.page_token = page.next_page_token
        return out

    def route(self, a: str, b: str, k: int = 3, store: bool = False) -> Any:
        from auralink.v1 import mesh_pb2

        request = mesh_pb2.FindOptimalRouteRequest(source=a, destination=b, k=k, store=store)
        return self.mesh.FindOptimalRoute(request, metadata=self.md, timeout=10)

    def check_routes(self, pairs: int = 20) -> list[str]:
        """Route between random usable pairs; every path must avoid what was unusable before the query."""
        banned = self.unusable()
        usable = [n for n in self.sim.names if n not in banned and n not in self.killed]
        violations = []
        for _ in range(pairs):
            a, b = self.rng.sample(usable, 2)
            for path in self.route(a, b).paths:
                bad = banned.intersection(path.names)
                if bad:
                    violations.append(f"{a}->{b} uses {sorted(bad)}")
        return violations


def scenario(address: str, token: str, n: int, interval_s: float = 0.5) -> dict[str, Any]:
    """Register n nodes, beat, kill a relay of a stored route, quarantine another, partition two regions."""
    import grpc

    from auralink.v1 import mesh_pb2

    sim = generate(n)
    with grpc.insecure_channel(address) as channel:
        driver = GrpcMesh(sim, channel, token, interval_s)
        driver.register()
        for _ in range(3):
            driver.batched_round()
        driver.start()
        try:
            return _scenario(driver, mesh_pb2)
        finally:
            driver.stop()


def _scenario(driver: GrpcMesh, mesh_pb2: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    rng = random.Random(4)
    while True:
        a, b = rng.sample(driver.sim.names[3:], 2)
        stored = driver.route(a, b, k=3, store=True)
        if stored.paths and len(stored.paths[0].names) >= 4:
            break
    victim = stored.paths[0].names[1]
    driver.kill(victim)
    killed_at = time.monotonic()
    bound = 7.0 * driver.interval_s + 0.5  # OFFLINE_INTERVALS x interval, plus ticks and scheduling
    detected = driver.wait_state(victim, "offline", bound * 3)
    result["detected_after_s"] = detected
    result["detection_bound_s"] = bound
    routes = driver.mesh.ListRoutes(mesh_pb2.ListRoutesRequest(page_size=500), metadata=driver.md, timeout=10)
    moved = next(r for r in routes.routes if r.id == stored.route_id)
    result["rerouted_after_s"] = time.monotonic() - killed_at
    result["stored_route_avoids_victim"] = driver.ids[victim] not in moved.path.nodes and moved.active
    relay = driver.route(a, b).paths[0].names[1]
    if relay != b:
        driver.reputation.QuarantineNode(
            mesh_pb2.QuarantineNodeRequest(node=relay, reason="simulated misbehaviour"), metadata=driver.md, timeout=10
        )
    result["quarantined"] = relay
    result["violations"] = driver.check_routes()
    regions = sorted(set(driver.sim.region.values()))
    driver.partition(regions[0], regions[1])
    time.sleep(3.5 * driver.interval_s + 1.0)  # links unreported for 3.5 intervals go down
    status = driver.mesh.GetNetworkStatus(mesh_pb2.GetNetworkStatusRequest(), metadata=driver.md, timeout=30)
    result["components_during_partition"] = status.components
    result["violations"] += driver.check_routes()
    driver.heal()
    result["heartbeat_errors"] = driver.errors[:5]
    result["ok"] = bool(
        detected is not None
        and detected <= bound
        and result["stored_route_avoids_victim"]
        and not result["violations"]
        and not driver.errors
    )
    return result


def main(argv: list[str]) -> int:
    """Run the scenario against a fresh daemon (embedded PostgreSQL); exit 1 when a check fails."""
    import tempfile

    from bench.common import start_daemon, stop_daemon

    n = 200 if "--quick" in argv else 1000
    with tempfile.TemporaryDirectory(prefix="almesh") as tmp:
        process, address, token = start_daemon(tmp)
        try:
            result = scenario(address, token, n)
        finally:
            stop_daemon(process)
    print(result)
    return 0 if result["ok"] else 1
