"""`RunState`: where a training run is — the step, the loss history, the finished epochs'
rows and the clocks — and its part of a checkpoint.

The model's, the optimiser's and the random generators' states are kept by their owners
(`mgdsl.train.stepper.Stepper`, `mgdsl.train.checkpoint.capture_rng`); this is the rest.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = ["RunState"]


@dataclass
class RunState:
    """The progress of one run, summed over resumed sessions.

    `epoch_images` and `epoch_seconds` count the epoch in progress (training only);
    `wall_seconds` is the wall-clock time since the run began; `resumed_from` is the step this
    session started at (None for a fresh run); `last_checkpoint_step` the step of the newest
    checkpoint on disk (None before the first).
    """

    step: int = 0
    losses: list[float] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    epoch_images: int = 0
    epoch_seconds: float = 0.0
    wall_seconds: float = 0.0
    resumed_from: int | None = None
    last_checkpoint_step: int | None = None
    _wall_mark: float = field(default_factory=time.perf_counter, repr=False)

    def tick(self) -> None:
        """Add the wall-clock time since the last call to `wall_seconds`."""
        now = time.perf_counter()
        self.wall_seconds += now - self._wall_mark
        self._wall_mark = now

    def record_step(self, loss: float, images: int, seconds: float) -> None:
        """Book one finished optimiser step."""
        self.step += 1
        self.losses.append(loss)
        self.epoch_images += images
        self.epoch_seconds += seconds

    @property
    def images_per_second(self) -> float:
        """Training throughput of the epoch in progress."""
        return self.epoch_images / self.epoch_seconds if self.epoch_seconds else 0.0

    def close_epoch(self, row: dict[str, Any]) -> None:
        """Append the finished epoch's `row` and start counting the next epoch."""
        self.rows.append(row)
        self.epoch_images = 0
        self.epoch_seconds = 0.0

    def checkpoint_part(self) -> dict[str, Any]:
        """This state as checkpoint entries (``step``, ``losses``, ``epochs``,
        ``epoch_progress``); ticks the clock first."""
        self.tick()
        return {
            "step": self.step,
            "losses": torch.tensor(self.losses, dtype=torch.float64),
            "epochs": self.rows,
            "epoch_progress": {
                "images": self.epoch_images,
                "seconds": self.epoch_seconds,
                "wall_seconds": self.wall_seconds,
            },
        }

    @classmethod
    def from_checkpoint(cls, data: dict[str, Any]) -> RunState:
        """The state a checkpoint holds, resumed from its step."""
        progress = data.get("epoch_progress", {})
        step = int(data["step"])
        return cls(
            step=step,
            losses=[float(v) for v in data["losses"].tolist()],
            rows=list(data.get("epochs", [])),
            epoch_images=int(progress.get("images", 0)),
            epoch_seconds=float(progress.get("seconds", 0.0)),
            wall_seconds=float(progress.get("wall_seconds", 0.0)),
            resumed_from=step,
            last_checkpoint_step=step,
        )
