"""Train the models of Tables 2 and 3 side by side for a fixed wall-clock budget, then evaluate.

    python examples/budget_sweep.py --minutes 4 --device cuda --out runs/gpu

The paper's MNIST networks are small enough for one GPU to train all eleven at once, each
in its own `mgdsl train` process. A time budget does not fit the LR rules, which need the
number of steps up front, so the sweep plans the steps, then runs in three phases:

1. probe: the most expensive model trains two epochs of `--probe-steps` steps alone; its
   images/s in the second (warm: cuDNN has chosen its kernels) times its FLOPs per image
   is the device's throughput on these networks;
2. train: processes sharing a GPU get about equal time on it (measured on an H200: each of
   eleven got 0.51-0.71 TMAC/s), so every model gets the steps that an equal share of
   `--concurrency-gain` times that throughput does in the budget (eleven processes
   together did 1.57 times the probe's rate on an H200: one `mgdsl train` process leaves
   the GPU partly idle; the default 1.0 plans for no gain, so runs end early, not late)
   (`--epochs` epochs, the LR rule of its family scaled to the run, ``--lr-schedule
   scaled``, as in examples/reproduce.sh; ``--train-arg=--lr-schedule=paper`` overrides
   it), all at once; a run still going at 1.25 times the budget plus a minute is stopped
   and its last epoch's checkpoint evaluated;
3. evaluate: `mgdsl eval` on the test set, then the tables of examples/collect_results.py.

(A first version probed every model at once instead; the processes started seconds apart,
so each probe saw a partly idle GPU and the plans were 1.2-4.6 times too long.)

Outputs: OUT/table2/<model>-seg, OUT/table3/<model>-spt (as examples/reproduce.sh writes
them), OUT/probe/, OUT/logs/ and OUT/sweep.json (MACs, planned and done steps per model).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from collect_results import markdown

import mgdsl

TABLES = {
    "2": ("mnist-seg", "seg", ["U-NET-11", "U-MG-11", "SG-11", "R-SG-20", "PMG-11", "R-PMG-20"]),
    "3": ("mnist-spt", "spt", ["U-NET-11", "SG-11", "R-SG-20", "PMG-11", "R-PMG-20"]),
}


def jobs(tables: list[str], only: set[str] | None) -> list[dict]:
    """The (table, task, zoo name) of every model to run."""
    out = []
    for table in tables:
        task, suffix, models = TABLES[table]
        for base in models:
            if only is None or base in only or f"{base}-{suffix}" in only:
                out.append({"table": table, "task": task, "model": f"{base}-{suffix}"})
    return out


def plan_steps(todo: list[dict], macs_per_second: float, seconds: float, batch_size: int,
               epochs: int) -> None:
    """Set each job's `iters_per_epoch` and `planned_steps`: the steps an equal share of
    `macs_per_second` does in `seconds` at the job's `macs` per image (at least one per epoch)."""
    for j in todo:
        steps = int(macs_per_second / len(todo) * seconds / j["macs"] / batch_size)
        j["iters_per_epoch"] = max(1, steps // epochs)
        j["planned_steps"] = j["iters_per_epoch"] * epochs


def launch(args: list[str], log: Path, threads: int) -> subprocess.Popen:
    """Start `python -m mgdsl ARGS` with its output in `log`."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), PYTHONUNBUFFERED="1")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as handle:
        return subprocess.Popen([sys.executable, "-m", "mgdsl", *args], stdout=handle,
                                stderr=subprocess.STDOUT, env=env)


def wait_all(procs: dict[str, subprocess.Popen], deadline: float) -> dict[str, int | None]:
    """Wait for every process until `deadline` (time.monotonic); stop the rest.
    Returns each exit code, None for a process that had to be stopped."""
    codes: dict[str, int | None] = {}
    for name, proc in procs.items():
        try:
            codes[name] = proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            codes[name] = None
    return codes


def epochs_of(run: Path) -> list[dict]:
    """The per-epoch records of a run's metrics.json (empty when there is none yet)."""
    path = run / "metrics.json"
    return json.loads(path.read_text()).get("epochs", []) if path.exists() else []


def say(text: str, started: float) -> None:
    """Progress line on stderr with the time since the sweep started."""
    print(f"[{time.monotonic() - started:6.0f} s] {text}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the sweep; exit 1 if any model failed to train or evaluate."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=4.0, help="training budget per model")
    ap.add_argument("--tables", nargs="+", choices=sorted(TABLES), default=sorted(TABLES))
    ap.add_argument("--models", nargs="+", help="only these (e.g. R-PMG-20 or PMG-11-seg)")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--batch-size", type=int, default=64, help="the paper's is 64")
    ap.add_argument("--epochs", type=int, default=10, help="epochs the steps are spread over")
    ap.add_argument("--probe-steps", type=int, default=20)
    ap.add_argument("--concurrency-gain", type=float, default=1.0,
                    help="throughput of all runs together / the probe's alone (H200, eleven "
                         "models: 1.57; the default plans for none)")
    ap.add_argument("--eval-limit", type=int, help="test samples (default: the whole test set)")
    ap.add_argument("--threads", type=int, help="CPU threads per process (default: cores / runs)")
    ap.add_argument("--train-arg", action="append", default=[],
                    help="extra argument for every `mgdsl train` (repeatable, e.g. --amp)")
    ap.add_argument("--out", type=Path, default=Path("runs/sweep"))
    args = ap.parse_args(argv)

    todo = jobs(args.tables, set(args.models) if args.models else None)
    if not todo:
        ap.error("no model selected")
    if args.concurrency_gain <= 0:
        ap.error("--concurrency-gain must be positive")
    threads = args.threads or max(1, (os.cpu_count() or 1) // len(todo))
    started = time.monotonic()
    common = ["--device", args.device, "--batch-size", str(args.batch_size), "--eval-every", "0",
              "--overwrite", "--no-progress", "--lr-schedule", "scaled", *args.train_arg]

    for j in todo:
        j["macs"] = mgdsl.stats(mgdsl.load(j["model"])).live_macs  # what the module computes
    probe = max(todo, key=lambda j: j["macs"])
    say(f"probe: {probe['model']} alone, 2 x {args.probe_steps} steps", started)
    proc = launch(["train", probe["model"], "--task", probe["task"], "--epochs", "2",
                   "--iters-per-epoch", str(args.probe_steps),
                   "--out", str(args.out / "probe" / probe["model"]), *common],
                  args.out / "logs" / f"probe-{probe['model']}.log", os.cpu_count() or 1)
    code = wait_all({"probe": proc}, time.monotonic() + 600)["probe"]
    history = epochs_of(args.out / "probe" / probe["model"])
    if code != 0 or not history:
        say(f"the probe failed (exit {code}); see logs/probe-{probe['model']}.log", started)
        return 1
    macs_per_second = history[-1]["images_per_second"] * probe["macs"]
    budget = 60 * args.minutes
    say(f"{probe['model']}: {history[-1]['images_per_second']:.0f} images/s alone = "
        f"{6 * macs_per_second / 1e12:.1f} TFLOP/s for training", started)
    plan_steps(todo, args.concurrency_gain * macs_per_second, budget, args.batch_size,
               args.epochs)
    for j in todo:
        say(f"{j['model']}: {j['macs'] / 1e9:.2f} GMACs per image -> {j['planned_steps']} steps",
            started)

    ready = todo
    say(f"train: {len(ready)} models for about {args.minutes:g} min", started)
    procs = {j["model"]: launch(["train", j["model"], "--task", j["task"],
                                 "--epochs", str(args.epochs),
                                 "--iters-per-epoch", str(j["iters_per_epoch"]),
                                 "--out", str(args.out / f"table{j['table']}" / j["model"]),
                                 *common],
                                args.out / "logs" / f"train-{j['model']}.log", threads)
             for j in ready}
    codes = wait_all(procs, time.monotonic() + 1.25 * budget + 60)
    for j in ready:
        run = args.out / f"table{j['table']}" / j["model"]
        history = epochs_of(run)
        j["train_exit"] = codes[j["model"]]
        j["done_steps"] = history[-1]["step"] if history else 0
        j["train_seconds"] = sum(e["train_seconds"] for e in history)
        if not (run / "checkpoint.pt").exists():
            j["error"] = f"no checkpoint (exit {codes[j['model']]}); see logs/train-{j['model']}.log"
        say(f"{j['model']}: {j['done_steps']}/{j['planned_steps']} steps in "
            f"{j['train_seconds']:.0f} s (exit {codes[j['model']]})", started)

    ready = [j for j in ready if "error" not in j]
    say(f"evaluate: {len(ready)} models", started)
    limit = ["--limit", str(args.eval_limit)] if args.eval_limit else []
    procs = {}
    for j in ready:
        run = args.out / f"table{j['table']}" / j["model"]
        procs[j["model"]] = launch(["eval", j["model"], "--task", j["task"], "--device", args.device,
                                    "--checkpoint", str(run / "checkpoint.pt"), "--out", str(run),
                                    "--json", *limit],
                                   args.out / "logs" / f"eval-{j['model']}.log", threads)
    codes = wait_all(procs, time.monotonic() + 600)
    for j in ready:
        if codes[j["model"]] != 0:
            j["error"] = f"evaluation failed (exit {codes[j['model']]}); see logs/eval-{j['model']}.log"

    (args.out / "sweep.json").write_text(json.dumps(
        {"minutes": args.minutes, "batch_size": args.batch_size, "epochs": args.epochs,
         "probe": probe["model"], "probe_macs_per_second": macs_per_second,
         "concurrency_gain": args.concurrency_gain,
         "device": args.device, "threads": threads, "train_args": args.train_arg,
         "wall_seconds": time.monotonic() - started, "runs": todo}, indent=2))
    for table in args.tables:
        folder = args.out / f"table{table}"
        if folder.is_dir():
            print(f"\nTable {table}\n\n{markdown(folder, table)}")
    failed = [j for j in todo if "error" in j]
    for j in failed:
        print(f"{j['model']}: {j['error']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
