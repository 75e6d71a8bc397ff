"""A container health probe: one grpc.health.v1 Check, exit 0 when SERVING, 1 otherwise.

Cheaper than `auralink status` every 10 s (it imports only grpc and the health stubs, no CLI, no daemon
modules). The target is $AURALINK_HEALTH_ADDRESS (plaintext health port), else the unix socket in
$AURALINK_DATA_DIR. A DEGRADED daemon still answers SERVING to the health service, so it stays healthy.
Usage: python -m auralinkd.tools.healthcheck [--timeout SECONDS]
"""

from __future__ import annotations

import os
import sys


def target() -> str:
    address = os.environ.get("AURALINK_HEALTH_ADDRESS", "")
    if address:
        host, _, port = address.rpartition(":")
        return f"{'127.0.0.1' if host in ('', '0.0.0.0', '[::]') else host}:{port}"
    data_dir = os.environ.get("AURALINK_DATA_DIR") or os.path.expanduser("~/.local/share/auralink")
    return f"unix://{os.path.join(data_dir, 'auralinkd.sock')}"


def main(argv: list[str] | None = None) -> int:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    args = sys.argv[1:] if argv is None else argv
    timeout = float(args[args.index("--timeout") + 1]) if "--timeout" in args else 3.0
    try:
        with grpc.insecure_channel(target()) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout)
    except grpc.RpcError as exc:
        print(f"unhealthy: {exc.code().name}", file=sys.stderr)
        return 1
    serving = reply.status == health_pb2.HealthCheckResponse.SERVING
    if not serving:
        print(f"unhealthy: {health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}", file=sys.stderr)
    return 0 if serving else 1


if __name__ == "__main__":
    sys.exit(main())
