"""JSON data-channel messages like the WebRTC server sends: chat, presence, cursor moves, telemetry."""

from __future__ import annotations

import json
import random


def messages(n: int = 500, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    users = [f"user-{i:03d}" for i in range(20)]
    out = []
    for i in range(n):
        kind = rng.choice(("chat", "cursor", "presence", "telemetry"))
        msg: dict[str, object] = {"type": kind, "seq": i, "from": rng.choice(users), "room": "room-7"}
        if kind == "chat":
            msg["text"] = " ".join(
                rng.choice(
                    ("hello", "the", "stream", "looks", "fine", "can", "you", "hear", "me", "now", "again", "please")
                )
                for _ in range(rng.randint(3, 30))
            )
        elif kind == "cursor":
            msg.update(x=rng.randint(0, 1920), y=rng.randint(0, 1080), buttons=rng.randint(0, 3))
        elif kind == "presence":
            msg.update(
                status=rng.choice(("online", "away", "busy")), devices=["mic", "camera", "screen"][: rng.randint(1, 3)]
            )
        else:
            msg["stats"] = {k: round(rng.random() * 100, 3) for k in ("rtt_ms", "loss_pct", "jitter_ms", "kbps", "fps")}
        out.append(json.dumps(msg, separators=(",", ":")).encode())
    return out
