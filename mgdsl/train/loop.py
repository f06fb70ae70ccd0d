"""The training loop: `train(model, task, config, out_dir)`.

One optimiser step = `iter_size` mini-batches whose gradients are accumulated (each loss
scaled by 1/`iter_size`); the learning rate of each step comes from the schedule
(`TrainConfig.lr_at_step`: the paper's rule by the paper's epoch of that point of training,
or by the run's epoch); the test set is evaluated at the end of each epoch (every `eval_every` epochs).

Exact resumption: the mini-batch of stream position ``p`` depends only on (seed, rank,
world size, p) (the task's contract), and a checkpoint holds the model, the optimiser, the
random generators and the loss history at a step boundary. Resuming from step ``s`` restarts
the stream at position ``s · iter_size`` and so reproduces the losses of an uninterrupted
run bit for bit (same machine, same thread count).

A checkpoint is written at the end of every epoch and every `checkpoint_every` steps (before
the metrics and the plot that describe it) and when SIGTERM or SIGINT stops the run
(`mgdsl.train.stopping`), only after checking that every parameter is finite; a NaN or
infinite loss stops the run with `DivergedError` before the optimiser step, so the last
checkpoint on disk is always a good one.

Per-epoch rows (``metrics.csv`` / ``metrics.json``): ``epoch``, ``step``, ``lr``,
``train_loss`` (mean of the epoch's step losses; each step loss is the mean over all
processes), ``test_*`` (what `evaluate` returns: the paper's metrics, ``test_loss``,
``test_samples``); the epoch's own ``train_seconds``, ``eval_seconds`` and ``wall_seconds``
(every ``*_seconds`` column is per epoch), ``images_per_second`` (training images of all
processes / ``train_seconds``) and ``elapsed_seconds`` (wall-clock time from the start of the
run to the end of this epoch, summed over resumed sessions: the time axis of a curve).
"""

from __future__ import annotations

import contextlib
import platform
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from mgdsl.oserrors import os_errors
from mgdsl.train.checkpoint import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_NAME,
    CHECKPOINT_VERSION,
    capture_rng,
    load_checkpoint,
    load_model_state,
    restore_rng,
)
from mgdsl.train.config import TrainConfig
from mgdsl.train.ddp import Dist
from mgdsl.train.errors import CheckpointMismatchError, DivergedError, TrainError
from mgdsl.train.evaluate import Metrics, default_metrics, evaluate
from mgdsl.train.files import RunFiles
from mgdsl.train.report import ProgressBar, elapsed_at_end, epoch_line
from mgdsl.train.settings import resume_keys
from mgdsl.train.state import RunState
from mgdsl.train.stepper import NonFiniteLoss, Stepper
from mgdsl.train.stopping import StopSignals

__all__ = ["TrainResult", "train"]


@dataclass
class TrainResult:
    """What `train` returns: the loss of every step, the per-epoch rows and where files went.

    `stopped_by` is the signal number (SIGTERM, SIGINT) that stopped the run after step
    `steps`, its checkpoint written; None when the run trained to its end.
    """

    steps: int
    losses: list[float]
    epochs: list[dict[str, Any]]
    out_dir: Path
    checkpoint: Path | None
    resumed_from: int | None = None
    files: list[Path] = field(default_factory=list)
    stopped_by: int | None = None


