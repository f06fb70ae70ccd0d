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

A checkpoint is written at the end of every epoch and every `checkpoint_every` steps, only
after checking that every parameter is finite; a NaN or infinite loss stops the run with
`DivergedError` before the optimiser step, so the last checkpoint on disk is always a good one.

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
import math
import platform
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
    save_atomic,
)
from mgdsl.train.config import TrainConfig
from mgdsl.train.ddp import Dist
from mgdsl.train.errors import CheckpointMismatchError, DivergedError, TrainError
from mgdsl.train.evaluate import Metrics, autocast_for, default_metrics, evaluate
from mgdsl.train.graphs import GraphedStep, graph_blockers, use_graphs
from mgdsl.train.losses import task_loss
from mgdsl.train.optim import build_optimizer, set_output_prior
from mgdsl.train.report import (
    ProgressBar,
    elapsed_at_end,
    epoch_line,
    plot_loss,
    write_json,
    write_metrics,
)

__all__ = ["TrainResult", "train", "RESUME_KEYS"]

#: config fields that must match between a checkpoint and the run that resumes it, because
#: they decide which samples each step sees
RESUME_KEYS = ("task", "seed", "batch_size", "iter_size", "iters_per_epoch")


@dataclass
class TrainResult:
    """What `train` returns: the loss of every step, the per-epoch rows and where files went."""

    steps: int
    losses: list[float]
    epochs: list[dict[str, Any]]
    out_dir: Path
    checkpoint: Path | None
    resumed_from: int | None = None
    files: list[Path] = field(default_factory=list)


