"""Timing helpers shared by the benchmarks: interleaved rounds, medians, the machine's peak."""

from __future__ import annotations

import ctypes
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping

__all__ = ["interleave", "median", "peak_probe", "machine", "rss_mb", "peak_rss_mb"]


def median(values: list[float]) -> float:
    """The median of `values` (NaN when empty)."""
    return statistics.median(values) if values else float("nan")


def interleave(fns: Mapping[str, Callable[[], object]], rounds: int, warmup: int = 1,
               clock: Callable[[], float] = time.perf_counter) -> dict[str, list[float]]:
    """Call every function of `fns` once per round, in turn, for `warmup + rounds` rounds.

    Returns name -> the `rounds` timings after the warm-up rounds, so that every variant
    sees the same machine load; compare them by their medians. The order within a round
    rotates so that no variant always runs right after the same one.
    """
    names = list(fns)
    out: dict[str, list[float]] = {n: [] for n in names}
    for r in range(warmup + rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            t0 = clock()
            fns[name]()
            dt = clock() - t0
            if r >= warmup:
                out[name].append(dt)
    return out


def peak_probe(size: int = 2048) -> tuple[Callable[[], object], float]:
    """A large float32 matmul (the machine's ceiling for these nets): (function, FLOPs per call).

    MKL's sgemm at this size reaches the highest sustained float32 rate torch gets on this
    CPU; timing it in the same rounds as a training step gives the fraction of the peak that
    the step achieves under the same machine load.
    """
    import torch

    a = torch.randn(size, size)
    b = torch.randn(size, size)
    c = torch.empty(size, size)

    def run() -> None:
        torch.mm(a, b, out=c)

    run()
    return run, 2.0 * size**3


def machine() -> dict[str, str]:
    """The CPU, core count, torch version, threads, allocator and load, for the report."""
    import torch

    from mgdsl.train.runtime import describe_allocator

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        load = "n/a"
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "torch": torch.__version__,
        "threads": str(torch.get_num_threads()),
        "allocator": describe_allocator(),
        "python": platform.python_version(),
        "load": load,
    }


def rss_mb() -> float:
    """This process's current resident set size in MiB (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return 0.0


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB (`VmHWM`; Linux, else `ru_maxrss`).

    Unlike `ru_maxrss`, which a child inherits from the parent that forked it, `VmHWM`
    belongs to the process image, so a fresh child starts from its own RSS.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _glibc_mallinfo2():
    try:
        fn = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return None
    fn.restype = _MallInfo2
    return fn


_MALLINFO2 = _glibc_mallinfo2()


def heap_in_use_bytes() -> int | None:
    """Bytes glibc malloc has handed out and not had back (arena blocks in use + mmapped
    blocks), or None where glibc's `mallinfo2` is missing or another allocator is preloaded.

    Unlike RSS this ignores pages the allocator keeps after a free, so two programs that
    allocate the same tensors read the same however their heaps fragment.
    """
    if _MALLINFO2 is None or "LD_PRELOAD" in os.environ:
        return None
    info = _MALLINFO2()
    return info.uordblks + info.hblkhd