class _Closable:
    """Gives `contextlib.closing` an object whose ``close`` stops a batch stream's thread or
    worker processes, if the stream has one (a plain generator is closed too)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def close(self) -> None:
        close = getattr(self.stream, "close", None)
        if close is not None:
            close()


class _Run:
    """One training run: the loop over steps and epochs, evaluation, checkpoints and reports.

    Its parts each do one job: `stepper` (`Stepper`) runs optimiser steps, `state`
    (`RunState`) counts where the run is, `files` (`RunFiles`) writes the run's folder in
    order; this class decides when to evaluate, report, checkpoint and stop.
    """

    def __init__(self, model: torch.nn.Module, task: Any, config: TrainConfig, out_dir: Path, *,
                 dist: Dist, model_spec: Mapping[str, Any] | None,
                 on_step: Callable[[int, float], None] | None,
                 metrics_factory: Callable[[Any], Metrics]) -> None:
        self.task = task
        self.config = config
        self.dist = dist
        self.model_spec = dict(model_spec) if model_spec else {}
        self.on_step = on_step
        self.metrics_factory = metrics_factory
        self.stepper = Stepper(model, task.kind, config, dist=dist,
                               device=dist.device(config.device))
        self.state = RunState()
        self.files = RunFiles(out_dir, write=dist.is_main)

    # ------------------------------------------------------------------ checkpoints

    def save_checkpoint(self) -> None:
        """Write the checkpoint of the current step (rank 0), refusing non-finite weights."""
        if not self.stepper.all_finite():
            raise self._diverged("the parameters became non-finite", self.state.step)
        state = {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "model_spec": self.model_spec,
            "task": self.config.task,
            "config": self.config.to_dict(),
            "world_size": self.dist.world_size,
            **self.stepper.state_dict(),
            "rng": capture_rng(),
            **self.state.checkpoint_part(),
            "torch_version": str(torch.__version__),
        }
        self.files.save_checkpoint(state, self.state.last_checkpoint_step)
        self.state.last_checkpoint_step = self.state.step

    def resume(self) -> None:
        """Load the checkpoint in the run's folder and continue from its step."""
        path = self.files.checkpoint
        data = load_checkpoint(path)
        saved = data.get("config", {})
        problems = [
            f"{key.replace('_', '-')} was {saved.get(key)!r}, now {getattr(self.config, key)!r}"
            for key in resume_keys(self.config._settings)
            if saved.get(key) != getattr(self.config, key)
        ]
        if data.get("world_size") != self.dist.world_size:
            problems.append(f"process count was {data.get('world_size')}, now {self.dist.world_size}")
        spec = data.get("model_spec") or {}
        # "name" only titles the results (and older checkpoints lack it)
        same = {k: v for k, v in spec.items() if k != "name"} == {
            k: v for k, v in self.model_spec.items() if k != "name"}
        if self.model_spec and spec and not same:
            problems.append(f"model was {spec}, now {self.model_spec}")
        if problems:
            raise CheckpointMismatchError(
                f"cannot resume from `{path}`: the run set-up changed",
                notes=problems,
                hint="resume with the original options, or start a new run in another --out",
            )
        load_model_state(self.stepper.model, data["model"], path, "this model")
        self.stepper.load_optimizer(data)
        restore_rng(data["rng"])
        self.state = RunState.from_checkpoint(data)

    # ------------------------------------------------------------------ reporting

    def _meta(self) -> dict[str, Any]:
        return {
            "model": self.model_spec,
            "task": self.config.task,
            "world_size": self.dist.world_size,
            "steps": self.state.step,
            "total_steps": self.config.total_steps,
        }

    def write_config(self) -> None:
        """Write ``config.json`` (rank 0)."""
        self.files.write_config({
            **self._meta(),
            "config": self.config.to_dict(),
            "rank_batch_size": self.config.batch_size // self.dist.world_size,
            "device": str(self.stepper.device),
            "cuda_graphs": self.stepper.graphs,
            "torch_version": str(torch.__version__),
            "python_version": platform.python_version(),
            "resumed_from": self.state.resumed_from,
        })

    def write_reports(self) -> None:
        """Write ``metrics.csv``, ``metrics.json`` and ``loss.png`` (rank 0)."""
        name = self.model_spec.get("name") or self.model_spec.get("target", "model")
        self.files.write_reports(self.state.rows, self.state.losses, meta=self._meta(),
                                 iters_per_epoch=self.config.iters_per_epoch,
                                 title=f"{name} on {self.config.task}",
                                 kept=self.state.last_checkpoint_step)

    def _diverged(self, what: str, step: int) -> DivergedError:
        """The error for a run that diverged in 1-based `step`."""
        ipe = self.config.iters_per_epoch
        epoch, within = divmod(step - 1, ipe)
        kept = (
            f"the last good checkpoint (step {self.state.last_checkpoint_step}) is kept in "
            f"`{self.files.checkpoint}`"
            if self.state.last_checkpoint_step is not None
            else "no checkpoint had been written yet"
        )
        return DivergedError(
            f"{what} at step {step} (epoch {epoch + 1}, iteration {within + 1} of {ipe}); "
            "training stopped",
            notes=[kept],
            hint="lower --lr, turn off --amp, or check the network's output layer",
        )

    # ------------------------------------------------------------------ the loop

    def _evaluate(self) -> dict[str, Any]:
        """The test metrics (rank 0 evaluates, the others wait), as ``test_*`` entries."""
        cfg = self.config
        row: dict[str, Any] = {}
        if self.dist.is_main:
            results = evaluate(
                self.stepper.model, self.task,
                batch_size=cfg.eval_batch_size or cfg.batch_size, limit=cfg.eval_limit,
                device=self.stepper.device, amp=cfg.amp, amp_dtype=cfg.amp_dtype,
                channels_last=self.stepper.channels_last, metrics_factory=self.metrics_factory,
            )
            row = {f"test_{k}": v for k, v in results.items()}
        self.dist.barrier()
        return row

    def _end_epoch(self, epoch: int, lr: float, bar: ProgressBar) -> None:
        cfg = self.config
        state = self.state
        ipe = cfg.iters_per_epoch
        epoch_losses = state.losses[(epoch - 1) * ipe : epoch * ipe]
        row: dict[str, Any] = {
            "epoch": epoch,
            "step": state.step,
            "lr": lr,
            "train_loss": sum(epoch_losses) / len(epoch_losses),
        }
        eval_seconds = 0.0
        if cfg.eval_every and (epoch % cfg.eval_every == 0 or epoch == cfg.epochs):
            started = time.perf_counter()
            row.update(self._evaluate())
            eval_seconds = time.perf_counter() - started
        state.tick()
        row["train_seconds"] = state.epoch_seconds
        row["eval_seconds"] = eval_seconds
        row["images_per_second"] = state.images_per_second
        row["wall_seconds"] = state.wall_seconds - elapsed_at_end(state.rows[-1] if state.rows else {})
        row["elapsed_seconds"] = state.wall_seconds
        state.close_epoch(row)
        if self.dist.is_main and not cfg.quiet:
            line = epoch_line(row, cfg.epochs)
            if bar.enabled:
                bar.log(line)
            else:
                print(line, flush=True)
        # the checkpoint first: a reader never sees metrics the checkpoint does not hold
        self.save_checkpoint()
        self.write_reports()

    def _one_step(self, batches: Any, stop: StopSignals, bar: ProgressBar) -> bool:
        """Train one optimiser step and do what follows it; True when the run must stop."""
        cfg = self.config
        state = self.state
        epoch = state.step // cfg.iters_per_epoch + 1
        lr = cfg.lr_at_step(state.step)
        started = time.perf_counter()
        try:
            step_loss, stopping = self.stepper.step(batches, lr, lambda: stop.requested)
        except NonFiniteLoss as exc:
            raise self._diverged(f"the loss became {exc.value}", state.step + 1) from None
        if self.stepper.device.type == "cuda":
            torch.cuda.synchronize(self.stepper.device)
        state.record_step(step_loss, cfg.batch_size * cfg.iter_size,
                          time.perf_counter() - started)
        bar.update(state.step, epoch=epoch, epochs=cfg.epochs, loss=step_loss,
                   ips=state.images_per_second, lr=lr)
        if state.step == epoch * cfg.iters_per_epoch:
            self._end_epoch(epoch, lr, bar)
        elif cfg.checkpoint_every and state.step % cfg.checkpoint_every == 0:
            self.save_checkpoint()
        if self.on_step is not None:
            self.on_step(state.step, step_loss)
        return stopping

    def run(self, stop: StopSignals) -> TrainResult:
        """Train until `config.total_steps`, evaluating, reporting and checkpointing, or
        until every process has been asked to stop (`stop`): then after a checkpoint."""
        cfg = self.config
        self.write_config()
        self.stepper.prepare()
        batches = self.task.train_batches(
            cfg.batch_size // self.dist.world_size,
            seed=cfg.seed,
            rank=self.dist.rank,
            world_size=self.dist.world_size,
            start_step=self.state.step * cfg.iter_size,
        )
        show = cfg.progress and not cfg.quiet and self.dist.is_main
        stopped_by = None
        with ProgressBar(cfg.total_steps, self.state.step, enabled=show) as bar, \
                contextlib.closing(_Closable(batches)):
            while self.state.step < cfg.total_steps:
                if self._one_step(batches, stop, bar) and self.state.step < cfg.total_steps:
                    # this process may not have been signalled itself, only another one
                    stopped_by = stop.signum or int(signal.SIGTERM)
                    break
        if self.state.last_checkpoint_step != self.state.step:  # stopped, or resumed when done
            self.save_checkpoint()
        if stopped_by is None:
            self.write_reports()
        return TrainResult(
            steps=self.state.step,
            losses=list(self.state.losses),
            epochs=list(self.state.rows),
            out_dir=self.files.out_dir,
            checkpoint=self.files.checkpoint if self.dist.is_main else None,
            resumed_from=self.state.resumed_from,
            files=self.files.paths,
            stopped_by=stopped_by,
        )


