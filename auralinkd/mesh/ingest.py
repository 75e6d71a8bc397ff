"""Heartbeat ingest: one node's heartbeats, or a gateway's for many nodes, validated and applied in memory.

A heartbeat never writes synchronously: it feeds the node's failure detector, its load, and its links'
estimates and Vivaldi coordinates in the graph; the flusher writes them in the background.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from auralinkd.access.principal import Caller
from auralinkd.errors import AuralinkError, InvalidArgument, PermissionDenied
from auralinkd.mesh.detector import NodeState
from auralinkd.mesh.failures import FailureDetection
from auralinkd.mesh.flush import Flusher
from auralinkd.mesh.graph import NodeInfo
from auralinkd.mesh.registry import MAX_LOAD, NodeRegistry
from auralinkd.mesh.vivaldi import MAX_RTT_MS, MIN_RTT_MS, update_batch

MAX_LINKS = 256


@dataclass(slots=True)
class LinkReport:
    neighbor: str
    rtt_ms: float
    bandwidth_kbps: float
    loss_pct: float
    cost: float | None = None


@dataclass(slots=True)
class BeatResult:
    """One heartbeat of a batch: the node's state and interval, or why it was refused (nothing applied)."""

    state: NodeState | None = None
    interval_s: float = 0.0
    error: AuralinkError | None = None


# One heartbeat: (node id or name, load, links).
Beat = tuple[str, int, Sequence[LinkReport]]


class HeartbeatIngest:
    def __init__(self, registry: NodeRegistry, failures: FailureDetection, flusher: Flusher) -> None:
        self._registry = registry
        self._failures = failures
        self._flusher = flusher
        self._rng = np.random.default_rng(0)
        self.heartbeats = 0  # accepted since start

    def heartbeat(self, caller: Caller, ref: str, load: int, links: Sequence[LinkReport]) -> tuple[NodeState, float]:
        """One heartbeat: validated completely first (a refusal changes nothing), then applied in memory."""
        result = self.heartbeat_batch(caller, [(ref, load, links)])[0]
        if result.error is not None:
            raise result.error
        assert result.state is not None
        return result.state, result.interval_s

    def heartbeat_batch(self, caller: Caller, beats: Sequence[Beat]) -> list[BeatResult]:
        """Many heartbeats (one node's, or a gateway's for many nodes): each is validated on its own and
        refused on its own (its BeatResult carries the error, and nothing of it is applied); the accepted
        ones are applied together, their links in one vectorised update of the graph."""
        org = str(caller.principal.org_id)
        own = caller.principal.node_id
        results = [BeatResult() for _ in beats]
        staged: list[tuple[int, NodeInfo, list[NodeInfo], int]] = []
        rtt: list[float] = []
        bandwidth: list[float] = []
        loss: list[float] = []
        cost: list[float] = []
        for i, (ref, load, links) in enumerate(beats):
            try:
                info, targets = self._check(org, own, ref, load, links)
            except AuralinkError as exc:
                results[i].error = exc
                continue
            staged.append((i, info, targets, len(rtt)))
            for link in links:
                rtt.append(link.rtt_ms)
                bandwidth.append(link.bandwidth_kbps)
                loss.append(link.loss_pct)
                cost.append(math.nan if link.cost is None else link.cost)
        if not staged:
            return results
        r, bw, lo, co = (np.array(v, dtype=float) for v in (rtt, bandwidth, loss, cost))
        bad = _bad_metrics(r, bw, lo, co)
        graph = self._registry.graphs[org]
        now = self._registry.clock()
        slots: list[int] = []
        keep: list[np.ndarray] = []
        for i, info, targets, start in staged:
            end = start + len(targets)
            if bad[start:end].any():
                results[i].error = _metric_error(beats[i][2], int(np.argmax(bad[start:end])))
                continue
            info.detector.heartbeat(now)
            info.load = beats[i][1]
            self.heartbeats += 1
            self._flusher.touched.add(info.id)
            if info.state is not NodeState.ALIVE:
                self._failures.transition(info, NodeState.ALIVE)
            results[i].state, results[i].interval_s = info.state, info.interval_s
            slots.extend(graph.link_slot(info, target, now) for target in targets)
            keep.append(np.arange(start, end))
        if slots:
            chosen = np.concatenate(keep)
            s = np.array(slots, dtype=np.int64)
            graph.observe(s, r[chosen], bw[chosen], lo[chosen], co[chosen], now)
            train = ~graph.held[s]  # held-out links measure the prediction error
            update_batch(
                graph.position, graph.height, graph.error, graph.placed,
                graph._src[s][train], graph._dst[s][train], r[chosen][train], self._rng,
            )  # fmt: skip
        return results

    def _check(
        self, org: str, own: str | None, ref: str, load: int, links: Sequence[LinkReport]
    ) -> tuple[NodeInfo, list[NodeInfo]]:
        """Everything about one heartbeat but its metrics (checked for the whole batch at once)."""
        info = self._registry.resolve(org, ref)
        if own is not None and own != info.id:
            raise PermissionDenied("a node credential may only send heartbeats as its own node")
        if not 0 <= load <= MAX_LOAD:
            raise InvalidArgument.for_field("load", f"must be between 0 and {MAX_LOAD}, got {load}")
        if len(links) > MAX_LINKS:
            raise InvalidArgument.for_field("links", f"at most {MAX_LINKS} links per heartbeat")
        nodes = self._registry.graphs[org].nodes
        targets = []
        for i, link in enumerate(links):
            target = nodes.get(link.neighbor)
            if target is None:
                target = self._registry.resolve(org, link.neighbor, f"links[{i}].neighbor")
            if target is info:
                raise InvalidArgument.for_field(f"links[{i}].neighbor", "a node is not its own neighbour")
            targets.append(target)
        return info, targets


