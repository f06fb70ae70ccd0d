"""`mgdsl train` with CUDA graphs against the model-step CUDA-graph rate, in one run.

For each network: the CUDA-graph model step of `benchmarks.device` (bf16 + channels_last,
``torch.compile(mode="reduce-overhead")``, a fixed random batch) and then `mgdsl train`
itself (`mgdsl.train.loop.train`, ``cuda_graphs=True``, bf16 autocast, channels_last, the
synthetic MNIST task with `data_workers` processes making the batches, no evaluation),
timed on the same device in the same process. The ratio ``train / model step`` says how
much of the captured step's speed the training loop keeps (issue 17's target: 0.8). The
training rate is the loop's own ``images_per_second`` over the epochs after the first
(warm-up and capture happen in the first).

Without a CUDA device the section is skipped with a note (`run_train_graphs` returns
``{"skipped": ...}``): CUDA graphs exist only there.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch

__all__ = ["run_train_graphs"]


def _train_rate(name: str, batch: int, steps: int, workers: int) -> float:
    """images/s of `mgdsl train` on `name` (zoo name ending in -seg or -spt) with graphs."""
    from mgdsl.train.build import build_model, build_task, load_network
    from mgdsl.train.config import TrainConfig
    from mgdsl.train.loop import train

    task_name = "mnist-seg" if name.endswith("-seg") else "mnist-spt"
    task = build_task(task_name)
    task.workers = workers
    model, _ = build_model(load_network(name, {}, task=task_name), task)
    config = TrainConfig(task.name, epochs=3, iters_per_epoch=steps, batch_size=batch,
                         device="cuda", amp=True, amp_dtype="bf16", channels_last=True,
                         cuda_graphs=True, lr_schedule="constant", eval_every=0,
                         progress=False, quiet=True)
    with tempfile.TemporaryDirectory() as out:
        result = train(model, task, config, Path(out))
    later = result.epochs[1:]
    return sum(r["images_per_second"] for r in later) / len(later)


def run_train_graphs(nets: list[str], *, steps: int = 50, rounds: int = 3,
                     workers: int = 4) -> dict:
    """Rows of (net, batch, model-step images/s, train images/s, ratio), or a skip note."""
    if not torch.cuda.is_available():
        return {"skipped": "no CUDA device: CUDA graphs run only there"}
    from benchmarks.device import make_step
    from benchmarks.harness import interleave, median
    from benchmarks.nets import NETS

    torch.backends.cudnn.benchmark = True
    device = torch.device("cuda")
    rows = []
    for net in [n for n in NETS if n.name in nets]:
        step = make_step(net, device, net.batch, "cuda_graphs_bf16_cl", 10)
        step()  # compiles and records
        model_rate = net.batch * 10 / median(interleave({"step": step}, rounds, 1)["step"])
        del step
        torch.cuda.empty_cache()
        train_rate = _train_rate(net.name, net.batch, steps, workers)
        rows.append({"net": net.name, "batch": net.batch, "model_step_images_s": model_rate,
                     "train_images_s": train_rate, "ratio": train_rate / model_rate})
        torch.cuda.empty_cache()
    return {"rows": rows, "steps": steps, "workers": workers}
