"""Run a batch iterator in a background thread so data generation overlaps training."""

from __future__ import annotations

import atexit
import queue
import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

__all__ = ["Prefetcher"]

T = TypeVar("T")
_ITEM, _END, _ERROR = "item", "end", "error"
_LIVE_THREADS: weakref.WeakKeyDictionary[threading.Thread, threading.Event] = \
    weakref.WeakKeyDictionary()


class Prefetcher(Generic[T]):
    """Iterate over `iterable` in a daemon thread, keeping up to `depth` items ready.

    Items come out in order; an exception raised by the producer is re-raised by `next`.
    `close()` stops the producer after its current item; so does dropping the last
    reference to the prefetcher (the thread holds no reference to it), so an infinite
    generator left half-consumed does not leak a busy thread.
    """

    def __init__(self, iterable: Iterable[T], depth: int = 2) -> None:
        if depth < 1:
            raise ValueError(f"prefetch depth must be at least 1, not {depth}")
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._finished = False
        self._thread = threading.Thread(
            target=_produce, args=(iter(iterable), self._queue, self._stop),
            daemon=True, name="mgdsl-prefetch",
        )
        self._thread.start()
        _LIVE_THREADS[self._thread] = self._stop

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        kind, value = self._queue.get()
        if kind == _ITEM:
            return value
        self._finished = True
        self._thread.join()
        if kind == _ERROR:
            raise value
        raise StopIteration

    def close(self) -> None:
        """Stop the producer thread and drop any prefetched items."""
        self._finished = True
        self._stop.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join(timeout=10.0)

    def __del__(self) -> None:
        stop = getattr(self, "_stop", None)
        if stop is not None:
            stop.set()


@atexit.register
def _stop_at_exit() -> None:
    """Stop producers still running when the interpreter exits, and let each finish its
    current item: a daemon thread frozen inside a torch operator at shutdown aborts the
    process ("terminate called without an active exception"), e.g. after a script takes
    one batch of a test set and ends."""
    threads = list(_LIVE_THREADS.items())
    for _, stop in threads:
        stop.set()
    for thread, _ in threads:
        thread.join(timeout=30.0)


def _produce(iterator: Iterator, out: queue.Queue, stop: threading.Event) -> None:
    """The thread body: move items from `iterator` to `out` until done or `stop` is set."""
    try:
        for item in iterator:
            if not _put(out, stop, (_ITEM, item)):
                return
        _put(out, stop, (_END, None))
    except BaseException as exc:  # handed to the consumer, which re-raises it
        _put(out, stop, (_ERROR, exc))
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def _put(out: queue.Queue, stop: threading.Event, message: tuple[str, object]) -> bool:
    while not stop.is_set():
        try:
            out.put(message, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False