# Bounds of what a heartbeat may report per link (beyond them a value is an error, not a measurement):
# rtt 0 (not measured) or MIN_RTT_MS..MAX_RTT_MS, bandwidth up to 1 Tbit/s, loss 0..100 %, cost up to 1e9.
MAX_BANDWIDTH_KBPS = 1e9
MAX_LINK_COST = 1e9


def _rtt_ok(rtt: float) -> bool:
    return rtt == 0 or MIN_RTT_MS <= rtt <= MAX_RTT_MS


def _bad_metrics(rtt: np.ndarray, bandwidth: np.ndarray, loss: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Per link: any metric NaN, infinite or outside its bounds."""
    with np.errstate(invalid="ignore"):
        bad = ~((rtt == 0) | ((rtt >= MIN_RTT_MS) & (rtt <= MAX_RTT_MS)))
        bad |= ~((bandwidth >= 0) & (bandwidth <= MAX_BANDWIDTH_KBPS))
        bad |= ~((loss >= 0) & (loss <= 100))
        bad |= ~np.isnan(cost) & ~((cost >= 0) & (cost <= MAX_LINK_COST))
    return bad


def _metric_error(links: Sequence[LinkReport], i: int) -> InvalidArgument:
    link = links[i]
    if not _rtt_ok(link.rtt_ms):
        return InvalidArgument.for_field(
            f"links[{i}].rtt_ms", f"must be 0 (not measured) or {MIN_RTT_MS:g} to {MAX_RTT_MS:g} ms, got {link.rtt_ms}"
        )
    if not 0 <= link.bandwidth_kbps <= MAX_BANDWIDTH_KBPS:
        return InvalidArgument.for_field(
            f"links[{i}].bandwidth_kbps", f"must be 0 to {MAX_BANDWIDTH_KBPS:g}, got {link.bandwidth_kbps}"
        )
    if not 0 <= link.loss_pct <= 100:
        return InvalidArgument.for_field(f"links[{i}].loss_pct", f"must be 0 to 100, got {link.loss_pct}")
    return InvalidArgument.for_field(f"links[{i}].cost", f"must be 0 to {MAX_LINK_COST:g}, got {link.cost}")