def train(
    model: torch.nn.Module,
    task: Any,
    config: TrainConfig,
    out_dir: str | Path,
    *,
    resume: bool = False,
    overwrite: bool = False,
    model_spec: Mapping[str, Any] | None = None,
    dist: Dist | None = None,
    on_step: Callable[[int, float], None] | None = None,
    metrics_factory: Callable[[Any], Metrics] = default_metrics,
    stop_signals: bool = True,
) -> TrainResult:
    """Train `model` on `task` with `config`, writing reports and checkpoints to `out_dir`.

    `task` is anything with the `mgdsl.data.tasks.Task` interface (``kind``,
    ``train_batches``, ``test_batches``). With `resume`, continue from ``out_dir/checkpoint.pt``
    exactly where it stopped; without it, an existing checkpoint there is an error unless
    `overwrite`. `model_spec` ({"target", "params"}) is stored in checkpoints and checked on
    resume. `dist` defaults to the torchrun environment (one process when unset); a process
    group that exists already is used and left open, one created here is closed at the end.
    `on_step(step, loss)` is called after every optimiser step (and its checkpoint).
    With `stop_signals` (and in the main thread), SIGTERM and SIGINT stop the run after the
    current step and a checkpoint (`TrainResult.stopped_by`; see `mgdsl.train.stopping`).
    Raises `DivergedError` on a non-finite loss and `TrainError` for set-up problems.
    """
    out_dir = Path(out_dir)
    dist = dist if dist is not None else Dist.from_env()
    checkpoint = out_dir / CHECKPOINT_NAME
    if resume and not checkpoint.is_file():
        raise TrainError(
            f"nothing to resume: `{checkpoint}` does not exist",
            hint="run without --resume to start training, or point --out at the earlier run",
        )
    if not resume and not overwrite and checkpoint.is_file():
        raise TrainError(
            f"`{out_dir}` already holds a training run",
            hint="pass --resume to continue it, --overwrite to start again, or another --out",
        )
    if config.batch_size % dist.world_size:
        raise TrainError(
            f"batch size {config.batch_size} does not split evenly over "
            f"{dist.world_size} processes",
            hint="--batch-size is the global mini-batch; make it a multiple of the process count",
        )
    if dist.is_main:
        with os_errors(out_dir, action="create", what="the run folder", given=str(out_dir)):
            out_dir.mkdir(parents=True, exist_ok=True)
    device = dist.device(config.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise TrainError("--device cuda was requested but no CUDA device is available",
                         hint="use --device cpu or --device auto")
    created_group = dist.setup(device)
    try:
        with StopSignals(enabled=stop_signals, quiet=config.quiet or not dist.is_main) as stop:
            if not resume:
                torch.manual_seed(config.seed)
            run = _Run(model, task, config, out_dir, dist=dist, model_spec=model_spec,
                       on_step=on_step, metrics_factory=metrics_factory)
            if resume:
                run.resume()
            result = run.run(stop)
    except BaseException:
        if created_group:
            dist.abandon()  # no barrier: another rank may wait in a step's all-reduce
        raise
    if created_group:
        dist.teardown()
    return result
