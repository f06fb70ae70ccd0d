"""All of Table 2 on one GPU: the six segmentation models at the paper's full schedule,
trained concurrently with CUDA graphs, evaluated every 10 epochs on the whole test set.

    python examples/table2_gpu.py --dry-run            # the plan, on any machine (no torch)
    python examples/table2_gpu.py --out runs/table2-gpu  # needs a CUDA device

Each model is one `mgdsl train` process with the paper's settings (200 epochs × 150 SGD
steps of 64, the LR rule of its family, `--lr-schedule paper`) plus `--cuda-graphs`, bf16
autocast and `channels_last`, `--eval-every 10` (whole test set) and `--data-workers`
processes making its batches. All six run at once and share the GPU. Then the script
writes OUT/table2.md (final mean IoU / mean error beside the paper's, the sub-threshold
signals) and OUT/curves.png (test mean IoU and foreground class accuracy over epochs).

The plan's images/s are assumptions, printed with where they come from: the H200
CUDA-graph model-step rates of docs/benchmarks.md (bf16 + channels_last,
`torch.compile(mode="reduce-overhead")`, measured for PMG-11-seg, U-NET-11-seg and
R-PMG-20-spt), or for models without a measurement their MACs at the lowest model
throughput measured there (97 TFLOP/s); times `--efficiency`, the share of that rate
`mgdsl train` is assumed to reach (0.8, the target of issue 17 — `mgdsl train --cuda-graphs`
has NOT run on a GPU yet). Concurrent processes share the GPU, so the plan's wall time is
the sum of the models' times alone (no overlap gain assumed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

MODELS = ["U-NET-11", "U-MG-11", "SG-11", "R-SG-20", "PMG-11", "R-PMG-20"]
TASK = "mnist-seg"
EPOCHS, ITERS, BATCH = 200, 150, 64
TEST_IMAGES = 1000

#: images/s of the CUDA-graph model step on one H200 (docs/benchmarks.md, second session)
MEASURED_H200 = {
    "PMG-11-seg": (10_070, "measured (PMG-11-seg)"),
    "U-NET-11-seg": (23_650, "measured (U-NET-11-seg)"),
    "R-PMG-20-seg": (5_216, "measured on R-PMG-20-spt (same body)"),
}
#: the lowest model throughput of those measurements, for models without one
FLOOR_TFLOPS = 97.0

#: the paper's (mean IoU %, mean error %) in Table 2
PAPER = {"R-PMG-20-seg": (81.91, 8.89)}


def plan(models: list[str], *, epochs: int, efficiency: float) -> list[dict]:
    """Per model: MACs, assumed images/s (and where it comes from), images, minutes alone."""
    import mgdsl

    rows = []
    for base in models:
        name = f"{base}-seg"
        macs = mgdsl.stats(mgdsl.load(name)).live_macs
        if name in MEASURED_H200:
            rate, source = MEASURED_H200[name]
        else:
            rate = FLOOR_TFLOPS * 1e12 / (6 * macs)
            source = f"estimated: {macs / 1e9:.2f} GMAC at {FLOOR_TFLOPS:.0f} TFLOP/s"
        images = epochs * ITERS * BATCH
        evals = epochs // 10 + (epochs % 10 != 0)
        assumed = rate * efficiency
        # an evaluation is a forward pass (a third of a training step's work) of the test set
        seconds = images / assumed + evals * TEST_IMAGES / (3 * assumed)
        rows.append({"model": name, "macs": macs, "model_step_rate": rate, "source": source,
                     "assumed_rate": assumed, "images": images, "minutes_alone": seconds / 60})
    return rows


def print_plan(rows: list[dict], efficiency: float) -> None:
    """The plan as a table, with the total minutes of the concurrent run."""
    print(f"Table 2 on one GPU: {len(rows)} models, {EPOCHS} epochs x {ITERS} steps x {BATCH} "
          f"images each, evaluated every 10 epochs on {TEST_IMAGES} test images")
    print(f"assumed rate = H200 CUDA-graph model-step rate x {efficiency:g} (mgdsl train's "
          "share, unmeasured: --cuda-graphs has not run on a GPU yet)")
    print(f"{'model':<14} {'GMAC':>6} {'step img/s':>11} {'assumed':>8} {'minutes':>8}  source")
    for r in rows:
        print(f"{r['model']:<14} {r['macs'] / 1e9:>6.2f} {r['model_step_rate']:>11,.0f} "
              f"{r['assumed_rate']:>8,.0f} {r['minutes_alone']:>8.1f}  {r['source']}")
    total = sum(r["minutes_alone"] for r in rows)
    print(f"all {len(rows)} at once, sharing the GPU: about {total:.1f} minutes "
          "(the sum of the times alone; no overlap gain assumed)")


def command(row: dict, out: Path, args: argparse.Namespace) -> list[str]:
    """The `mgdsl train` command line of one model."""
    return [args.mgdsl, "train", row["model"], "--task", TASK, "--device", args.device,
            "--epochs", str(args.epochs), "--lr-schedule", "paper", "--cuda-graphs", "--amp",
            "--amp-dtype", "bf16", "--channels-last", "--eval-every", "10",
            "--data-workers", str(args.data_workers), "--out", str(out / row["model"]),
            "--overwrite", "--no-progress"]


def table(out: Path, rows: list[dict]) -> str:
    """Markdown: each model's last evaluation beside the paper's."""
    lines = ["| model | mean IoU % | mean error % | paper IoU / error % | IoU at 0.3 % | "
             "fg class acc % | test BCE (base rate) | epochs | train min |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        path = out / r["model"] / "metrics.json"
        if not path.exists():
            lines.append(f"| {r['model']} | – | – | – | – | – | – | 0 | – |")
            continue
        epochs = json.loads(path.read_text())["epochs"]
        last = next((e for e in reversed(epochs) if "test_mean_iou" in e), {})
        paper = PAPER.get(r["model"])
        minutes = sum(e.get("train_seconds", 0.0) for e in epochs) / 60

        def pct(key: str, row: dict = last) -> str:
            value = row.get(key)
            return "–" if value is None else f"{100 * value:.2f}"

        lines.append(
            f"| {r['model']} | {pct('test_mean_iou')} | {pct('test_mean_error')} | "
            f"{f'{paper[0]:.2f} / {paper[1]:.2f}' if paper else '–'} | "
            f"{pct('test_mean_iou_at_0.3')} | {pct('test_fg_class_accuracy')} | "
            f"{last.get('test_loss', float('nan')):.4f} ({last.get('test_base_bce', float('nan')):.4f}) | "
            f"{epochs[-1]['epoch'] if epochs else 0} | {minutes:.1f} |")
    return "\n".join(lines) + "\n"


def curves(out: Path, rows: list[dict]) -> Path:
    """OUT/curves.png: test mean IoU and foreground class accuracy over epochs, per model."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4), dpi=100)
    FigureCanvasAgg(fig)
    panels = [("test_mean_iou", "mean IoU % (paper's, at 0.5)"),
              ("test_fg_class_accuracy", "foreground class accuracy %")]
    for i, (key, label) in enumerate(panels):
        ax = fig.add_subplot(1, 2, i + 1)
        for r in rows:
            path = out / r["model"] / "metrics.json"
            if not path.exists():
                continue
            points = [(e["epoch"], 100 * e[key]) for e in json.loads(path.read_text())["epochs"]
                      if e.get(key) is not None]
            if points:
                ax.plot(*zip(*points, strict=True), "o-", ms=3, label=r["model"])
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "curves.png"
    fig.savefig(path)
    return path


