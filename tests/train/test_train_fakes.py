"""The fake training tasks keep the `Task` contract the resume tests rely on: a batch
depends only on its stream position, and the test set is fixed (they lived at the bottom
of tests/support/train_fakes.py, where the suite never collected them)."""

from __future__ import annotations

import pytest
import torch
from train_fakes import FakeClsTask, FakeSegTask

pytestmark = pytest.mark.torch


def test_stream_depends_only_on_position():
    task = FakeSegTask()
    a = task.train_batches(4, seed=1)
    batches = [next(a) for _ in range(5)]
    b = next(task.train_batches(4, seed=1, start_step=3))
    assert torch.equal(b[0], batches[3][0])
    other = next(task.train_batches(4, seed=1, rank=1, world_size=2, start_step=3))
    assert not torch.equal(other[0], batches[3][0])


def test_test_set_is_fixed_and_limited():
    task = FakeClsTask()
    first = torch.cat([x for x, _ in task.test_batches(16)])
    again = torch.cat([x for x, _ in task.test_batches(7)])
    assert first.shape[0] == 60 and torch.equal(first, again)
    assert sum(x.shape[0] for x, _ in task.test_batches(16, limit=20)) == 20
