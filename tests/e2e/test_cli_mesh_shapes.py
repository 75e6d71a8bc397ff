"""`auralink mesh` and `auralink reputation` against a real auralinkd on a five-node mesh built through the
CLI itself: what each option does to the daemon's answer, the pinned JSON shapes and the readable tables.
Parsing of --link and --weights text is tested on its own (no daemon needed)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from auralink_cli.commands.mesh import parse_link, parse_weights
from auralink_cli.exit_codes import USAGE, CliError
from tests.support import Daemon, EmbeddedServer, daemon_on_new_database

# a -b- d is 10 + 10 ms; a -c- d is 16 + 16 ms; e hangs off d.
LINKS = {"a": ["b:10:5000:0", "c:16:800:0"], "b": ["a:10:5000:0", "d:10:400:0"], "c": ["a:16:800:0", "d:16:800:0"]}
LINKS |= {"d": ["b:10:400:0", "c:16:800:0", "e:5:5000:0"], "e": ["d:5:5000:0"]}
PATH_KEYS = {"nodes", "names", "hops", "cost", "latency_ms", "bottleneck_bandwidth_kbps"}
HOP_KEYS = {"from_node", "to_node", "to_name", "latency_ms", "bandwidth_kbps", "loss_pct", "etx", "cost", "relay_trust"}
NODE_KEYS = {
    "id", "name", "address", "region", "node_type", "state", "capabilities", "capacity", "current_load",
    "public_key", "anchor", "quarantined", "quarantine_reason", "quarantine_expire_time", "heartbeat_interval",
    "last_heartbeat_time", "state_change_time", "create_time", "trust", "trust_band", "link_count",
}  # fmt: skip
# Long heartbeat intervals: however slow a loaded machine makes the module, no node misses a heartbeat and
# turns SUSPECT under the tests (the failure detector has tests of its own).
INTERVAL, IDLE_INTERVAL = "300", "240"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def ok(daemon: Daemon, *args: str) -> Any:
    done = daemon.cli("-o", "json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def mesh(pg16_server: EmbeddedServer) -> Iterator[Daemon]:
    with daemon_on_new_database(pg16_server.dsn) as daemon:
        for name in "abcde":
            kind = ["--type", "relay" if name in "bc" else "peer", *(["--anchor"] if name == "a" else [])]
            ok(daemon, "mesh", "nodes", "register", name, "--address", f"{name}:7000", "--region", "eu", *kind,
               "--capacity", "100", "--interval", INTERVAL)  # fmt: skip
        ok(daemon, "mesh", "nodes", "register", "idle", "--address", "idle:7000", "--type", "relay",
           "--interval", IDLE_INTERVAL)  # fmt: skip
        for name, links in LINKS.items():
            ok(daemon, "mesh", "heartbeat", name, "--load", "7", *[x for link in links for x in ("--link", link)])
        deadline = time.monotonic() + 30  # heartbeats are written by a background flush
        while len(ok(daemon, "mesh", "route", "a", "e")["paths"]) == 0:
            assert time.monotonic() < deadline, "the heartbeats' links never reached the route graph"
            time.sleep(0.1)
        yield daemon


def test_link_and_weights_parsing_refuse_bad_text_with_usage_errors() -> None:
    link = parse_link("b:12.5:1000:0.5:3")
    assert (link.neighbor, link.rtt_ms, link.bandwidth_kbps, link.loss_pct, link.cost) == ("b", 12.5, 1000, 0.5, 3)
    assert not parse_link("b:1:2:3").HasField("cost")
    assert parse_weights("latency=2,cost=0.5") == {"latency": 2.0, "cost": 0.5}
    for bad in ("b:1:2", "b:x:2:3"):
        with pytest.raises(CliError) as raised:
            parse_link(bad)
        assert raised.value.exit_code == USAGE
    for bad in ("speed=1", "latency=fast"):
        with pytest.raises(CliError) as raised:
            parse_weights(bad)
        assert raised.value.exit_code == USAGE


def test_route_applies_constraints_and_weights_over_the_defaults_and_pins_the_json(mesh: Daemon) -> None:
    default = ok(mesh, "mesh", "route", "a", "e", "--k", "3")
    assert default["paths"][0]["names"] == ["a", "b", "d", "e"] and default["route_id"] == ""  # not stored
    assert len(default["paths"]) == 2 and default["reason"]  # a -b- d and a -c- d: fewer than k
    data = ok(mesh, "mesh", "route", "a", "e", "--k", "3", "--max-hops", "4", "--min-bandwidth", "500",
              "--exclude", "idle", "--exclude", "b", "--weights", "latency=2,cost=1")  # fmt: skip
    assert set(data) == {"paths", "reason", "route_id"} and data["route_id"] == ""
    assert data["reason"] == "only 1 loop-free path(s) satisfy the constraints"
    (path,) = data["paths"]
    assert set(path) == PATH_KEYS and all(set(hop) == HOP_KEYS for hop in path["hops"])
    assert path["names"] == ["a", "c", "d", "e"] and len(path["nodes"]) == 4
    assert path["bottleneck_bandwidth_kbps"] == 800.0 and all(h["bandwidth_kbps"] >= 500 for h in path["hops"])
    first = path["hops"][0]
    assert (first["from_node"], first["to_node"], first["to_name"]) == (*path["nodes"][:2], "c")
    assert (first["latency_ms"], first["loss_pct"], first["etx"], first["cost"]) == (8.0, 0.0, 1.0, 0.0)
    assert path["latency_ms"] == pytest.approx(sum(h["latency_ms"] for h in path["hops"]))
    # --min-bandwidth alone routes around b -d (400 kbit/s); --max-hops 2 leaves no path; untrusted relays
    # are refused under --min-trust.
    assert ok(mesh, "mesh", "route", "a", "e", "--min-bandwidth", "500")["paths"][0]["names"] == ["a", "c", "d", "e"]
    assert ok(mesh, "mesh", "route", "a", "e", "--max-hops", "2")["paths"] == []
    assert ok(mesh, "mesh", "route", "a", "e", "--min-trust", "0.2")["paths"] == []
    # --weights fills the keys it lacks with the server's defaults: latency=1 is the default weighting.
    plain = ok(mesh, "mesh", "route", "a", "e", "--exclude", "b")["paths"][0]["cost"]
    assert ok(mesh, "mesh", "route", "a", "e", "--exclude", "b", "--weights", "latency=1")["paths"][0]["cost"] == plain
    assert ok(mesh, "mesh", "route", "a", "e", "--exclude", "b", "--weights", "latency=2")["paths"][0]["cost"] > plain

    text = mesh.cli("mesh", "route", "a", "e", "--k", "3", "--exclude", "b")
    assert text.returncode == 0, text.stderr
    assert "primary: a -> c -> d -> e  (3 hops, 18.5 ms" in text.stdout and "only 1 loop-free" in text.stdout


def test_nodes_list_filters_and_pins_the_json_shape_and_table(mesh: Daemon) -> None:
    every = ok(mesh, "mesh", "nodes", "list")["nodes"]
    assert {n["name"] for n in every} >= {"a", "b", "c", "d", "e", "idle"}
    assert ok(mesh, "mesh", "nodes", "list", "--state", "suspect")["nodes"] == []
    nodes = ok(mesh, "mesh", "nodes", "list", "--state", "alive", "--region", "eu")["nodes"]
    assert sorted(n["name"] for n in nodes) == ["a", "b", "c", "d", "e"]  # idle has no region
    node = next(n for n in every if n["name"] == "b")
    assert set(node) == NODE_KEYS
    assert (node["state"], node["node_type"], node["capacity"], node["current_load"]) == ("ALIVE", "RELAY", 100, 7)
    assert node["heartbeat_interval"] == float(INTERVAL) and ISO_UTC.match(node["last_heartbeat_time"])
    idle = next(n for n in every if n["name"] == "idle")
    assert idle["heartbeat_interval"] == float(IDLE_INTERVAL) and idle["last_heartbeat_time"] is None
    assert next(n for n in every if n["name"] == "a")["anchor"]
    text = mesh.cli("mesh", "nodes", "list")
    assert text.returncode == 0, text.stderr
    row = next(line for line in text.stdout.splitlines() if line.startswith("b "))
    assert "7/100" in row and f"{node['trust']:.2f} {node['trust_band']}" in row
    refused = mesh.cli("mesh", "nodes", "list", "--state", "dead")
    assert refused.returncode == USAGE and "--state" in refused.stderr


def test_heartbeat_builds_links_and_pins_the_json(mesh: Daemon) -> None:
    ok(mesh, "mesh", "nodes", "register", "f", "--address", "f:7000", "--interval", INTERVAL)
    assert ok(mesh, "mesh", "heartbeat", "f", "--load", "3", "--link", "e:10:5000:1") == {
        "state": "ALIVE",
        "sequence": 0,
        "interval": float(INTERVAL),
    }
    deadline = time.monotonic() + 30  # written by the background flush
    while not (route := ok(mesh, "mesh", "route", "f", "e")["paths"]):
        assert time.monotonic() < deadline, "the heartbeat's link never reached the route graph"
        time.sleep(0.1)
    (hop,) = route[0]["hops"]
    assert (hop["to_name"], hop["latency_ms"], hop["bandwidth_kbps"], hop["loss_pct"]) == ("e", 5.0, 5000.0, 1.0)
    node = next(n for n in ok(mesh, "mesh", "nodes", "list")["nodes"] if n["name"] == "f")
    assert node["current_load"] == 3 and node["link_count"] == 1


def test_reputation_report_and_explain_pin_the_json_and_the_table(mesh: Daemon) -> None:
    for _ in range(2):
        ok(mesh, "reputation", "report", "c", "relay-success", "--reporter", "a")
    reported = ok(mesh, "reputation", "report", "c", "misbehavior", "--reporter", "a", "--evidence", '{"dropped": 3}')
    assert reported["event_id"] and reported["reputation"]["name"] == "c"
    data = ok(mesh, "reputation", "explain", "c", "--limit", "2")
    assert set(data) == {"reputation", "contributions", "summary"} and len(data["contributions"]) == 2
    latest = data["contributions"][0]
    assert set(latest) == {"event_id", "kind", "reporter", "reporter_name", "reporter_trust", "decayed_weight",
                           "impact", "time", "evidence"}  # fmt: skip
    assert (latest["event_id"], latest["kind"], latest["reporter_name"]) == (reported["event_id"], "MISBEHAVIOR", "a")
    assert latest["evidence"] == {"dropped": 3.0} and ISO_UTC.match(latest["time"])
    assert latest["decayed_weight"] == pytest.approx(-5.0, abs=1e-3) and latest["impact"] < 0
    assert data["reputation"]["band"] == "UNTRUSTED" and data["summary"]
    assert len(ok(mesh, "reputation", "explain", "c")["contributions"]) == 3
    text = mesh.cli("reputation", "explain", "c")
    assert text.returncode == 0, text.stderr
    assert data["summary"][0] in text.stdout and "MISBEHAVIOR" in text.stdout and "-5.000" in text.stdout

    bad_json = mesh.cli("reputation", "report", "c", "misbehavior", "--evidence", "[1")
    assert bad_json.returncode == USAGE and "--evidence" in bad_json.stderr
    assert mesh.cli("reputation", "report", "c", "lying").returncode == USAGE
    assert len(ok(mesh, "reputation", "explain", "c")["contributions"]) == 3  # neither refusal reached the daemon
    anchor = next(n for n in ok(mesh, "mesh", "nodes", "list")["nodes"] if n["name"] == "a")
    assert (anchor["trust"], anchor["trust_band"]) == (1.0, "HIGH")  # the pre-trusted set, once trust is computed
    row = next(line for line in mesh.cli("mesh", "nodes", "list").stdout.splitlines() if line.startswith("a "))
    assert "1.00 HIGH" in row
