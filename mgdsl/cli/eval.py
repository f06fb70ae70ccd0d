"""`mgdsl eval [FILE|NAME] --checkpoint PATH`: the paper's test metrics of a trained network.

Segmentation tasks report mean IoU and mean error exactly as the paper's notebook computes
them (Tables 2-3), classification top-1 / top-5 error (Tables 1 and 4). Prints a table, writes
``eval.json``; with ``--attention`` also Figure-6-style occlusion-sensitivity maps
(``attention-<i>.png``) and a Figure-5-style input / target / prediction grid
(``examples.png``) for the ``--samples``. The network, its parameters and the task default
to those stored in the checkpoint. Torch is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import sys

from mgdsl.cli.common import positive_int
from mgdsl.cli.sets import add_set_argument
from mgdsl.cli.train import add_data_arguments, add_task_argument

__all__ = ["register", "run", "parse_samples"]


def parse_samples(text: str) -> list[int]:
    """``"0,1,5"`` -> ``[0, 1, 5]``; argparse error for anything but non-negative integers."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated sample numbers, got {text!r}") from exc
    if not values or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected non-negative sample numbers, got {text!r}")
    return values


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `eval` verb to the top-level parser."""
    p = subparsers.add_parser(
        "eval",
        help="evaluate a trained network: the paper's metrics, attention maps",
        description="Evaluate a checkpoint on a task's test set with the paper's metrics "
        "(mean IoU / mean error, or top-1 / top-5 error).",
    )
    p.add_argument("target", nargs="?", metavar="FILE|NAME",
                   help="the network (default: the one stored in the checkpoint)")
    p.add_argument("--checkpoint", metavar="PATH",
                   help="checkpoint.pt of a run (default runs/<model>-<task>/checkpoint.pt)")
    add_task_argument(p, required=False, help="test set (default: the checkpoint's task)")
    p.add_argument("--network", metavar="NAME", help="network of a file that defines several")
    add_set_argument(p, help="override a network parameter (default: the checkpoint's), "
                     "e.g. --set n=2 or --set units=[2,2,2,2]")
    p.add_argument("--limit", type=positive_int, metavar="N", help="evaluate the first N test samples")
    p.add_argument("--batch-size", type=positive_int, default=64, metavar="N")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--amp", action="store_true", help="mixed-precision inference")
    p.add_argument("--ten-crop", action="store_true",
                   help="ImageNet: average the outputs of ten crops per image (corners, "
                   "centre and their mirror images) instead of the centre crop")
    p.add_argument("--attention", action="store_true",
                   help="write occlusion-sensitivity maps and an examples figure (MNIST tasks)")
    p.add_argument("--samples", type=parse_samples, default=[0, 1, 2], metavar="I,J,...",
                   help="test samples for --attention (default 0,1,2)")
    p.add_argument("--seed", type=int, default=0, help="seed of the occlusion noise")
    p.add_argument("--out", metavar="DIR", help="where to write (default: the checkpoint's folder)")
    p.add_argument("--json", action="store_true", help="print the results as JSON, not a table")
    add_data_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run `mgdsl eval`; returns the exit code (errors are raised as MgError)."""
    import json
    from pathlib import Path

    from mgdsl.cli.sets import parse_sets
    from mgdsl.data.registry import TASKS
    from mgdsl.oserrors import os_errors
    from mgdsl.train import build
    from mgdsl.train.checkpoint import load_checkpoint
    from mgdsl.train.ddp import Dist
    from mgdsl.train.errors import TrainError
    from mgdsl.train.evaluate import evaluate
    from mgdsl.train.report import results_table, write_json

    if args.checkpoint:
        checkpoint = Path(args.checkpoint)
    elif args.target and args.task:
        checkpoint = build.default_out_dir(args.target, args.task) / "checkpoint.pt"
    else:
        raise TrainError("which checkpoint?", hint="pass --checkpoint PATH (or FILE|NAME and --task)")
    data = load_checkpoint(checkpoint)
    spec = data.get("model_spec") or {}
    target = args.target or spec.get("target")
    if not target:
        raise TrainError(f"`{checkpoint}` does not name its network", hint="pass FILE|NAME")
    params = dict(spec.get("params") or {}) if target == spec.get("target") else {}
    params.update(parse_sets(args.sets))
    network = args.network or (spec.get("network") if target == spec.get("target") else None)
    task_name = args.task or data.get("task")
    if task_name not in TASKS:
        raise TrainError(f"unknown task {task_name!r} in `{checkpoint}`", hint="pass --task")
    ir = build.load_network(target, params, network, task=task_name)
    task = build.build_task(task_name, data_dir=args.data_dir, mnist_dir=args.mnist_dir,
                            train_size=args.train_size, test_size=args.test_size,
                            ten_crop=args.ten_crop)
    model = _load_weights(ir, task, f"{target} with parameters {params}", data, checkpoint)
    device = Dist().device(args.device)
    if device.type == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise TrainError("--device cuda was requested but no CUDA device is available")
    model = model.to(device)
    results = evaluate(model, task, batch_size=args.batch_size, limit=args.limit, device=device,
                       amp=args.amp)
    out_dir = Path(args.out) if args.out else checkpoint.parent
    given = args.out or args.checkpoint
    with os_errors(out_dir, action="create", what="the output folder", given=given):
        out_dir.mkdir(parents=True, exist_ok=True)
    record = {
        "model": {"target": target, "params": params, "network": network},
        "task": task_name,
        "checkpoint": str(checkpoint),
        "step": data.get("step"),
        "limit": args.limit,
        "ten_crop": args.ten_crop,
        "results": results,
    }
    with os_errors(out_dir, action="write", what="the results", given=given):
        files = [write_json(out_dir / "eval.json", record)]
        if args.attention:
            files += _attention(model, task, args.samples, out_dir, device, args.seed)
    if args.json:
        print(json.dumps(json.loads((out_dir / "eval.json").read_text()), indent=2))
    else:
        title = f"{build.network_title(target, ir)} on {task_name} (step {data.get('step')})"
        sys.stdout.write(results_table(results, title=title))
        print("wrote " + ", ".join(str(f) for f in files))
    return 0


