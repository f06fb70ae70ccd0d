"""Multi-process data parallelism through `torchrun` and `DistributedDataParallel`.

``torchrun --nproc_per_node=N -m mgdsl train ...`` starts N processes with ``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT`` set. `Dist.from_env`
reads them; `Dist.setup` joins the process group (``gloo`` on CPU, ``nccl`` on CUDA, where
each process takes GPU ``LOCAL_RANK``). Each rank draws its own shard of the synthetic
stream (``task.train_batches(..., rank=r, world_size=w)``) with ``batch_size / w`` samples
per mini-batch, so the global batch stays the paper's; only rank 0 evaluates and writes files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from mgdsl.train.errors import TrainError

__all__ = ["Dist"]


@dataclass
class Dist:
    """This process's place in a (possibly one-process) data-parallel job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1

    @property
    def enabled(self) -> bool:
        """True when more than one process takes part."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True on rank 0, the process that evaluates, prints and writes files."""
        return self.rank == 0

    @classmethod
    def from_env(cls) -> Dist:
        """Read ``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` (set by torchrun); one process if unset."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", str(rank)))
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
        return cls(rank=rank, world_size=world, local_rank=local, local_world_size=local_world)

    def device(self, requested: str) -> torch.device:
        """The device of this rank for a ``--device`` value (``auto``, ``cpu``, ``cuda[:N]``).

        ``auto`` is CUDA when every process of this node can have a GPU of its own, else the
        CPU for all of them (every rank sees the same count, so they agree). ``cuda`` gives
        rank r of a node GPU r; a `TrainError` when the node has fewer GPUs than processes.
        """
        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if requested == "auto":
            needed = self.local_world_size if self.enabled else 1
            requested = "cuda" if gpus >= needed else "cpu"
        device = torch.device(requested)
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda", self.local_rank if self.enabled else 0)
        if device.type == "cuda" and gpus and device.index >= gpus:
            raise TrainError(
                f"process {self.rank} needs GPU {device.index}, but this machine has {gpus}",
                hint="start at most one process per GPU (torchrun --nproc_per_node), "
                "or train on the CPU with --device cpu",
            )
        return device

    def setup(self, device: torch.device) -> bool:
        """Join the process group (gloo on CPU, nccl on CUDA) unless one exists already.

        Returns True when this call created the group (so the caller should `teardown` it).
        """
        if not self.enabled:
            return False
        if device.type == "cuda":
            torch.cuda.set_device(device)
        if dist.is_initialized():
            return False
        if device.type == "cuda":
            dist.init_process_group("nccl", device_id=device)
        else:
            dist.init_process_group("gloo")
        return True

    def teardown(self) -> None:
        """Leave the process group (after a `setup` that created it). The ranks meet at a
        barrier first: one rank tearing gloo down while another is still inside a
        collective aborts the process ("terminate called without an active exception")."""
        if dist.is_initialized():
            try:
                dist.barrier()
            finally:
                dist.destroy_process_group()

    def abandon(self) -> None:
        """Leave the process group after a failure, without the barrier of `teardown`: the
        other ranks may be inside a collective that this rank will never join, and closing
        the group ends it for them with an error instead of a wait."""
        if dist.is_initialized():
            dist.destroy_process_group()

    def wrap(self, model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
        """`model` wrapped in DistributedDataParallel when several processes take part."""
        if not self.enabled:
            return model
        from torch.nn.parallel import DistributedDataParallel

        ids = [device.index] if device.type == "cuda" else None
        # networks whose dead grids hold parameters (set by `build_model`) need DDP to
        # look for parameters without gradients; the others skip that per-step search
        unused = bool(getattr(model, "mgdsl_unused_parameters", False))
        return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=unused)

    def mean(self, value: torch.Tensor) -> torch.Tensor:
        """The mean of a tensor over all ranks (the tensor itself with one process)."""
        if not self.enabled:
            return value
        value = value.detach().clone()
        dist.all_reduce(value, op=dist.ReduceOp.SUM)
        return value / self.world_size

    def mean_and_any(self, value: torch.Tensor, flag: bool) -> tuple[torch.Tensor, bool]:
        """The mean of a one-element tensor over all ranks, and whether `flag` is set on any
        rank, in one all-reduce (the mean is bit-identical to `mean`'s)."""
        if not self.enabled:
            return value, flag
        both = torch.stack([value.detach().reshape(()).float(),
                            torch.tensor(float(flag), device=value.device)])
        dist.all_reduce(both, op=dist.ReduceOp.SUM)
        return both[0] / self.world_size, bool(both[1] > 0)

    def barrier(self) -> None:
        """Wait for every rank (no-op with one process)."""
        if self.enabled:
            dist.barrier()
