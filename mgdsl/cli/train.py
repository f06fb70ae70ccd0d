"""`mgdsl train FILE|NAME --task T`: train a network with the paper's settings.

Every default is the paper's for the task (`mgdsl.data.registry`) and the model family (residual models — those
whose IR has an ``add`` — use the step LR rule, the others the exponential one); shorten a
run with ``--epochs`` / ``--iters-per-epoch``. Writes ``metrics.csv``, ``metrics.json``,
``loss.png``, ``config.json`` and ``checkpoint.pt`` to ``--out`` (default
``runs/<model>-<task>``). Under ``torchrun --nproc_per_node=N -m mgdsl train ...`` it trains
with DistributedDataParallel. Torch is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import sys

from mgdsl.cli.common import non_negative_int
from mgdsl.cli.output import print_error
from mgdsl.cli.sets import add_set_argument
from mgdsl.data.registry import TASKS
from mgdsl.errors import MgError
from mgdsl.train import settings

__all__ = ["register", "run", "add_data_arguments", "add_task_argument"]

EPILOG = """\
LR schedules (--lr-schedule):
  paper     (default) the paper's rule by the paper's epoch numbers: a shortened run is the
            beginning of the paper's run (LR 0.1 at first, decaying as the paper's does);
            with shorter epochs or batches the paper's epochs are counted in images
  scaled    the paper's rule squeezed into the run, so a 5-epoch run decays fully and a run
            of the paper's length is exactly the paper's; warns when it squeezes over 10x
            (the LR then falls near its floor before SGD has learnt anything)
  constant  the base LR throughout;  cosine  half a cosine from the base LR to 0
Not the paper's, for short runs that must show learning: --optimizer adamw (LR 1e-3 unless
--lr) and --output-prior P (the output layer starts predicting P, e.g. the base rate 0.015
of mnist-seg's maps). Each evaluation reports the paper's mean IoU and mean error, and,
moving earlier, the test BCE beside the base-rate BCE, the foreground class accuracy
(chance 10%) and mean IoU at 0.3.
Examples:
  mgdsl train U-NET-11-seg --task mnist-seg --set w=16 --epochs 6 --iters-per-epoch 50 \\
      --batch-size 32 --optimizer adamw --output-prior 0.015 --eval-limit 200
  mgdsl train PMG-11-seg --task mnist-seg --epochs 5 --iters-per-epoch 50
  torchrun --nproc_per_node=2 -m mgdsl train architectures/pmg.mg --task cifar100 --set n=1 \\
      --data-dir ~/data/cifar100
"""


def add_data_arguments(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The options that say where a task's data comes from (shared with `mgdsl eval`), in
    an argument group "data" (returned)."""
    group = parser.add_argument_group("data")
    group.add_argument("--data-dir", metavar="DIR",
                       help="directory with the CIFAR-100 / ImageNet data (required for those tasks)")
    group.add_argument("--mnist-dir", metavar="DIR",
                       help="directory with MNIST IDX files (default: the embedded 5,000 digits)")
    group.add_argument("--train-size", type=int, metavar="N", help="training samples (MNIST tasks: how many to generate; others: the first N)")
    group.add_argument("--test-size", type=int, metavar="N", help="test samples (MNIST tasks: how many to generate; others: the first N)")
    return group


def add_task_argument(parser: argparse.ArgumentParser, *, required: bool, help: str) -> None:
    """The ``--task`` option: one of the registry's tasks, each listed with its shapes."""
    listing = "; ".join(
        f"{t.name}: {t.title}, {'x'.join(map(str, t.input_shape))} -> "
        f"{'x'.join(map(str, t.output_shape))}" for t in TASKS.values())
    parser.add_argument("--task", required=required, choices=list(TASKS), metavar="TASK",
                        help=f"{help} ({listing})")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `train` verb to the top-level parser."""
    p = subparsers.add_parser(
        "train",
        help="train a network on a task with the paper's settings",
        description="Train a network on a task. Every default is the paper's for the task and\n"
        "the model family (the paper's experiments and its Torch training scripts; see\n"
        "the README's section \"Training and evaluation\"); shorten a run with --epochs/--iters-per-epoch.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("target", metavar="FILE|NAME", help="an .mg file or a zoo name (e.g. PMG-11-seg)")
    add_task_argument(p, required=True, help="what to train on")
    p.add_argument("--network", metavar="NAME", help="network of a file that defines several")
    add_set_argument(p)
    settings.add_arguments(p)  # one option per training setting (mgdsl.train.settings)
    files = p.add_argument_group("the run's folder")
    files.add_argument("--out", metavar="DIR", help="output folder (default runs/<model>-<task>)")
    files.add_argument("--resume", action="store_true",
                       help="continue the run in --out exactly where it stopped")
    files.add_argument("--overwrite", action="store_true",
                       help="start again over the run in --out")
    add_data_arguments(p).add_argument(
        "--data-workers", type=non_negative_int, default=0, metavar="N",
        help="make training batches in N processes (default 0: one background thread); the "
        "batches are the same")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run `mgdsl train`; returns the exit code (errors are raised as MgError)."""
    from mgdsl.train.build import use_fast_allocator

    use_fast_allocator()

    from pathlib import Path

    from mgdsl.cli.sets import parse_sets
    from mgdsl.train import build

    params = parse_sets(args.sets)
    # checks the network against the task before torch is imported or data is read
    ir = build.load_network(args.target, params, args.network, task=args.task)

    import torch

    from mgdsl.data.registry import task_spec
    from mgdsl.train.config import paper_config
    from mgdsl.train.ddp import Dist
    from mgdsl.train.errors import TrainError
    from mgdsl.train.loop import train
    from mgdsl.train.report import results_table, run_summary
    from mgdsl.train.schedules import compression_warning

    task = build.build_task(args.task, data_dir=args.data_dir, mnist_dir=args.mnist_dir,
                            train_size=args.train_size, test_size=args.test_size)
    task.workers = args.data_workers
    torch.manual_seed(args.seed if args.seed is not None else settings.setting("seed").default)
    model, residual = build.build_model(ir, task)
    try:
        config = paper_config(args.task, residual=residual, **settings.config_values(args))
    except ValueError as exc:
        raise TrainError(str(exc)) from exc
    out_dir = Path(args.out) if args.out else build.default_out_dir(args.target, args.task)
    dist = Dist.from_env()
    warning = compression_warning(
        config.epochs, config.iters_per_epoch, rule=config.lr_rule, schedule=config.lr_schedule,
        base=config.lr, paper_iters_per_epoch=task_spec(args.task).defaults.iters_per_epoch)
    if warning and dist.is_main and not config.quiet:
        print(warning, file=sys.stderr, flush=True)
    try:
        result = train(
            model,
            task,
            config,
            out_dir,
            resume=args.resume,
            overwrite=args.overwrite,
            model_spec={"target": args.target, "params": params, "network": args.network,
                        "name": build.network_title(args.target, ir)},
            dist=dist,
        )
    except MgError as exc:
        if dist.enabled:
            print_error(exc)
            exit_after_distributed(1)
        raise
    except RuntimeError as exc:
        if dist.enabled and _peer_gone(exc):
            # another process failed (its error is printed there) and left the group
            print(f"mgdsl: rank {dist.rank} stopped: another process of the run failed "
                  f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})",
                  file=sys.stderr, flush=True)
            exit_after_distributed(1)
        raise
    if result.stopped_by is not None:
        return _stopped(result, args, dist)
    if dist.is_main and not config.quiet:
        if result.epochs:
            title = (f"{build.network_title(args.target, ir)} on {args.task}: after epoch "
                     f"{result.epochs[-1]['epoch']}, seconds are totals of the run")
            sys.stdout.write(results_table(run_summary(result.epochs, result.steps), title=title))
        print(f"wrote {out_dir}/: " + ", ".join(p.name for p in result.files if p.exists()))
    if dist.enabled:
        exit_after_distributed(0)
    return 0


