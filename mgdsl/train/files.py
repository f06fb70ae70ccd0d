"""`RunFiles`: the files of a run in its folder, written in an order a reader can trust.

``config.json`` when the run starts; then, at each checkpoint, ``checkpoint.pt`` first and
``metrics.csv``, ``metrics.json`` and ``loss.png`` after it, so the metrics and the plot never
describe steps the checkpoint does not hold. Only rank 0 writes. Every write is atomic
(`mgdsl.atomic`), and an `OSError` becomes a located E610-E614 (`mgdsl.oserrors`) that says
which step the checkpoint on disk holds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mgdsl.oserrors import os_errors
from mgdsl.train.checkpoint import CHECKPOINT_NAME, save_atomic
from mgdsl.train.report import plot_loss, write_json, write_metrics

__all__ = ["RunFiles", "FILE_NAMES"]

#: what a run's folder holds
FILE_NAMES = ("metrics.csv", "metrics.json", "loss.png", "config.json", CHECKPOINT_NAME)


class RunFiles:
    """The folder `out_dir` of a run; `write` is False on every rank but 0."""

    def __init__(self, out_dir: Path, *, write: bool) -> None:
        self.out_dir = out_dir
        self.write = write
        self.checkpoint = out_dir / CHECKPOINT_NAME

    @property
    def paths(self) -> list[Path]:
        """Every file a run writes."""
        return [self.out_dir / name for name in FILE_NAMES]

    def _writing(self, path: Path, what: str,
                 kept: int | None) -> contextlib.AbstractContextManager[None]:
        """`os_errors` for writing one file, saying where the run can go on from."""
        note = (f"the checkpoint on disk holds step {kept}; after fixing this, the same "
                "command with --resume goes on from it" if kept is not None else None)
        return os_errors(path, action="write", what=what, given=str(self.out_dir),
                         notes=[note] if note else ())

    def write_config(self, record: Mapping[str, Any]) -> None:
        """Write ``config.json``."""
        if self.write:
            with self._writing(self.out_dir / "config.json", "the run's settings", None):
                write_json(self.out_dir / "config.json", record)

    def save_checkpoint(self, state: Mapping[str, Any], kept: int | None) -> None:
        """Write ``checkpoint.pt`` (`kept`: the step of the one on disk now)."""
        if self.write:
            with self._writing(self.checkpoint, "the checkpoint", kept):
                save_atomic(dict(state), self.checkpoint)

    def write_reports(self, rows: Sequence[Mapping[str, Any]], losses: Sequence[float], *,
                      meta: Mapping[str, Any], iters_per_epoch: int, title: str,
                      kept: int | None) -> None:
        """Write ``metrics.csv``, ``metrics.json`` and ``loss.png`` (after the checkpoint)."""
        if not self.write:
            return
        with self._writing(self.out_dir, "the metrics", kept):
            write_metrics(self.out_dir, rows, meta)
        with self._writing(self.out_dir / "loss.png", "the loss plot", kept):
            plot_loss(self.out_dir / "loss.png", losses, iters_per_epoch, rows, title)