def _param_groups_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def _all_finite(model: torch.nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


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
    """The state of one training run; `train` builds it and calls `run`."""

    def __init__(
        self,
        model: torch.nn.Module,
        task: Any,
        config: TrainConfig,
        out_dir: Path,
        *,
        dist: Dist,
        model_spec: Mapping[str, Any] | None,
        on_step: Callable[[int, float], None] | None,
        metrics_factory: Callable[[Any], Metrics],
    ) -> None:
        self.task = task
        self.config = config
        self.out_dir = out_dir
        self.dist = dist
        self.model_spec = dict(model_spec) if model_spec else {}
        self.on_step = on_step
        self.metrics_factory = metrics_factory
        self.device = dist.device(config.device)
        self.rank_batch = config.batch_size // dist.world_size
        self.model = model.to(self.device)
        # NHWC is the measured fast path on CPU (docs/benchmarks.md); CUDA keeps NCHW unless asked
        self.channels_last = (config.channels_last if config.channels_last is not None
                              else self.device.type == "cpu")
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        if config.output_prior is not None:
            set_output_prior(self.model, config.output_prior)
        blockers = graph_blockers(device=self.device, world_size=dist.world_size,
                                  iter_size=config.iter_size, amp=config.amp,
                                  amp_dtype=config.amp_dtype, compile=config.compile,
                                  model=self.model)
        try:
            self.graphs = use_graphs(config.cuda_graphs, blockers)
        except ValueError as exc:
            raise TrainError(str(exc), hint="drop --cuda-graphs (the default uses them where "
                             "the run allows)") from exc
        self.optimizer = build_optimizer(self.model.parameters(), config, capturable=self.graphs)
        self.graphed: GraphedStep | None = None
        fp16_cuda = config.amp and config.amp_dtype == "fp16" and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda") if fp16_cuda else None
        self.step = 0
        self.losses: list[float] = []
        self.rows: list[dict[str, Any]] = []
        self.epoch_images = 0
        self.epoch_seconds = 0.0
        self.wall_seconds = 0.0  # since the run began, summed over sessions
        self._wall_mark = time.perf_counter()
        self.resumed_from: int | None = None
        self.last_checkpoint_step: int | None = None
        self.checkpoint_path = out_dir / CHECKPOINT_NAME

    # ------------------------------------------------------------------ checkpoints

    def _tick(self) -> None:
        """Add the wall-clock time since the last call to `wall_seconds`."""
        now = time.perf_counter()
        self.wall_seconds += now - self._wall_mark
        self._wall_mark = now

    def _state(self) -> dict[str, Any]:
        self._tick()
        return {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "model_spec": self.model_spec,
            "task": self.config.task,
            "config": self.config.to_dict(),
            "world_size": self.dist.world_size,
            "step": self.step,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "rng": capture_rng(),
            "losses": torch.tensor(self.losses, dtype=torch.float64),
            "epochs": self.rows,
            "epoch_progress": {
                "images": self.epoch_images,
                "seconds": self.epoch_seconds,
                "wall_seconds": self.wall_seconds,
            },
            "torch_version": str(torch.__version__),
        }

    def save_checkpoint(self) -> None:
        """Write the checkpoint of the current step (rank 0), refusing non-finite weights."""
        if not _all_finite(self.model):
            raise self._diverged("the parameters became non-finite", self.step)
        if self.dist.is_main:
            with self._writing(self.checkpoint_path, "the checkpoint"):
                save_atomic(self._state(), self.checkpoint_path)
        self.last_checkpoint_step = self.step

    def _writing(self, path: Path, what: str) -> contextlib.AbstractContextManager[None]:
        """`os_errors` for writing one of the run's files, saying where the run can go on."""
        kept = (f"the checkpoint on disk holds step {self.last_checkpoint_step}; after fixing "
                "this, the same command with --resume goes on from it"
                if self.last_checkpoint_step is not None else None)
        return os_errors(path, action="write", what=what, given=str(self.out_dir),
                         notes=[kept] if kept else ())

    def resume(self) -> None:
        """Load the checkpoint in `out_dir` and continue from its step."""
        data = load_checkpoint(self.checkpoint_path)
        saved = data.get("config", {})
        problems = [
            f"{key.replace('_', '-')} was {saved.get(key)!r}, now {getattr(self.config, key)!r}"
            for key in RESUME_KEYS
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
                f"cannot resume from `{self.checkpoint_path}`: the run set-up changed",
                notes=problems,
                hint="resume with the original options, or start a new run in another --out",
            )
        load_model_state(self.model, data["model"], self.checkpoint_path, "this model")
        self.optimizer.load_state_dict(data["optimizer"])
        if self.scaler is not None and data.get("scaler"):
            self.scaler.load_state_dict(data["scaler"])
        restore_rng(data["rng"])
        self.step = int(data["step"])
        self.losses = [float(v) for v in data["losses"].tolist()]
        self.rows = list(data.get("epochs", []))
        progress = data.get("epoch_progress", {})
        self.epoch_images = int(progress.get("images", 0))
        self.epoch_seconds = float(progress.get("seconds", 0.0))
        self.wall_seconds = float(progress.get("wall_seconds", 0.0))
        self.resumed_from = self.step
        self.last_checkpoint_step = self.step
        self._wall_mark = time.perf_counter()

    # ------------------------------------------------------------------ reporting

    def _meta(self) -> dict[str, Any]:
        return {
            "model": self.model_spec,
            "task": self.config.task,
            "world_size": self.dist.world_size,
            "steps": self.step,
            "total_steps": self.config.total_steps,
        }

    def write_config(self) -> None:
        """Write ``config.json`` (rank 0)."""
        if not self.dist.is_main:
            return
        with self._writing(self.out_dir / "config.json", "the run's settings"):
            self._write_config()

    def _write_config(self) -> None:
        write_json(
            self.out_dir / "config.json",
            {
                **self._meta(),
                "config": self.config.to_dict(),
                "rank_batch_size": self.rank_batch,
                "device": str(self.device),
                "cuda_graphs": self.graphs,
                "torch_version": str(torch.__version__),
                "python_version": platform.python_version(),
                "resumed_from": self.resumed_from,
            },
        )

    def write_reports(self) -> None:
        """Write ``metrics.csv``, ``metrics.json`` and ``loss.png`` (rank 0)."""
        if not self.dist.is_main:
            return
        with self._writing(self.out_dir, "the metrics"):
            write_metrics(self.out_dir, self.rows, self._meta())
        name = self.model_spec.get("name") or self.model_spec.get("target", "model")
        title = f"{name} on {self.config.task}"
        with self._writing(self.out_dir / "loss.png", "the loss plot"):
            plot_loss(self.out_dir / "loss.png", self.losses, self.config.iters_per_epoch,
                      self.rows, title)

    def _diverged(self, what: str, step: int) -> DivergedError:
        """The error for a run that diverged in 1-based `step`."""
        ipe = self.config.iters_per_epoch
        epoch, within = divmod(step - 1, ipe)
        kept = (
            f"the last good checkpoint (step {self.last_checkpoint_step}) is kept in "
            f"`{self.checkpoint_path}`"
            if self.last_checkpoint_step is not None
            else "no checkpoint had been written yet"
        )
        return DivergedError(
            f"{what} at step {step} (epoch {epoch + 1}, iteration {within + 1} of {ipe}); "
            "training stopped",
            notes=[kept],
            hint="lower --lr, turn off --amp, or check the network's output layer",
        )

    # ------------------------------------------------------------------ the loop

    def _end_epoch(self, epoch: int, lr: float, bar: ProgressBar) -> None:
        cfg = self.config
        ipe = cfg.iters_per_epoch
        epoch_losses = self.losses[(epoch - 1) * ipe : epoch * ipe]
        row: dict[str, Any] = {
            "epoch": epoch,
            "step": self.step,
            "lr": lr,
            "train_loss": sum(epoch_losses) / len(epoch_losses),
        }
        eval_seconds = 0.0
        if cfg.eval_every and (epoch % cfg.eval_every == 0 or epoch == cfg.epochs):
            started = time.perf_counter()
            if self.dist.is_main:
                results = evaluate(
                    self.model,
                    self.task,
                    batch_size=cfg.eval_batch_size or cfg.batch_size,
                    limit=cfg.eval_limit,
                    device=self.device,
                    amp=cfg.amp,
                    amp_dtype=cfg.amp_dtype,
                    channels_last=self.channels_last,
                    metrics_factory=self.metrics_factory,
                )
                row.update({f"test_{k}": v for k, v in results.items()})
            self.dist.barrier()
            eval_seconds = time.perf_counter() - started
        self._tick()
        row["train_seconds"] = self.epoch_seconds
        row["eval_seconds"] = eval_seconds
        row["images_per_second"] = self.epoch_images / self.epoch_seconds if self.epoch_seconds else 0.0
        row["wall_seconds"] = self.wall_seconds - elapsed_at_end(self.rows[-1] if self.rows else {})
        row["elapsed_seconds"] = self.wall_seconds
        self.rows.append(row)
        self.epoch_images = 0
        self.epoch_seconds = 0.0
        if self.dist.is_main and not cfg.quiet:
            line = epoch_line(row, cfg.epochs)
            if bar.enabled:
                bar.log(line)
            else:
                print(line, flush=True)
        # the checkpoint first: a reader never sees metrics the checkpoint does not hold
        self.save_checkpoint()
        self.write_reports()

    def _micro_step(self, forward_model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
        cfg = self.config
        x = x.to(self.device, non_blocking=True)
        y = y.to(self.device, non_blocking=True)
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        with autocast_for(self.device, cfg.amp, cfg.amp_dtype):
            out = forward_model(x)
        loss = task_loss(self.task.kind, out, y)  # float32, outside autocast
        value = float(self.dist.mean(loss.detach()))
        if not math.isfinite(value):
            raise self._diverged(f"the loss became {value}", self.step + 1)
        scaled = loss / cfg.iter_size
        if self.scaler is not None:
            self.scaler.scale(scaled).backward()
        else:
            scaled.backward()
        return value

    def _graphed_step(self, x: torch.Tensor, y: torch.Tensor, lr: float) -> float:
        """One optimiser step through the CUDA graph (warm-up steps run eagerly)."""
        if self.graphed is None:
            cfg = self.config
            self.graphed = GraphedStep(
                self.model, self.optimizer, self.task.kind, device=self.device,
                channels_last=self.channels_last, lr=lr,
                autocast=lambda: autocast_for(self.device, cfg.amp, cfg.amp_dtype, cache=False),
                check=lambda out, target: task_loss(self.task.kind, out, target),
            )
        value = float(self.graphed.step(x, y, lr))
        if not math.isfinite(value):
            # the captured optimiser step has run: the weights are gone, the checkpoint is not
            raise self._diverged(f"the loss became {value}", self.step + 1)
        return value

    def _finish_step(self, epoch: int, lr: float, step_loss: float, started: float,
                     images: int, bar: ProgressBar) -> None:
        """Book-keeping after an optimiser step: time, loss, progress, epoch end, checkpoint."""
        cfg = self.config
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        self.step += 1
        self.losses.append(step_loss)
        self.epoch_images += images
        self.epoch_seconds += time.perf_counter() - started
        bar.update(self.step, epoch=epoch, epochs=cfg.epochs, loss=step_loss,
                   ips=self.epoch_images / self.epoch_seconds if self.epoch_seconds else 0.0,
                   lr=lr)
        if self.step == epoch * cfg.iters_per_epoch:
            self._end_epoch(epoch, lr, bar)
        elif cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
            self.save_checkpoint()
        if self.on_step is not None:
            self.on_step(self.step, step_loss)

    def run(self) -> TrainResult:
        """Train until `config.total_steps`, evaluating, reporting and checkpointing."""
        cfg = self.config
        ipe = cfg.iters_per_epoch
        self.write_config()
        ddp_model = self.dist.wrap(self.model, self.device)
        forward_model = torch.compile(ddp_model) if cfg.compile else ddp_model
        batches = self.task.train_batches(
            self.rank_batch,
            seed=cfg.seed,
            rank=self.dist.rank,
            world_size=self.dist.world_size,
            start_step=self.step * cfg.iter_size,
        )
        forward_model.train()
        show = cfg.progress and not cfg.quiet and self.dist.is_main
        images_per_step = cfg.batch_size * cfg.iter_size
        with ProgressBar(cfg.total_steps, self.step, enabled=show) as bar, \
                contextlib.closing(_Closable(batches)):
            while self.step < cfg.total_steps:
                epoch = self.step // ipe + 1
                while self.step < epoch * ipe:
                    lr = cfg.lr_at_step(self.step)
                    started = time.perf_counter()
                    if self.graphs:
                        step_loss = self._graphed_step(*next(batches), lr)
                        self._finish_step(epoch, lr, step_loss, started, images_per_step, bar)
                        continue
                    _param_groups_lr(self.optimizer, lr)
                    self.optimizer.zero_grad(set_to_none=True)
                    step_loss = 0.0
                    for micro in range(cfg.iter_size):
                        x, y = next(batches)
                        last = micro == cfg.iter_size - 1
                        sync = (
                            contextlib.nullcontext()
                            if last or not self.dist.enabled
                            else ddp_model.no_sync()
                        )
                        with sync:
                            step_loss += self._micro_step(forward_model, x, y) / cfg.iter_size
                    if self.scaler is not None:
                        self.scaler.step(self.optimizer)
                        self.scaler.update()
                    else:
                        self.optimizer.step()
                    self._finish_step(epoch, lr, step_loss, started, images_per_step, bar)
        if self.last_checkpoint_step != self.step:  # a resumed, already finished run
            self.save_checkpoint()
        self.write_reports()
        return TrainResult(
            steps=self.step,
            losses=list(self.losses),
            epochs=list(self.rows),
            out_dir=self.out_dir,
            checkpoint=self.checkpoint_path if self.dist.is_main else None,
            resumed_from=self.resumed_from,
            files=[self.out_dir / n for n in ("metrics.csv", "metrics.json", "loss.png",
                                              "config.json", CHECKPOINT_NAME)],
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
) -> TrainResult:
    """Train `model` on `task` with `config`, writing reports and checkpoints to `out_dir`.

    `task` is anything with the `mgdsl.data.tasks.Task` interface (``kind``,
    ``train_batches``, ``test_batches``). With `resume`, continue from ``out_dir/checkpoint.pt``
    exactly where it stopped; without it, an existing checkpoint there is an error unless
    `overwrite`. `model_spec` ({"target", "params"}) is stored in checkpoints and checked on
    resume. `dist` defaults to the torchrun environment (one process when unset); a process
    group that exists already is used and left open, one created here is closed at the end.
    `on_step(step, loss)` is called after every optimiser step (and its checkpoint).
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
        if not resume:
            torch.manual_seed(config.seed)
        run = _Run(
            model,
            task,
            config,
            out_dir,
            dist=dist,
            model_spec=model_spec,
            on_step=on_step,
            metrics_factory=metrics_factory,
        )
        if resume:
            run.resume()
        return run.run()
    finally:
        if created_group:
            dist.teardown()
