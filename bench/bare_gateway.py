"""A bare grpc.aio `AIProviderService/Complete`: one httpx.AsyncClient POST to an OpenAI-wire server and the
reply's text, nothing else (no authentication, validation, database, budgets or litellm).

bench/llm_gateway.py starts it in its own process, on a unix socket like the daemon's, as the floor of any
gRPC service that makes the same HTTP call: the daemon's Complete minus this is what AuraLink itself adds.
Run: `python -m bench.bare_gateway BASE_URL SOCKET_PATH`; it prints "ready" once it serves.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import grpc
import httpx

from auralink.v1 import providers_pb2 as pb
from auralink.v1 import providers_pb2_grpc as pb_grpc


class BareGateway(pb_grpc.AIProviderServiceServicer):
    def __init__(self, base_url: str) -> None:
        self._client = httpx.AsyncClient(base_url=base_url)

    async def Complete(self, request: pb.CompleteRequest, context: Any) -> pb.CompleteResponse:  # noqa: N802
        token = dict(context.invocation_metadata()).get("x-provider-key", "sk-bench-0000")
        body = {
            "model": request.models[0].split("/", 1)[-1],
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": request.max_tokens,
        }
        response = await self._client.post("/chat/completions", json=body, headers={"Authorization": f"Bearer {token}"})
        response.raise_for_status()
        choice = response.json()["choices"][0]
        return pb.CompleteResponse(
            text=choice["message"]["content"], model=request.models[0], finish_reason=choice["finish_reason"]
        )


async def serve(base_url: str, socket_path: str) -> None:
    server = grpc.aio.server()
    pb_grpc.add_AIProviderServiceServicer_to_server(BareGateway(base_url), server)
    server.add_insecure_port(f"unix://{socket_path}")
    await server.start()
    print("ready", flush=True)
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
