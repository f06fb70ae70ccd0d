"""Every setting of a training run, declared once: name, type, default, help and check.

`SETTINGS` is the single table. `mgdsl.train.config.TrainConfig` is generated from it (one
dataclass field per setting, validated by each setting's `problem`), and so are the options
of `mgdsl train` (`add_arguments`: the option name, its help with the default, its parser,
which runs the same check) and the keys a resumed run must keep (`resume_keys`). Adding a
setting is one `Setting(...)` here; the loop or the model builder then reads
``config.<name>``.

Torch-free: the CLI imports it to build its parser.

>>> setting("output_prior").problem(1.5)
'must be a probability strictly between 0 and 1, got 1.5'
>>> setting("lr_schedule").problem("poly")
"must be one of paper, scaled, constant, cosine, got 'poly'"
>>> setting("iters_per_epoch").option
'--iters-per-epoch'
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mgdsl.train.schedules import DEFAULT_SCHEDULE, RULES, SCHEDULES

__all__ = ["Setting", "SETTINGS", "REQUIRED", "OPTIMIZERS", "setting", "resume_keys",
           "add_arguments", "config_values"]

#: ``sgd`` is the paper's; ``adamw`` an option for short runs that must show learning
OPTIMIZERS = ("sgd", "adamw")


class _Required:
    """The default of a setting every config must be given (the task's, for the CLI)."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


def positive(value: Any) -> str | None:
    """Check: an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return f"must be a positive integer, got {value!r}"
    return None


def non_negative(value: Any) -> str | None:
    """Check: an integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return f"must be an integer >= 0, got {value!r}"
    return None


def _positive_number(value: Any) -> str | None:
    return None if value > 0 else f"must be positive, got {value!r}"


def _probability(value: Any) -> str | None:
    if not 0 < value < 1:
        return f"must be a probability strictly between 0 and 1, got {value!r}"
    return None


def _momentum(value: Any) -> str | None:
    return None if 0 <= value < 1 else f"must be in [0, 1), got {value!r}"


def _not_negative_number(value: Any) -> str | None:
    return None if value >= 0 else f"must be >= 0, got {value!r}"


def _device(value: Any) -> str | None:
    if re.fullmatch(r"auto|cpu|cuda(:\d+)?", str(value)):
        return None
    return f"must be auto, cpu, cuda or cuda:N, got {value!r}"


@dataclass(frozen=True)
class Setting:
    """One setting of a training run.

    `type` parses the option's text (``bool`` makes a flag); `default` is `TrainConfig`'s
    (`REQUIRED`: none); `optional` allows None; `choices` and `check` (a function returning
    what is wrong, or None) validate a value; `paper` says the default comes from the task
    (the CLI leaves it to `paper_config`); `resume` that a resumed run must keep it (it
    decides which samples each step sees). `cli` False keeps it off the command line; `flag`
    replaces the option's spelling (``--no-progress`` for `progress`, which then sets False);
    `both_flags` gives a flag a ``--no-`` twin (a None default then means "decide later");
    `default_text` says the default in the help instead of `default` ("" says nothing).
    """

    name: str
    type: type
    default: Any
    help: str
    check: Callable[[Any], str | None] | None = None
    choices: tuple[str, ...] | None = None
    optional: bool = False
    group: str = "hyper-parameters"
    metavar: str | None = None
    paper: bool = False
    resume: bool = False
    cli: bool = True
    flag: str | None = None
    both_flags: bool = False
    default_text: str | None = None

    @property
    def option(self) -> str:
        """The command-line option, e.g. ``--iters-per-epoch``."""
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def annotation(self) -> str:
        """The type of the config field, as a string annotation."""
        name = self.type.__name__
        return f"{name} | None" if self.optional else name

    def problem(self, value: Any) -> str | None:
        """What is wrong with `value` for this setting, or None."""
        if value is None:
            return None if self.optional else f"must be given, got {value!r}"
        if self.type is bool:
            return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.type) or isinstance(value, bool):
            return f"must be {'an' if self.type is int else 'a'} {self.type.__name__}, got {value!r}"
        if self.choices is not None and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}, got {value!r}"
        return self.check(value) if self.check is not None else None

    def parse(self, text: str) -> Any:
        """argparse ``type``: the value of `text`, checked; ArgumentTypeError when wrong."""
        try:
            value = self.type(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if self.type is int else 'a number'}, got {text!r}"
            ) from None
        problem = self.problem(value)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value

    def help_text(self) -> str:
        """The option's help, ending with its default."""
        if self.default_text is not None:
            if not self.default_text:
                return self.help
            default = self.default_text
        elif self.paper:
            default = "the paper's for the task"
        elif self.type is bool or self.default is None or self.default is REQUIRED:
            return self.help
        else:
            default = str(self.default)
        return f"{self.help} (default: {default})"


