"""The `Task` interface the training loop uses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mgdsl.data.errors import DataError
from mgdsl.data.tasks import TASKS, Task, make_task

pytestmark = pytest.mark.torch  # imports torch


class IndexSource:
    """A fake `BatchSource` whose batches reveal the drawn indices and augmentation keys."""

    def __init__(self, train_size: int = 1000, test_size: int = 7) -> None:
        self.train_size, self.test_size = train_size, test_size

    def draw_train(self, rng, count):
        return rng.integers(0, self.train_size, count)

    def train_batch(self, indices, keys):
        return torch.as_tensor(indices), torch.tensor(keys)

    def test_batch(self, indices):
        return torch.as_tensor(indices), torch.as_tensor(indices) % 3


def index_task(prefetch: int = 0) -> Task:
    return Task("fake", "classification", (1, 2, 2), 3, 1000, 7, IndexSource(), prefetch)


def take(iterator, n):
    return [next(iterator) for _ in range(n)]


def test_task_names():
    assert TASKS == ("mnist-seg", "mnist-spt", "cifar100", "imagenet")


def test_unknown_task_suggests_a_name():
    with pytest.raises(DataError) as info:
        make_task("mnist-seq")
    assert info.value.code == "E702" and "mnist-seg" in info.value.hint
    with pytest.raises(DataError) as info:
        make_task("svhn")
    assert "cifar100" in info.value.hint


@pytest.mark.parametrize("name", ["cifar100", "imagenet"])
def test_disk_tasks_need_a_data_dir(name):
    with pytest.raises(DataError) as info:
        make_task(name)
    assert info.value.code == "E703" and "data_dir" in info.value.hint


def test_mnist_task_metadata():
    seg = make_task("mnist-seg")
    assert (seg.kind, seg.input_shape, seg.num_outputs) == ("segmentation", (1, 64, 64), 10)
    assert (seg.train_size, seg.test_size) == (10_000, 1_000)
    spt = make_task("mnist-spt", train_size=500, test_size=20)
    assert (spt.num_outputs, spt.train_size, spt.test_size) == (1, 500, 20)
    with pytest.raises(DataError):
        make_task("mnist-spt", train_size=0)


def test_same_seed_same_batches_and_resume():
    task = index_task()
    first = take(task.train_batches(4, seed=7), 5)
    again = take(task.train_batches(4, seed=7), 5)
    resumed = take(task.train_batches(4, seed=7, start_step=3), 2)
    for (a, _), (b, _) in zip(first, again, strict=True):
        assert torch.equal(a, b)
    assert torch.equal(resumed[0][0], first[3][0]) and torch.equal(resumed[1][0], first[4][0])
    other = take(task.train_batches(4, seed=8), 1)
    assert not torch.equal(other[0][0], first[0][0])
    assert not torch.equal(first[0][0], first[1][0])


def test_ranks_take_disjoint_shards_of_one_stream():
    task = index_task()
    shards = [next(task.train_batches(3, seed=1, rank=r, world_size=2, start_step=5)) for r in (0, 1)]
    keys = torch.cat([k for _, k in shards])
    assert keys[:, 2].tolist() == [0, 1, 2, 3, 4, 5]  # stream positions, no overlap
    assert (keys[:, :2] == torch.tensor([1, 5])).all()  # (seed, step)
    rng = np.random.default_rng([1, 5])
    expected = rng.integers(0, 1000, 6)
    assert torch.cat([i for i, _ in shards]).tolist() == expected.tolist()


def test_batch_sizes_and_argument_checks():
    task = index_task()
    with pytest.raises(ValueError):
        task.train_batches(4, seed=0, rank=2, world_size=2)
    with pytest.raises(ValueError):
        task.train_batches(0, seed=0)
    with pytest.raises(ValueError):
        task.test_batches(0)


def test_test_batches_in_order_with_limit():
    task = index_task()
    assert [b.tolist() for b, _ in task.test_batches(3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b, _ in task.test_batches(2, limit=3)] == [[0, 1], [2]]
    assert list(task.test_batches(2, limit=0)) == []


def test_prefetching_gives_the_same_batches():
    plain = take(index_task(prefetch=0).train_batches(5, seed=3), 4)
    ahead = take(index_task(prefetch=3).train_batches(5, seed=3), 4)
    for (a, ka), (b, kb) in zip(plain, ahead, strict=True):
        assert torch.equal(a, b) and torch.equal(ka, kb)


@pytest.mark.slow  # spawns two processes that import torch
def test_worker_processes_give_the_same_batches_and_resume():
    # synthetic MNIST made in two spawned processes: the same batches as in this process,
    # and a stream started at step 3 (a resumed run) continues it exactly
    task = make_task("mnist-seg", train_size=50, test_size=5)
    task.prefetch = 0
    here = take(task.train_batches(3, seed=2, rank=1, world_size=2), 5)
    task.workers = 2
    with task.train_batches(3, seed=2, rank=1, world_size=2) as stream:
        there = take(stream, 5)
    with task.train_batches(3, seed=2, rank=1, world_size=2, start_step=3) as stream:
        later = take(stream, 2)
    for (a, ya), (b, yb) in zip(here, there, strict=True):
        assert torch.equal(a, b) and torch.equal(ya, yb)
    for (a, ya), (b, yb) in zip(here[3:], later, strict=True):
        assert torch.equal(a, b) and torch.equal(ya, yb)
    stream.close()  # closing twice is harmless
    with pytest.raises(StopIteration):
        next(stream)


@pytest.mark.parametrize("name", ["mnist-seg", "mnist-spt"])
def test_mnist_batches_match_the_datasets(name):
    task = make_task(name, train_size=100, test_size=5)
    x, y = next(task.train_batches(6, seed=0))
    assert x.shape == (6, 1, 64, 64) and y.shape == (6, task.num_outputs, 64, 64)
    indices = np.random.default_rng([0, 0]).integers(0, 100, 6)
    ex, ey = task.source.train.batch(indices)
    assert torch.equal(x, ex) and torch.equal(y, ey)
    tests = list(task.test_batches(2))
    assert [len(b[0]) for b in tests] == [2, 2, 1]
    tx, ty = task.source.test.batch(range(5))
    assert torch.equal(torch.cat([b[0] for b in tests]), tx)
    assert torch.equal(torch.cat([b[1] for b in tests]), ty)
