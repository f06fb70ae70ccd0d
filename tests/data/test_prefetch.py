"""The background-thread prefetcher."""

from __future__ import annotations

import gc
import itertools
import subprocess
import sys
import threading
import time

import pytest

from mgdsl.data.prefetch import Prefetcher


def prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "mgdsl-prefetch"]


def wait_for_no_threads(before: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(prefetch_threads()) <= before:
            return True
        time.sleep(0.02)
    return False


def test_items_come_in_order_then_stop():
    out = Prefetcher(range(50), depth=3)
    assert list(out) == list(range(50))
    with pytest.raises(StopIteration):
        next(out)


def test_runs_ahead_of_the_consumer():
    produced = []

    def source():
        for i in range(10):
            produced.append(i)
            yield i

    out = Prefetcher(source(), depth=4)
    assert next(out) == 0
    deadline = time.monotonic() + 5
    while len(produced) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(produced) >= 5  # 1 consumed + 4 queued
    out.close()


def test_producer_errors_reach_the_consumer():
    def source():
        yield 1
        raise RuntimeError("boom")

    out = Prefetcher(source())
    assert next(out) == 1
    with pytest.raises(RuntimeError, match="boom"):
        next(out)
    with pytest.raises(StopIteration):
        next(out)


def test_close_stops_an_infinite_producer():
    before = len(prefetch_threads())
    out = Prefetcher(itertools.count(), depth=2)
    assert next(out) == 0
    out.close()
    assert wait_for_no_threads(before)


def test_dropping_the_prefetcher_stops_its_thread():
    before = len(prefetch_threads())
    out = Prefetcher(itertools.count(), depth=2)
    next(out)
    del out
    gc.collect()
    assert wait_for_no_threads(before)


def test_depth_must_be_positive():
    with pytest.raises(ValueError):
        Prefetcher(range(3), depth=0)


EXIT_MID_BATCH = """
import torch
from mgdsl.data.prefetch import Prefetcher

def slow():
    a = torch.randn(1500, 1500)
    while True:
        for _ in range(6):
            a = torch.tanh(a @ a / 1500)
        yield a.sum()

print(float(next(Prefetcher(slow(), depth=1))))
"""


@pytest.mark.torch
def test_exiting_while_the_producer_is_inside_torch_does_not_abort():
    # A daemon thread still inside a torch operator when the interpreter shuts down used to
    # abort the process (exit 134, "terminate called without an active exception").
    done = subprocess.run([sys.executable, "-c", EXIT_MID_BATCH], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "terminate called" not in done.stderr
