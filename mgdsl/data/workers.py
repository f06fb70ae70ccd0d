"""Training batches made in worker processes, so data keeps up with a fast device.

A prefetch thread (`mgdsl.data.prefetch`) makes one batch at a time and shares the GIL with
the training loop; on a GPU that trains thousands of images per second that is too slow
(the synthetic MNIST generators make about 2,000 samples per second per core,
docs/benchmarks.md). `WorkerBatches` runs ``task.train_batch`` for steps ``s, s+1, ...`` in
a pool of processes, keeping `depth` steps in flight and yielding them in step order.

Nothing about the data changes: the batch of step ``s`` is still a pure function of
``(seed, rank, world_size, s)`` and every sample of its index (the task's contract), so a
run with workers sees exactly the batches a run without them sees, and resumes the same.
Workers are started with ``spawn`` (forking a process that holds torch's thread pools can
hang) and get the task once, at start-up.
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import signal
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import torch

__all__ = ["WorkerBatches"]

_TASK: Any = None
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _init(task: Any) -> None:
    global _TASK
    _TASK = task
    torch.set_num_threads(1)  # one core per worker; the pool is the parallelism
    # Ctrl-C and a job's SIGTERM reach the whole process group: the training process
    # decides when to stop (mgdsl.train.stopping) and then closes the pool; a worker that
    # died of the signal first would leave it waiting for a batch that never comes. The
    # signals were blocked since the spawn (`_stop_signals_blocked`): ignore them, then
    # unblock, which drops any that came while this process was starting.
    for signum in _STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


@contextlib.contextmanager
def _stop_signals_blocked() -> Iterator[None]:
    """Block SIGINT and SIGTERM in this thread while it spawns workers, which inherit the
    mask: a signal during their start-up waits, in them, for `_init` to ignore it (in this
    process another thread takes it, so it is not lost)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _make(batch_size: int, seed: int, step: int, rank: int, world_size: int):
    return _TASK.train_batch(batch_size, seed=seed, step=step, rank=rank, world_size=world_size)


class WorkerBatches:
    """An infinite iterator of ``task``'s training batches from `workers` processes.

    Same arguments and batches as ``task.train_batches`` (the task needs a picklable
    ``train_batch(batch_size, seed=, step=, rank=, world_size=)``); `depth` steps are
    in flight (default twice the workers). `close()` (or leaving a ``with`` block) stops
    the pool.
    """

    def __init__(self, task: Any, batch_size: int, *, seed: int, rank: int = 0,
                 world_size: int = 1, start_step: int = 0, workers: int = 2,
                 depth: int | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self._args = (batch_size, seed)
        self._where = (rank, world_size)
        self._next_step = start_step
        self._depth = depth or 2 * workers
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_init, initargs=(task,))
        self._pending: collections.deque[Future] = collections.deque()
        with _stop_signals_blocked():  # the first submissions start every worker
            self._fill()

    def _fill(self) -> None:
        while len(self._pending) < self._depth:
            batch_size, seed = self._args
            rank, world_size = self._where
            self._pending.append(self._pool.submit(_make, batch_size, seed, self._next_step,
                                                   rank, world_size))
            self._next_step += 1

    def __iter__(self) -> Iterator:
        return self

    def __next__(self):
        if self._pool is None:
            raise StopIteration
        batch = self._pending.popleft().result()
        self._fill()
        return batch

    def close(self) -> None:
        """Cancel what is queued and stop the worker processes."""
        if self._pool is not None:
            for future in self._pending:
                future.cancel()
            self._pending.clear()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> WorkerBatches:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