def resume_command(argv: list[str], world_size: int) -> str:
    """The command line that continues a run started with `mgdsl train` + `argv`."""
    import shlex

    words = [a for a in argv if a not in ("--resume", "--overwrite")]
    if words and words[0] == "train":
        words = words[1:]
    prefix = (f"torchrun --nproc_per_node={world_size} -m mgdsl train" if world_size > 1
              else "mgdsl train")
    return f"{prefix} {shlex.join(words)} --resume"


def _stopped(result, args: argparse.Namespace, dist) -> int:
    """Say where a run stopped by a signal is and how to go on; 128 + the signal number."""
    from mgdsl.train.stopping import signal_name

    code = 128 + result.stopped_by
    if not dist.is_main:
        print(f"mgdsl: rank {dist.rank} stopped by {signal_name(result.stopped_by)} after step "
              f"{result.steps}", file=sys.stderr, flush=True)
    else:
        argv = args.command_line.argv if getattr(args, "command_line", None) else sys.argv[1:]
        print(f"mgdsl: stopped by {signal_name(result.stopped_by)} after step {result.steps}; "
              f"checkpoint written to {result.checkpoint}\n"
              f"to go on:  {resume_command(list(argv), dist.world_size)}",
              file=sys.stderr, flush=True)
    if dist.enabled:
        exit_after_distributed(code)
    return code


def _peer_gone(exc: RuntimeError) -> bool:
    """True for the error a collective raises when another process has left the group."""
    text = str(exc).lower()
    return any(words in text for words in ("connection closed by peer", "connection reset",
                                           "broken pipe", "socket closed", "gloo"))


def exit_after_distributed(code: int) -> None:
    """End a torchrun worker without running C++ static destructors: gloo's background
    threads sometimes abort the process at exit ("terminate called without an active
    exception") after all work is done and written, which torchrun would report as a
    failure. The process group is already torn down and every file is written here."""
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
