"""`Stepper`: one optimiser step of a run — the model on its device, the optimiser, the
gradient scaler and the way the step is run (eagerly, or replayed as a CUDA graph).

An eager step accumulates `iter_size` mini-batches (each loss scaled by 1/`iter_size`); the
loss of each is averaged over the processes in the same all-reduce that tells every rank
whether any of them was asked to stop (`mgdsl.train.stopping`), so all ranks stop after the
same step. A CUDA-graph step (`--cuda-graphs`, opt-in) that cannot be captured falls back to
eager steps with one warning line; the step whose capture failed is run again eagerly on
the same batch, so no batch is skipped.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import sys
from collections.abc import Callable, Iterator
from typing import Any

import torch

from mgdsl.train.config import TrainConfig
from mgdsl.train.ddp import Dist
from mgdsl.train.errors import TrainError
from mgdsl.train.evaluate import autocast_for
from mgdsl.train.graphs import CaptureFailed, GraphedStep, graph_blockers, use_graphs
from mgdsl.train.losses import task_loss
from mgdsl.train.optim import build_optimizer, set_output_prior

__all__ = ["Stepper", "NonFiniteLoss"]

Batches = Iterator[tuple[torch.Tensor, torch.Tensor]]


class NonFiniteLoss(Exception):
    """The step's loss is NaN or infinite (`applied`: whether the update ran anyway)."""

    def __init__(self, value: float, *, applied: bool) -> None:
        super().__init__(value)
        self.value = value
        self.applied = applied


class Stepper:
    """Runs optimiser steps of `model` on a task of `kind` with `config`'s settings."""

    def __init__(self, model: torch.nn.Module, kind: Any, config: TrainConfig, *, dist: Dist,
                 device: torch.device) -> None:
        self.kind = kind
        self.config = config
        self.dist = dist
        self.device = device
        self.model = model.to(device)
        # NHWC is the measured fast path on CPU (docs/benchmarks.md); CUDA keeps NCHW unless asked
        self.channels_last = (config.channels_last if config.channels_last is not None
                              else device.type == "cpu")
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        if config.output_prior is not None:
            set_output_prior(self.model, config.output_prior)
        blockers = graph_blockers(device=device, world_size=dist.world_size,
                                  iter_size=config.iter_size, amp=config.amp,
                                  amp_dtype=config.amp_dtype, compile=config.compile,
                                  model=self.model)
        try:
            self.graphs = use_graphs(config.cuda_graphs, blockers)
        except ValueError as exc:
            raise TrainError(str(exc), hint="drop --cuda-graphs") from exc
        self.optimizer = build_optimizer(self.model.parameters(), config, capturable=self.graphs)
        fp16_cuda = config.amp and config.amp_dtype == "fp16" and device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda") if fp16_cuda else None
        self.graphed: GraphedStep | None = None
        self.forward_model: torch.nn.Module = self.model

    def prepare(self) -> None:
        """Wrap the model for several processes and `torch.compile`, as the config asks."""
        self.ddp_model = self.dist.wrap(self.model, self.device)
        self.forward_model = (torch.compile(self.ddp_model) if self.config.compile
                              else self.ddp_model)
        self.forward_model.train()

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """The model's, optimiser's and scaler's states, as a checkpoint holds them."""
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
        }

    def load_optimizer(self, data: dict[str, Any]) -> None:
        """Restore the optimiser and scaler from a checkpoint (the model is loaded apart)."""
        self.optimizer.load_state_dict(data["optimizer"])
        if self.scaler is not None and data.get("scaler"):
            self.scaler.load_state_dict(data["scaler"])

    def all_finite(self) -> bool:
        """True when every parameter is finite."""
        return all(bool(torch.isfinite(p).all()) for p in self.model.parameters())

    # ------------------------------------------------------------------ steps

    def step(self, batches: Batches, lr: float, stop: Callable[[], bool]) -> tuple[float, bool]:
        """One optimiser step at `lr` on the next batches; returns its loss (the mean over
        processes) and whether any process was asked to stop (`stop()` on this one).
        Raises `NonFiniteLoss`."""
        if self.graphs:
            x, y = next(batches)
            try:
                value = float(self._graphed_step(x, y, lr))
            except CaptureFailed as exc:
                self._fall_back(exc)
                return self._eager_step(itertools.chain([(x, y)], batches), lr, stop)
            if not math.isfinite(value):
                # the captured optimiser step has run: the weights are gone, the checkpoint is not
                raise NonFiniteLoss(value, applied=True)
            return value, stop()
        return self._eager_step(batches, lr, stop)

    def _fall_back(self, exc: CaptureFailed) -> None:
        """Train eagerly from now on, after one warning line."""
        self.graphs = False
        self.graphed = None
        if self.dist.is_main and not self.config.quiet:
            print(f"warning: CUDA graph capture failed ({exc}); training on without graphs",
                  file=sys.stderr, flush=True)

    def _graphed_step(self, x: torch.Tensor, y: torch.Tensor, lr: float) -> torch.Tensor:
        """One optimiser step through the CUDA graph (warm-up steps run eagerly)."""
        if self.graphed is None:
            cfg = self.config
            self.graphed = GraphedStep(
                self.model, self.optimizer, self.kind, device=self.device,
                channels_last=self.channels_last, lr=lr,
                autocast=lambda: autocast_for(self.device, cfg.amp, cfg.amp_dtype, cache=False),
                check=lambda out, target: task_loss(self.kind, out, target),
            )
        return self.graphed.step(x, y, lr)

    def _eager_step(self, batches: Batches, lr: float,
                    stop: Callable[[], bool]) -> tuple[float, bool]:
        cfg = self.config
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.optimizer.zero_grad(set_to_none=True)
        step_loss = 0.0
        stopping = False
        for micro in range(cfg.iter_size):
            x, y = next(batches)
            last = micro == cfg.iter_size - 1
            sync = (contextlib.nullcontext() if last or not self.dist.enabled
                    else self.ddp_model.no_sync())
            with sync:
                value, asked = self._micro_step(x, y, stop())
            step_loss += value / cfg.iter_size
            stopping = stopping or asked
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        return step_loss, stopping

    def _micro_step(self, x: torch.Tensor, y: torch.Tensor, stop: bool) -> tuple[float, bool]:
        cfg = self.config
        x = x.to(self.device, non_blocking=True)
        y = y.to(self.device, non_blocking=True)
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        with autocast_for(self.device, cfg.amp, cfg.amp_dtype):
            out = self.forward_model(x)
        loss = task_loss(self.kind, out, y)  # float32, outside autocast
        mean, asked = self.dist.mean_and_any(loss.detach(), stop)
        value = float(mean)
        if not math.isfinite(value):
            raise NonFiniteLoss(value, applied=False)
        scaled = loss / cfg.iter_size
        if self.scaler is not None:
            self.scaler.scale(scaled).backward()
        else:
            scaled.backward()
        return value, asked
