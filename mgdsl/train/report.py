"""What a run writes and shows: `metrics.csv`, `metrics.json`, `loss.png`, `config.json`,
the rich progress bar and the result tables.

Every file is written atomically (temporary file + `os.replace`), so a run killed at any
moment leaves complete files behind. The loss curve is drawn with matplotlib's Agg canvas
directly, without pyplot, so the global backend is left alone.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mgdsl.train.checkpoint import write_text_atomic

__all__ = [
    "ProgressBar",
    "write_metrics",
    "write_json",
    "plot_loss",
    "epoch_line",
    "results_table",
    "run_summary",
    "elapsed_at_end",
    "scalar_items",
]


def _jsonable(value: Any) -> Any:
    """`value` with NaN/inf turned into None and tuples into lists, for strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # tensors and numpy values
        return _jsonable(value.tolist())
    return value


def write_json(path: str | Path, data: Any) -> Path:
    """Write `data` as indented, strict JSON (NaN becomes null) atomically."""
    text = json.dumps(_jsonable(data), indent=2, sort_keys=False, allow_nan=False)
    return write_text_atomic(path, text + "\n")


def scalar_items(row: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of `row` that fit in a CSV cell: numbers, strings, booleans, None."""
    return {k: v for k, v in row.items() if v is None or isinstance(v, (int, float, str, bool))}


def write_metrics(out_dir: str | Path, rows: Sequence[Mapping[str, Any]], meta: Mapping[str, Any]) -> None:
    """Write the per-epoch `rows` to ``metrics.csv`` (scalars) and ``metrics.json`` (all)."""
    out_dir = Path(out_dir)
    columns: list[str] = []
    for row in rows:
        for key in scalar_items(row):
            if key not in columns:
                columns.append(key)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in scalar_items(row).items()})
    write_text_atomic(out_dir / "metrics.csv", buffer.getvalue())
    write_json(out_dir / "metrics.json", {**meta, "epochs": list(rows)})


def _series(rows: Sequence[Mapping[str, Any]], key: str, scale: float = 1.0) -> list[float]:
    """`key` of every row (times `scale`), NaN where a row lacks it."""
    values = []
    for row in rows:
        value = row.get(key)
        values.append(value * scale if isinstance(value, (int, float)) and value is not None
                      else math.nan)
    return values


#: the curves of the right-hand panel of loss.png: (row key, label, colour)
SIGNALS = (
    ("test_fg_class_accuracy", "foreground class accuracy", "tab:green"),
    ("test_mean_iou_at_0.3", "mean IoU at 0.3", "tab:purple"),
    ("test_mean_iou", "mean IoU (paper, at 0.5)", "tab:red"),
)


def plot_loss(
    path: str | Path,
    losses: Sequence[float],
    iters_per_epoch: int,
    rows: Sequence[Mapping[str, Any]] = (),
    title: str = "",
) -> Path:
    """Draw the training loss and what the evaluations measured into a PNG.

    Left: the per-step training loss, its per-epoch mean, the test loss and, for MNIST
    tasks, the base-rate BCE of the test set (what predicting each map's foreground rate
    everywhere scores). Right, when the rows have them: foreground class accuracy (with its
    chance level) and mean IoU at 0.3 and 0.5, in percent.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    signals = [s for s in SIGNALS if any(r.get(s[0]) is not None for r in rows)]
    fig = Figure(figsize=(11 if signals else 7, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 2 if signals else 1, 1)
    steps = list(range(1, len(losses) + 1))
    epochs_axis = [s / iters_per_epoch for s in steps]
    ax.plot(epochs_axis, list(losses), lw=0.6, alpha=0.45, color="tab:blue", label="train loss (step)")
    xs = [r["epoch"] for r in rows]
    if rows:
        ax.plot(xs, [r.get("train_loss") for r in rows], "o-", ms=3, color="tab:blue",
                label="train loss (epoch mean)")
        test = _series(rows, "test_loss")
        if any(math.isfinite(v) for v in test):
            ax.plot(xs, test, "s--", ms=3, color="tab:orange", label="test loss")
        base = [v for v in _series(rows, "test_base_bce") if math.isfinite(v)]
        if base:
            ax.axhline(base[-1], color="0.3", ls=":", lw=1.2,
                       label=f"base-rate BCE of the test set ({base[-1]:.3f})")
    positive = [v for v in losses if math.isfinite(v) and v > 0]
    if positive and max(positive) / min(positive) > 30:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title or "loss", fontsize=10)
    ax.grid(True, alpha=0.3)
    if losses:
        ax.legend(loc="best", fontsize=8)
    if signals:
        right = fig.add_subplot(1, 2, 2)
        for key, label, colour in signals:
            right.plot(xs, _series(rows, key, 100.0), "o-", ms=3, color=colour, label=label)
        chance = [v for v in _series(rows, "test_fg_chance", 100.0) if math.isfinite(v)]
        if chance and any(s[0] == "test_fg_class_accuracy" for s in signals):
            right.axhline(chance[-1], color="tab:green", ls=":", lw=1.2,
                          label=f"chance ({chance[-1]:.0f} %)")
        right.set_xlabel("epoch")
        right.set_ylabel("percent (test set)")
        right.set_ylim(bottom=0)
        right.set_title("learning before IoU moves", fontsize=10)
        right.grid(True, alpha=0.3)
        right.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(path)
    return path


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.4g}" if abs(value) < 1e-3 or abs(value) >= 1e4 else f"{value:.4f}"
    return str(value)