def main(argv: list[str] | None = None) -> int:
    """Print the plan; unless --dry-run, run it and write the table and the curves."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dry-run", action="store_true", help="print the plan only")
    ap.add_argument("--out", type=Path, default=Path("runs/table2-gpu"))
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    ap.add_argument("--epochs", type=int, default=EPOCHS, help="the paper's: 200")
    ap.add_argument("--efficiency", type=float, default=0.8,
                    help="share of the model-step rate assumed for mgdsl train (plan only)")
    ap.add_argument("--data-workers", type=int, default=2, help="per model")
    ap.add_argument("--mgdsl", default=str(Path(sys.executable).parent / "mgdsl"))
    args = ap.parse_args(argv)
    if args.epochs < 1 or not 0 < args.efficiency <= 1:
        ap.error("--epochs must be positive and --efficiency in (0, 1]")
    rows = plan(args.models, epochs=args.epochs, efficiency=args.efficiency)
    print_plan(rows, args.efficiency)
    if args.dry_run:
        for r in rows:
            print(" ".join(command(r, args.out, args)))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "logs").mkdir(exist_ok=True)
    started = time.monotonic()
    procs = {}
    for r in rows:
        log = (args.out / "logs" / f"{r['model']}.log").open("w")
        procs[r["model"]] = subprocess.Popen(command(r, args.out, args), stdout=log,
                                             stderr=subprocess.STDOUT, env=dict(os.environ))
    failed = [name for name, proc in procs.items() if proc.wait() != 0]
    minutes = (time.monotonic() - started) / 60
    (args.out / "table2.md").write_text(table(args.out, rows))
    curves(args.out, rows)
    print(table(args.out, rows))
    print(f"{minutes:.1f} minutes; wrote {args.out}/table2.md, {args.out}/curves.png")
    if failed:
        print("failed (see logs/): " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
