"""Checkpoints: atomic writes, `weights_only` loading and the random-number-generator states.

A checkpoint is a dict of tensors, dicts, lists, numbers and strings only, so that
``torch.load(path, weights_only=True)`` reads it. Keys:

``format`` ("mgdsl-checkpoint"), ``version``, ``model_spec`` ({"target", "params"}), ``task``,
``config`` (a `TrainConfig` as a dict), ``world_size``, ``step`` (optimiser steps done),
``model`` (state dict), ``optimizer``, ``scaler`` (fp16 grad scaler or None), ``rng``
(torch, CUDA, numpy and Python generator states), ``losses`` (float64 tensor, one loss per
step), ``epochs`` (the per-epoch metric rows so far) and ``epoch_progress`` (images, seconds
and loss sum of the epoch in progress).

`save_atomic` writes to a temporary file in the same directory, flushes and fsyncs it, then
`os.replace`s it over the target, so a reader (or a run killed half-way through a save)
always sees either the old or the new checkpoint, never a torn one.
"""

from __future__ import annotations

import errno
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mgdsl.atomic import write_atomic
from mgdsl.errors import MgFileError
from mgdsl.oserrors import file_error, os_errors

__all__ = [
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_NAME",
    "save_atomic",
    "write_text_atomic",
    "load_checkpoint",
    "capture_rng",
    "restore_rng",
]

CHECKPOINT_FORMAT = "mgdsl-checkpoint"
CHECKPOINT_VERSION = 1
CHECKPOINT_NAME = "checkpoint.pt"


def save_atomic(obj: Any, path: str | os.PathLike[str]) -> Path:
    """`torch.save` `obj` to `path` atomically (temporary file, fsync, `os.replace`)."""
    return write_atomic(path, lambda handle: torch.save(obj, handle))


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` to `path` atomically, like `save_atomic` (for CSV and JSON reports)."""
    return write_atomic(path, text)


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True``; MgFileError when missing (E601), a
    folder (E610), unreadable (E611-E614) or not ours (E606)."""
    path = Path(path)
    if not path.exists():
        raise MgFileError(
            f"checkpoint `{path}` does not exist",
            code="E601",
            hint="train first (`mgdsl train ... --out DIR`) or pass the right --checkpoint",
        )
    if path.is_dir():
        hint = (f"pass the checkpoint file in it: {path / CHECKPOINT_NAME}"
                if (path / CHECKPOINT_NAME).is_file() else "pass a checkpoint.pt file")
        raise file_error(IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path)),
                         path, action="read", what="the checkpoint", given=str(path), hint=hint)
    with os_errors(path, action="read", what="the checkpoint", given=str(path)):
        handle = path.open("rb")
    try:
        with handle:
            data = torch.load(handle, map_location="cpu", weights_only=True)
    except OSError as exc:
        raise file_error(exc, path, action="read", what="the checkpoint", given=str(path)) from exc
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad file
        raise MgFileError(
            f"cannot read checkpoint `{path}` ({type(exc).__name__})",
            code="E606",
            hint="the file is damaged or was not written by `mgdsl train`",
        ) from exc
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise MgFileError(
            f"`{path}` is not an mgdsl checkpoint",
            code="E606",
            hint="checkpoints are the `checkpoint.pt` files that `mgdsl train` writes",
        )
    return data


def capture_rng() -> dict[str, Any]:
    """The states of torch's CPU and CUDA generators, numpy's and Python's, as safe types."""
    np_kind, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    py_version, py_state, py_gauss = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "kind": str(np_kind),
            "keys": torch.from_numpy(np.asarray(np_keys, dtype=np.int64)),
            "pos": int(np_pos),
            "has_gauss": int(np_has_gauss),
            "gauss": float(np_gauss),
        },
        "python": {"version": int(py_version), "state": list(py_state), "gauss": py_gauss},
        "cuda": [],
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = list(torch.cuda.get_rng_state_all())
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Set every generator back to a `capture_rng` state."""
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(
        (n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"])
    )
    p = state["python"]
    random.setstate((p["version"], tuple(p["state"]), p["gauss"]))
    cuda_states = state.get("cuda") or []
    if cuda_states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda_states[: torch.cuda.device_count()])


def load_model_state(model: torch.nn.Module, state: dict[str, Any], checkpoint: Any,
                     what: str) -> None:
    """Load `state` into `model`, turning a key or shape mismatch into a clear error
    (`what` names the model in the message, e.g. "this model" or "MG-16 with ...")."""
    from mgdsl.train.errors import CheckpointMismatchError

    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointMismatchError(
            f"the checkpoint `{checkpoint}` does not fit {what}",
            notes=str(exc).splitlines()[:6],
            hint="pass the same network and --set parameters as the run that wrote it",
        ) from exc