#: test metrics `epoch_line` formats itself (the rest of the test scalars follow as they are)
_LINE_SKIP = {"test_loss", "test_base_bce", "test_fg_class_accuracy", "test_fg_chance",
              "test_fg_pixels", "test_mean_iou", "test_mean_iou_at_0.3", "test_mean_error",
              "test_samples", "test_images", "test_count"}


def _percent(value: Any) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, (int, float)) and math.isfinite(value) else "-"


def epoch_line(row: Mapping[str, Any], epochs: int) -> str:
    """One line summarising an epoch row, for logs and non-terminal output.

    For MNIST tasks: test BCE beside the base-rate BCE, foreground class accuracy beside
    chance, then mean IoU at 0.5 (the paper's) and at 0.3 and the paper's mean error.
    """
    parts = [f"epoch {row['epoch']}/{epochs}", f"lr {row['lr']:.3g}", f"loss {_fmt(row['train_loss'])}"]
    if row.get("test_loss") is not None:
        test = f"test loss {_fmt(row['test_loss'])}"
        if row.get("test_base_bce") is not None:
            test += f" (base rate {_fmt(row['test_base_bce'])})"
        parts.append(test)
    if row.get("test_fg_class_accuracy") is not None:
        parts.append(f"fg class acc {_percent(row['test_fg_class_accuracy'])}"
                     f" (chance {_percent(row.get('test_fg_chance'))})")
    if row.get("test_mean_iou") is not None:
        iou = f"IoU {_percent(row['test_mean_iou'])}"
        if row.get("test_mean_iou_at_0.3") is not None:
            iou += f" (at 0.3: {_percent(row['test_mean_iou_at_0.3'])})"
        parts.append(iou)
    if row.get("test_mean_error") is not None:
        parts.append(f"error {_percent(row['test_mean_error'])}")
    for key, value in scalar_items(row).items():
        if key.startswith("test_") and key not in _LINE_SKIP and value is not None:
            parts.append(f"{key} {_fmt(value)}")
    parts.append(f"{row['images_per_second']:.1f} img/s")
    return "  ".join(parts)


def elapsed_at_end(row: Mapping[str, Any]) -> float:
    """The run's wall clock at the end of epoch `row` (0 for none): its ``elapsed_seconds``,
    or ``wall_seconds`` in rows written before that column, when it was the run's clock.

    >>> elapsed_at_end({"wall_seconds": 4.0, "elapsed_seconds": 7.5}), elapsed_at_end({})
    (7.5, 0.0)
    """
    return float(row.get("elapsed_seconds", row.get("wall_seconds", 0.0)))


