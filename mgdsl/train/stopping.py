"""Stopping a run on SIGTERM or SIGINT without losing work: `StopSignals`.

Clusters preempt a job with SIGTERM and a grace period (SLURM, Kubernetes); Ctrl-C is SIGINT.
While a run trains, the first such signal only sets a flag: the loop finishes the step it is
in, writes a checkpoint and returns, and `mgdsl train` prints the `--resume` command and
exits with 128 + the signal number (143 for SIGTERM, 130 for SIGINT). A second signal of the
same kind stops the process at once, as if no handler were installed (the checkpoint on
disk is whole: every write is atomic). A signal of the other kind does not count as the
second: under torchrun, Ctrl-C reaches every worker as SIGINT from the terminal and then as
SIGTERM from torchrun's agent.

Under torchrun the ranks agree on the step to stop at: each rank's flag travels with the
step's loss in the same all-reduce (`mgdsl.train.ddp.Dist.mean_and_any`), so every rank
stops after the same step however far apart the signals reach them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from types import FrameType
from typing import Any

__all__ = ["StopSignals", "SIGNALS", "signal_name"]

#: the signals that ask a run to stop after its current step
SIGNALS = (signal.SIGTERM, signal.SIGINT)


def signal_name(signum: int) -> str:
    """``SIGTERM`` for 15, and so on."""
    return signal.Signals(signum).name


class StopSignals:
    """A context manager that turns SIGTERM and SIGINT into a request to stop.

    `signum` is the first signal received (None before any). Handlers are installed only
    in the main thread (elsewhere Python cannot install them, and the run simply cannot be
    stopped this way) and restored on exit. `announce` is called with a line to show when
    the first signal arrives (None: write it to stderr).
    """

    def __init__(self, *, enabled: bool = True, quiet: bool = False) -> None:
        self.enabled = enabled and threading.current_thread() is threading.main_thread()
        self.quiet = quiet
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        """True once a stop signal has arrived."""
        return self.signum is not None

    def __enter__(self) -> StopSignals:
        if self.enabled:
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum == signum:  # the second of its kind: stop now
            _say(f"mgdsl: {signal_name(signum)} again: stopping at once\n")
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if self.signum is None:
            self.signum = signum
            if not self.quiet:
                _say(f"mgdsl: {signal_name(signum)} received: finishing this step and writing "
                     f"a checkpoint (send {signal_name(signum)} again to stop at once)\n")


def _say(text: str) -> None:
    """Write to stderr from a signal handler (one unbuffered write, no locks)."""
    with contextlib.suppress(OSError):
        os.write(2, text.encode())
