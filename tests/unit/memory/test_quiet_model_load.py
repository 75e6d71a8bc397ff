"""Loading the local embedding model writes no progress bar: the daemon's log is for log lines."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support import ROOT

LOAD = "from auralinkd.memory.embeddings import LocalMiniLM; LocalMiniLM().load(); print('loaded')"


def test_the_embedding_model_loads_without_a_tqdm_bar() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TQDM_DISABLE", "HF_HUB_DISABLE_PROGRESS_BARS")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-c", LOAD], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded"
    assert "Loading weights" not in result.stderr and "it/s]" not in result.stderr, result.stderr[-2000:]