def run_summary(rows: Sequence[Mapping[str, Any]], steps: int) -> dict[str, Any]:
    """What a finished run prints: the last epoch's loss, LR and test metrics, and the run's
    time as totals over all epochs (and resumed sessions).

    The per-epoch rows hold each epoch's own training, evaluation and wall-clock seconds
    (and ``elapsed_seconds``, the wall clock since the run began); here all three are
    totals, and ``images_per_second`` is the run's (all training images / all training
    seconds).

    >>> rows = [{"epoch": 1, "lr": 0.1, "train_loss": 0.5, "train_seconds": 2.0,
    ...          "eval_seconds": 1.0, "images_per_second": 50.0, "wall_seconds": 3.5,
    ...          "elapsed_seconds": 3.5},
    ...         {"epoch": 2, "lr": 0.01, "train_loss": 0.4, "test_mean_iou": 0.2,
    ...          "train_seconds": 3.0, "eval_seconds": 1.0, "images_per_second": 100.0,
    ...          "wall_seconds": 4.0, "elapsed_seconds": 7.5}]
    >>> run_summary(rows, steps=20)  # doctest: +NORMALIZE_WHITESPACE
    {'epochs': 2, 'steps': 20, 'lr': 0.01, 'train_loss': 0.4, 'test_mean_iou': 0.2,
     'train_seconds_total': 5.0, 'eval_seconds_total': 2.0, 'wall_seconds_total': 7.5,
     'images_per_second': 80.0}
    """
    last = rows[-1]
    summary: dict[str, Any] = {"epochs": last["epoch"], "steps": steps}
    summary.update({k: v for k, v in last.items()
                    if k in ("lr", "train_loss") or k.startswith("test_")})
    train_seconds = sum(r.get("train_seconds", 0.0) for r in rows)
    images = sum(r.get("images_per_second", 0.0) * r.get("train_seconds", 0.0) for r in rows)
    summary["train_seconds_total"] = train_seconds
    summary["eval_seconds_total"] = sum(r.get("eval_seconds", 0.0) for r in rows)
    summary["wall_seconds_total"] = elapsed_at_end(last)
    summary["images_per_second"] = images / train_seconds if train_seconds else 0.0
    return summary


def results_table(results: Mapping[str, Any], title: str = "") -> str:
    """Render the scalar entries of `results` as a two-column rich table under `title` (plain text)."""
    from rich.console import Console
    from rich.table import Table

    table = Table()
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in scalar_items(results).items():
        table.add_row(key, _fmt(value))
    console = Console(file=io.StringIO(), width=100, force_terminal=False, color_system=None)
    if title:
        console.print(title, markup=False, highlight=False)
    console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined]


class ProgressBar:
    """A rich progress bar over the optimiser steps, showing loss, images/s and LR.

    It draws only when `enabled` and stderr is a terminal; otherwise every method is a no-op.
    Use it as a context manager.
    """

    def __init__(self, total: int, completed: int = 0, *, enabled: bool = True, stream=None) -> None:
        stream = stream or sys.stderr
        self.enabled = enabled and hasattr(stream, "isatty") and stream.isatty()
        self._progress = None
        self._task = None
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]}  {task.fields[ips]} img/s  lr {task.fields[lr]}"),
                TimeRemainingColumn(),
                console=Console(file=stream),
                transient=False,
            )
            self._task = self._progress.add_task(
                "train", total=total, completed=completed, loss="-", ips="-", lr="-"
            )

    def __enter__(self) -> ProgressBar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, step: int, *, epoch: int, epochs: int, loss: float, ips: float, lr: float) -> None:
        """Move the bar to `step` and show the latest loss, throughput and learning rate."""
        if self._progress is None:
            return
        self._progress.update(
            self._task,
            completed=step,
            description=f"epoch {epoch}/{epochs}",
            loss=_fmt(loss),
            ips=f"{ips:.1f}",
            lr=f"{lr:.3g}",
        )

    def log(self, text: str) -> None:
        """Print a line above the bar (or nothing when the bar is off)."""
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