def _load_weights(ir, task, description, data, checkpoint):
    """Build the network and load the checkpoint's weights, with a clear error on mismatch."""
    from mgdsl.train.build import build_model
    from mgdsl.train.checkpoint import load_model_state

    model, _ = build_model(ir, task)
    load_model_state(model, data["model"], checkpoint, description)
    return model


def _attention(model, task, samples, out_dir, device, seed):
    """Occlusion maps (Figure 6) and an examples grid (Figure 5) for test `samples`."""
    import torch

    from mgdsl.data.attention import occlusion_maps, save_attention_png, save_examples_png
    from mgdsl.data.registry import TaskKind
    from mgdsl.data.synthetic import MNIST_MEAN, MNIST_STD, normalise_mnist
    from mgdsl.train.errors import TrainError
    from mgdsl.train.evaluate import predict

    if not TaskKind(task.kind).per_pixel:
        raise TrainError(f"--attention needs an MNIST task (mnist-seg or mnist-spt), not {task.name}",
                         hint="occlusion maps probe output pixels, so they need per-pixel outputs")
    if max(samples) >= task.test_size:
        raise TrainError(f"sample {max(samples)} is outside the test set of {task.test_size}",
                         hint=f"pick --samples below {task.test_size}")
    wanted = set(samples)
    found: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
    start = 0
    for x, y in task.test_batches(64, limit=max(samples) + 1):
        for j in range(x.shape[0]):
            if start + j in wanted:
                found[start + j] = (x[j], y[j])
        start += x.shape[0]
    inputs = torch.stack([found[i][0] for i in samples])
    targets = torch.stack([found[i][1] for i in samples])
    preds = predict(model, inputs, device=device).cpu()
    files = [save_examples_png(out_dir / "examples.png", inputs, targets, preds)]
    generator = torch.Generator().manual_seed(seed)
    print(f"occlusion maps: {len(samples)} sample(s), one forward pass per 8x8 occluder position "
          "(841 on 64x64) each ...", file=sys.stderr, flush=True)
    for i, image in zip(samples, inputs, strict=True):
        raw = image * MNIST_STD + MNIST_MEAN  # back to [0, 1] intensities
        maps, points = occlusion_maps(model, raw, normalise=normalise_mnist, generator=generator)
        files.append(save_attention_png(out_dir / f"attention-{i}.png", raw, maps, points))
    return files