SETTINGS: tuple[Setting, ...] = (
    Setting("task", str, REQUIRED, "the task's name", cli=False, resume=True),
    Setting("epochs", int, REQUIRED, "epochs of the run", positive, metavar="N", paper=True),
    Setting("iters_per_epoch", int, REQUIRED, "optimiser steps per epoch", positive,
            metavar="N", paper=True, resume=True),
    Setting("batch_size", int, REQUIRED, "global mini-batch per forward pass, split over "
            "processes", positive, metavar="N", paper=True, resume=True),
    Setting("iter_size", int, 1, "mini-batches accumulated per optimiser step", positive,
            metavar="K", resume=True),
    Setting("lr", float, 0.1, "initial learning rate", _positive_number, metavar="LR",
            default_text="0.1; 1e-3 with --optimizer adamw"),
    Setting("lr_rule", str, "exp", "the paper's LR rule of the model family", choices=RULES,
            cli=False),
    Setting("lr_schedule", str, DEFAULT_SCHEDULE, "how the paper's LR rule spans the run, "
            "see below", choices=SCHEDULES, metavar="S"),
    Setting("optimizer", str, "sgd", "sgd is the paper's; adamw is not", choices=OPTIMIZERS,
            metavar="O"),
    Setting("output_prior", float, None, "start the output sigmoids at P, e.g. the base rate "
            "(not the paper's)", _probability, optional=True, metavar="P"),
    Setting("momentum", float, 0.9, "SGD momentum", _momentum, metavar="M"),
    Setting("weight_decay", float, 5e-4, "weight decay on every parameter",
            _not_negative_number, metavar="WD", paper=True,
            default_text="the paper's, 5e-4; ImageNet 1e-4"),
    Setting("seed", int, 0, "seed of the weights and the data stream", metavar="N",
            resume=True),
    Setting("device", str, "auto", "auto, cpu, cuda or cuda:N", _device, group="run",
            metavar="D"),
    Setting("amp", bool, False, "mixed precision (bf16 autocast on CPU; --amp-dtype on CUDA)",
            group="run"),
    Setting("amp_dtype", str, "bf16", "autocast type on CUDA", choices=("bf16", "fp16"),
            group="run", metavar="T"),
    Setting("channels_last", bool, None, "NHWC memory format (default: on for CPU, off on "
            "CUDA; --no-channels-last keeps NCHW)", optional=True, group="run",
            both_flags=True),
    Setting("compile", bool, False, "torch.compile the network", group="run"),
    Setting("cuda_graphs", bool, False, "capture the whole training step as a CUDA graph "
            "and replay it (opt-in: not yet run on a GPU; a failed capture falls back to "
            "eager)", group="run"),
    Setting("checkpoint_every", int, 0, "also checkpoint every N steps (always at the end "
            "of each epoch; 0: only then)", non_negative, group="run", metavar="N",
            default_text=""),
    Setting("eval_limit", int, None, "test samples per evaluation (default: all)", positive,
            optional=True, group="run", metavar="N"),
    Setting("eval_batch_size", int, None, "mini-batch of evaluation (default: --batch-size)",
            positive, optional=True, group="run", metavar="N"),
    Setting("eval_every", int, 1, "evaluate every E epochs and after the last (0: never)",
            non_negative, group="run", metavar="E", default_text="1"),
    Setting("progress", bool, True, "no progress bar", group="run", flag="--no-progress"),
    Setting("quiet", bool, False, "print nothing but errors", group="run"),
)


def setting(name: str, settings: Iterable[Setting] | None = None) -> Setting:
    """The setting called `name`."""
    for s in SETTINGS if settings is None else settings:
        if s.name == name:
            return s
    raise KeyError(name)


def resume_keys(settings: Iterable[Setting] | None = None) -> tuple[str, ...]:
    """The settings a resumed run must keep (they decide which samples each step sees)."""
    return tuple(s.name for s in (SETTINGS if settings is None else settings) if s.resume)


def add_arguments(parser: argparse.ArgumentParser,
                  settings: Iterable[Setting] | None = None) -> None:
    """Add an option per command-line setting, in argument groups ("hyper-parameters
    (default: the paper's)", "run"). Every option's default is None: a value the user does
    not give is the config's (or the task's)."""
    groups: dict[str, argparse._ArgumentGroup] = {}
    titles = {"run": "how the run trains and reports"}
    for s in SETTINGS if settings is None else settings:
        if not s.cli:
            continue
        if s.group not in groups:
            groups[s.group] = parser.add_argument_group(titles.get(s.group, s.group))
        group = groups[s.group]
        if s.type is bool:
            value = not s.flag  # a --no-x flag sets False
            group.add_argument(s.option, dest=s.name, action="store_const", const=value,
                               default=None, help=s.help_text())
            if s.both_flags:
                group.add_argument("--no-" + s.option[2:], dest=s.name, action="store_const",
                                   const=False, help=argparse.SUPPRESS)
            continue
        metavar = s.metavar
        if s.choices is not None:
            metavar = "{" + ",".join(s.choices) + "}"
        group.add_argument(s.option, dest=s.name, type=s.parse, default=None,
                           metavar=metavar, help=s.help_text())


def config_values(args: argparse.Namespace,
                  settings: Iterable[Setting] | None = None) -> dict[str, Any]:
    """The command-line settings the user gave, by name (unset ones left out)."""
    out = {}
    for s in SETTINGS if settings is None else settings:
        if s.cli and getattr(args, s.name, None) is not None:
            out[s.name] = getattr(args, s.name)
    return out
