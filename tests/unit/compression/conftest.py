from __future__ import annotations

import numpy as np
import pytest

from auralinkd.compression import CalibrationTable, CompressionService
from bench.corpus import speech


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(clock: FakeClock) -> CompressionService:
    return CompressionService(CalibrationTable.load(), idle_timeout_s=60, clock=clock)


@pytest.fixture(scope="session")
def speech16k() -> np.ndarray:
    """About 4 s of real speech (espeak-ng) or, without it, a synthetic voiced signal."""
    return speech.corpus(16000, speech.HELD_OUT_VOICES[:1], sentences=1)
