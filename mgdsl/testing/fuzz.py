"""Fuzzing the front end and backends: `python -m mgdsl.testing.fuzz --seconds N`.

Three pieces, shared with the property tests (`tests/support/strategies.py` drives the same
generator through Hypothesis):

- `ProgramGen` writes random *valid* `.mg` programs by construction: it tracks the shape
  of every grid of the pyramid it builds (1-5 levels, sizes divisible by 2^(levels-1),
  channels per grid), so every statement it emits is legal; it knows the expected shape
  of every output.
- `mutate` breaks a program: deleted, duplicated or swapped tokens, changed numbers,
  wrong channel lists, truncation, random bytes, invalid UTF-8, hostile names.
- `check_bytes` runs one input through check / stats / dump / fmt / render-to-DOT /
  compile and returns a `Finding` when something other than an `MgError` escapes, an
  error's span lies outside the file, formatting is not idempotent or changes the
  meaning, or a stage takes too long.

A crash is saved to `tests/regressions/` (`--save-dir`) as the raw input, named after its
hash; `tests/test_hostile_regressions.py` replays every saved input.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import math
import random
import re
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from mgdsl.errors import MgError, flatten_errors, format_diagnostic
from mgdsl.ops import OPS, REQUIRED, same_shape

__all__ = ["Chooser", "RandomChooser", "ProgramGen", "Generated", "mutate", "check_bytes",
           "check_text", "error_span_problem", "Finding", "FuzzTimeout", "time_limit",
           "run_fuzz", "main", "HOSTILE_NAMES"]

T = TypeVar("T")

FILE_NAME = "fuzz.mg"

# Names that would be dangerous if any backend pasted them into Python unchecked.
HOSTILE_NAMES = ("__import__", "os", "exec", "eval", "__class__", "__init__", "self",
                 "forward", "state_dict", "lambda", "def", "class", "None", "True", "import",
                 "print", "open", "sys", "torch", "nn", "F", "Größe", "ñ", "δx", "名前",
                 "__builtins__", "globals", "_", "__", "training", "cuda", "to", "type")


# ------------------------------------------------------------------------- choosers


class Chooser(Protocol):
    """Where random decisions come from (`random.Random`, or Hypothesis' `draw`)."""

    def int(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]."""

    def choice(self, seq: Sequence[T]) -> T:
        """One element of a non-empty sequence."""

    def bool(self) -> bool:
        """True or False."""


class RandomChooser:
    """A `Chooser` backed by `random.Random`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def int(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]."""
        return self.rng.randint(lo, hi)

    def choice(self, seq: Sequence[T]) -> T:
        """One element of `seq`."""
        return seq[self.rng.randrange(len(seq))]

    def bool(self) -> bool:
        """A fair coin."""
        return self.rng.random() < 0.5


# ----------------------------------------------------------------- valid programs

# Grid shapes are (channels, height, width); a pyramid is a list of them, finest first,
# and the generator keeps height and width of grid i at (H / 2^i, W / 2^i).
Shape = tuple[int, ...]

MG_BLOCKS = ("mgcbr", "mgconv", "mgcb", "mgconv_down", "mgconv_up")


def unary_ops() -> tuple[str, ...]:
    """The ops the generator applies to a pyramid as it is (`v = op(v)`): read from the op
    table, every op whose built-in keeps its input's shape and needs nothing but the
    tensor, so a new op of that kind is generated (and fuzzed) the day it is added."""
    return tuple(name for name, spec in OPS.items()
                 if spec.shape is same_shape and spec.builtin and not spec.own_applier
                 and sum(p.default is REQUIRED for p in spec.builtin) == 1)


UNARY_OPS = unary_ops()
VAR_NAMES = ("p", "q", "feat", "pyr", "x_1", "Größe", "__import__", "exec", "self", "os",
             "None_", "lambda_", "forward")
SECTION_NAMES = ("s1", "s2", "s3", "stage", "exec", "__class__", "body", "δ", "import_")
OUTPUT_NAMES = ("y", "logits", "mask", "out", "exec", "__class__", "eval", "self", "名前",
                "forward", "state_dict")
NET_NAMES = ("N", "Net", "MG", "exec", "Module", "__init__", "Größe", "nn", "torch")
MAX_CH = 8


@dataclass
class Generated:
    """A random valid program: its text, network name and the shape of every output."""

    text: str
    network: str
    outputs: dict[str, Shape]
    levels: int


@dataclass
class _State:
    grids: list[list[int]]
    pooled: int = 0


class ProgramGen:
    """Writes one random valid program, choosing with `ch` (see the module docstring).

    Sizes stay at most `max_size` (inputs up to 32x32) and channels at most `MAX_CH`
    per statement (concatenations may add up to 2 * MAX_CH), so torch checks are fast.
    """

    def __init__(self, ch: Chooser, *, max_levels: int = 5, max_size: int = 32,
                 max_stmts: int = 6) -> None:
        self.ch = ch
        self.max_levels = max_levels
        self.max_size = max_size
        self.max_stmts = max_stmts
        self.params: dict[str, int] = {}
        self.blocks: list[tuple[str, bool]] = []   # (name, needs ch >= current)
        self.block_lines: list[str] = []
        self.sections: set[str] = set()
        self.var = "p"

    # small pieces -----------------------------------------------------------------

    def ws(self) -> str:
        """Separator between statements: newlines, spaces, comments."""
        return self.ch.choice(("\n    ", "\n    ", "\n\n    ", "  ", "  # note\n    ",
                               "\n\t", " \n  "))

    def num(self, v: int, depth: int = 0) -> str:
        """Text of an integer expression that evaluates to `v` (v >= 0)."""
        kind = self.ch.int(0, 9) if depth < 2 else 0
        if kind == 0 or kind == 1:
            return str(v)
        if kind == 2 and self.params:
            name = self.ch.choice(sorted(self.params))
            d = v - self.params[name]
            return f"{name} + {d}" if d >= 0 else f"{name} - {-d}"
        if kind == 3:
            a = self.ch.int(0, v)
            return f"({self.num(a, depth + 1)}) + ({self.num(v - a, depth + 1)})"
        if kind == 4:
            b = self.ch.int(1, 3)
            return f"{self.num(v + b, depth + 1)} - {b}"
        if kind == 5:
            b = self.ch.int(1, 3)
            return f"({self.num(v * b, depth + 1)}) / {b}"
        if kind == 6:
            b = self.ch.int(1, 3)
            return f"({self.num(v * b + self.ch.int(0, b - 1), depth + 1)}) // {b}"
        if kind == 7:
            root = math.isqrt(v)
            if root * root == v:
                return f"({self.num(root, depth + 1)}) ** 2"
            return f"({self.num(v, depth + 1)}) ** 1"
        if kind == 8 and v >= 1 and v & (v - 1) == 0:
            return f"2 ** ({self.num(v.bit_length() - 1, depth + 1)})"
        return f"max({v}, {self.ch.int(0, v)})"

    def cond(self, want: bool, s: _State, depth: int = 0) -> str:
        """Text of a condition that elaborates to `want`: comparisons of numbers, channel
        counts and `len` of the pyramid, joined with `and` / `or` / `not`."""
        kind = self.ch.int(0, 6) if depth < 2 else self.ch.int(0, 2)
        if kind == 3:
            return f"not {self._cond_atom(not want, s)}"
        if kind == 4:  # a and b: both true, or one false
            a = want or self.ch.bool()
            b = want or not a
            return f"({self.cond(a, s, depth + 1)}) and {self._cond_atom(b, s)}"
        if kind == 5:  # a or b: both false, or one true
            a = want and self.ch.bool()
            b = (not a or self.ch.bool()) if want else False
            return f"{self.cond(a, s, depth + 1)} or {self._cond_atom(b, s)}"
        if kind == 6:
            return f"({self.cond(want, s, depth + 1)})"
        return self._cond_atom(want, s)

    def _cond_atom(self, want: bool, s: _State) -> str:
        """One comparison that is `want`; its left side is a known number."""
        v = self.var
        r = self.ch.int(0, 3)
        if r == 0:
            left, value = f"len({v})", len(s.grids)
        elif r == 1:
            j = self.ch.int(0, len(s.grids) - 1)
            left, value = f"channels({v})[{j}]", s.grids[j][0]
        elif r == 2 and self.params:
            name = self.ch.choice(sorted(self.params))
            left, value = (name, self.params[name]) if self.ch.bool() else \
                (f"{name} ** 2", self.params[name] ** 2)
        else:
            value = self.ch.int(0, 9)
            left = self.num(value, 1)
        other = value + self.ch.int(-2, 2)
        op = self.ch.choice(("==", "!=", "<", "<=", ">", ">="))
        truth = {"==": value == other, "!=": value != other, "<": value < other,
                 "<=": value <= other, ">": value > other, ">=": value >= other}[op]
        if truth != want:
            op = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}[op]
        right = str(other) if other >= 0 else f"-{-other}"
        return f"{left} {op} {right}"

    def chans(self, n: int, lo: int = 1, at_least: Sequence[int] | None = None) -> list[int]:
        """`n` channel counts (each >= the matching `at_least`)."""
        out = []
        for i in range(n):
            floor = max(lo, at_least[i] if at_least else lo)
            out.append(self.ch.int(min(floor, MAX_CH), MAX_CH) if floor <= MAX_CH else floor)
        if self.ch.bool() and n > 1 and not at_least:
            out = [out[0]] * n
        return out

    def chans_text(self, values: Sequence[int]) -> str:
        """A scalar (all grids alike, sometimes) or a per-grid list."""
        if len(set(values)) == 1 and self.ch.bool():
            return self.num(values[0])
        items = [self.num(v) for v in values]
        return "[" + ", ".join(items) + ("," if self.ch.int(0, 5) == 0 else "") + "]"

    def kernel(self, n: int) -> tuple[str, list[int] | None]:
        """An optional `, k = ...` argument (odd kernels keep sizes)."""
        r = self.ch.int(0, 4)
        if r == 0 and "kk" in self.params:
            return ", k = kk", None
        if r == 1:
            k = self.ch.choice((1, 3, 5))
            return f", k = {k}", None
        if r == 2 and n > 1:
            ks = [self.ch.choice((1, 3)) for _ in range(n)]
            return ", k = [" + ", ".join(map(str, ks)) + "]", None
        return "", None

    def name(self, pool: Sequence[str], taken: set[str]) -> str:
        """A name from `pool` not in `taken` (suffixing a number when needed)."""
        base = self.ch.choice(pool)
        name, k = base, 2
        while name in taken:
            name, k = f"{base}{k}", k + 1
        taken.add(name)
        return name

    # statements -------------------------------------------------------------------

    def statement(self, s: _State, depth: int) -> str:
        """One statement on the pyramid variable; updates the model `s`."""
        v, n = self.var, len(s.grids)
        cur = [g[0] for g in s.grids]
        kinds = ["mg", "mg", "cbr", "res", "slice", "concat", "add", "repeat", "prog",
                 "xscale", "dead", "newop", "newop", "newop23", "newop23"]
        kinds.append("attention")
        if depth < 2:
            kinds += ["section", "if"]
        if self.blocks:
            kinds += ["call", "call"]
        even = all(g[1] % 2 == 0 and g[2] % 2 == 0 for g in s.grids)
        if even:
            kinds += ["pool", "merge"] if n >= 2 else ["pool"]
        if s.pooled and max(max(g[1], g[2]) for g in s.grids) * 2 <= self.max_size:
            kinds.append("up")
        kind = self.ch.choice(kinds)
        if kind == "mg":
            new = self.chans(n)
            op = self.ch.choice(MG_BLOCKS)
            text = f"{v} = {op}({v}, {self.chans_text(new)}{self.kernel(n)[0]})"
            for g, c in zip(s.grids, new, strict=True):
                g[0] = c
            return text
        if kind == "cbr":
            new = self.chans(n)
            op = self.ch.choice(("cbr", "cb"))
            for g, c in zip(s.grids, new, strict=True):
                g[0] = c
            return f"{v} = {op}({v}, {self.chans_text(new)}{self.kernel(n)[0]})"
        if kind == "res":  # every residual unit may narrow: `resmg` then projects
            op = self.ch.choice(("resmg", "resmg_linear", "resmg_proj", "resmg_proj_linear"))
            new = self.chans(n)
            for g, c in zip(s.grids, new, strict=True):
                g[0] = c
            return f"{v} = {op}({v}, {self.chans_text(new)})"
        if kind == "slice":
            return self._slice(s)
        if kind == "concat":
            if max(cur) > MAX_CH:
                return f"{v} = relu({v})"
            new = self.chans(n)
            if n > 1 and self.ch.bool():
                # the fine grid has no partner in v[1:]: it passes through
                for i, (g, c) in enumerate(zip(s.grids, new, strict=True)):
                    g[0] = c if i == 0 else c + g[0]
                return f"{v} = concat(cbr({v}, {self.chans_text(new)}), {v}[1:])"
            for g, c in zip(s.grids, new, strict=True):
                g[0] += c
            return f"{v} = concat({v}, cbr({v}, {self.chans_text(new)}))"
        if kind == "add":
            if self.ch.bool():
                return f"{v} = {v} + cb({v}, channels({v}))"
            return f"{v} = relu({v} + {v})"
        if kind == "repeat":
            return self._repeat(s)
        if kind == "prog":
            op = self.ch.choice(("pmg_start", "rpmg_start"))
            new = self.chans(n, at_least=cur if op == "rpmg_start" else None)
            for g, c in zip(s.grids, new, strict=True):
                g[0] = c
            items = ", ".join(self.num(c) for c in new)  # these blocks slice `ch`: a list
            return f"{v} = {op}({v}, [{items}], {self.ch.int(1, 2)})"
        if kind == "newop":
            return self.newop(s)
        if kind == "newop23":
            return self.newop_issue23(s)
        if kind == "attention":
            return self.attention_op(s)
        if kind == "xscale" and n > 1 and max(cur) <= MAX_CH:
            for g, h in zip(s.grids, s.grids[1:], strict=False):
                g[0] += h[0]
            mode = self.ch.choice(("", "", ', mode = "bilinear"',
                                   ', mode = "bilinear", align_corners = true'))
            return f"{v}[:-1] = concat({v}[:-1], upsample({v}[1:], like = {v}[:-1]{mode}))"
        if kind == "section":
            name = self.name(SECTION_NAMES, self.sections)
            body = [self.statement(s, depth + 1) for _ in range(self.ch.int(1, 3))]
            inner = "".join(self.ws() + "    " + b for b in body)
            return f"section {name} {{{inner}\n    }}"
        if kind == "if":
            return self._if(s, depth)
        if kind == "call":
            block, grows = self.ch.choice(self.blocks)
            new = self.chans(n, at_least=cur if grows else None)
            for g, c in zip(s.grids, new, strict=True):
                g[0] = c
            return f"{v} = {block}({v}, {self.chans_text(new)})"
        if kind == "pool":
            s.pooled += 1
            for g in s.grids:
                g[1] //= 2
                g[2] //= 2
            op = self.ch.choice(("mgpool(%s)", "maxpool(%s)", "avgpool(%s)", "maxpool(%s, 2)",
                                 "avgpool(%s, k = 2, stride = 2)"))
            return f"{v} = {op % v}"
        if kind == "merge":
            s.pooled += 1
            last = s.grids.pop()
            for g in s.grids:
                g[1] //= 2
                g[2] //= 2
            s.grids[-1][0] += last[0]
            return f"{v} = mgpool_merge({v})"
        if kind == "up":
            s.pooled -= 1
            for g in s.grids:
                g[1] *= 2
                g[2] *= 2
            if self.ch.bool():
                return f"{v} = upsample({v})"
            new = self.chans(n)
            for g, c in zip(s.grids, new, strict=True):
                g[0] = c
            return f"{v} = dcbr({v}, {self.chans_text(new)})"
        # dead code: computed, never read by an output
        return f"unused = cbr({v}, {self.num(self.ch.int(1, 4))})"

    def newop(self, s: _State) -> str:
        """A statement using one of the ops beyond the paper's (activations, gating,
        element-wise arithmetic, grouped and dilated convs, group norm, dropout,
        `output_padding`); shapes are kept, except where the model `s` is updated."""
        v = self.var
        kind = self.ch.int(-4, 9)
        if kind <= 0:
            op = OPS[self.ch.choice(UNARY_OPS)]
            # a norm whose groups would hold one value (layernorm of one channel) gives a
            # constant, and PyTorch refuses some at batch 1 (W120): another op instead
            if op.norm_group is not None and any(op.norm_group({}, g) <= 1 for g in s.grids):
                return f"{v} = relu({v})"
            return f"{v} = {op.name}({v})"
        if kind == 1:
            return f"{v} = leaky_relu({v}, slope = {self.ch.choice(('0.2', '0.01', '1'))})"
        if kind == 2:
            return f"{v} = dropout({v}, {self.ch.choice(('0', '0.25', '0.5'))})"
        if kind == 3:  # one group always divides; so does every grid's channel count
            per_channel = self.ch.choice(("1", "channels")) == "channels"
            # a group of one value normalises to a constant and PyTorch refuses it at
            # batch 1 (mgdsl warns, W120): per-channel groups need more than a 1x1 grid,
            # one group more than one value
            if per_channel and all(h * w > 1 for _, h, w in s.grids):
                return f"{v} = groupnorm({v}, channels({v}))"
            if all(c * h * w > 1 for c, h, w in s.grids):
                return f"{v} = groupnorm({v}, 1)"
            return f"{v} = silu({v})"
        if kind == 4:  # gating by a one-channel map
            return f"{v} = {v} * sigmoid(conv({v}, 1, 1))"
        if kind == 5:  # squeeze-and-excitation style: a 1x1 grid scales every position
            return f"{v} = {v} * sigmoid(conv(gap({v}), channels({v}), 1))"
        if kind == 6:
            a, b = self.ch.choice((("0.5", "1"), ("2", "0.25"), ("1", "-1")))
            return self.ch.choice((f"{v} = {v} * {a} - {b}", f"{v} = {a} - {v} + {v} * {b}",
                                   f"{v} = {v} - relu({v})"))
        if kind == 7:  # depthwise
            return f"{v} = relu(conv({v}, channels({v}), 3, groups = channels({v})))"
        if kind == 8:
            d = self.ch.choice((2, 3))
            k = self.ch.choice((3, 5))
            return f"{v} = conv({v}, channels({v}), {k}, dilation = {d})"
        # a stride-2 deconv with output_padding 1 doubles the size, a conv halves it back
        if all(g[1] % 2 == 0 and g[2] % 2 == 0 for g in s.grids):
            return (f"{v} = conv(deconv({v}, channels({v}), 3, pad = 1, output_padding = 1), "
                    f"channels({v}), 3, stride = 2)")
        return f"{v} = silu({v})"

    def newop_issue23(self, s: _State) -> str:
        """A statement using one of issue 23's ops (layer norm, reductions, division,
        learned scalars, split, adaptive pooling, space_to_depth); shapes are kept."""
        v = self.var
        even = all(g[1] % 2 == 0 and g[2] % 2 == 0 for g in s.grids)
        over = self.ch.choice(('"channels"', '"space"'))
        eps = self.ch.choice(('1e-6', '1e-5'))
        # a layer norm of one channel is a constant (W120): gate such a grid instead
        norm = (f"{v} = layernorm({v}, eps = {eps})" if all(g[0] > 1 for g in s.grids)
                else f"{v} = {v} * sigmoid({v})")
        options = [
            norm,
            f"{v} = {v} * param(1, init = {self.ch.choice(('1e-6', '0.5', '1'))})",
            f"{v} = {v} / (sum(relu(param(2))) + 1e-4)",
            f"{v} = {v} * sigmoid({self.ch.choice(('mean', 'max', 'sum'))}({v}, over = {over}))",
            f"{v} = {v} / 2 + 1 / (relu({v}) + 1)",
            f"{v}[0] = concat(split({v}[0], {self.ch.int(1, 3)}))",
            f"{v}[-1] = {v}[-1] + upsample({self.ch.choice(('avgpool', 'maxpool'))}({v}[-1], "
            f"output = 1), like = {v}[-1])",
        ]
        if even:
            options.append(f"{v} = depth_to_space(space_to_depth({v}, 2), 2)")
        return self.ch.choice(options)

    def attention_op(self, s: _State) -> str:
        """A statement using `attention` (within a grid, across the pyramid, from the
        coarsest grid), `window_attention` or shared weights (across the grids, or one
        layer applied twice); shapes are kept."""
        v = self.var
        cur = [g[0] for g in s.grids]
        kind = self.ch.int(0, 5)
        if kind == 0 and len(set(cur)) == 1:  # every grid attends to the whole pyramid
            heads = self.ch.choice(("1", f"channels({v})[0]"))
            return f"{v} = {v} + attention({v}, {v}, {v}, heads = {heads})"
        if kind == 1:  # the coarsest grid attends to the pyramid projected to its channels
            proj = f"conv({v}, channels({v})[-1], 1)"
            return f"{v}[-1:] = attention({v}[-1:], {proj}, {proj})"
        if kind == 2:  # the finest grid attends to a pooled copy of itself (spatial reduction)
            if s.grids[0][1] % 2 or s.grids[0][2] % 2:
                return f"{v}[:1] = attention({v}[:1], {v}[:1], {v}[:1])"
            return f"{v}[:1] = attention({v}[:1], avgpool({v}[:1], 2), avgpool({v}[:1], 2))"
        if kind == 3:
            window = self.ch.int(1, 4)
            shift = self.ch.int(0, window - 1)
            return f"{v} = window_attention({v}, heads = 1, window = {window}, shift = {shift})"
        if kind == 4 and len(set(cur)) == 1:  # one layer for every grid
            return f"{v} = relu(bn(conv({v}, channels({v})[0], 3, shared = true), shared = true))"
        self.shares = getattr(self, "shares", 0) + 1  # one layer applied twice
        name = f'"tied{self.shares}"'
        inner = f"relu(conv({v}[-1:], channels({v})[-1], 1, shared = {name}))"
        return f"{v}[-1:] = conv({inner}, channels({v})[-1], 1, shared = {name})"

    def _if(self, s: _State, depth: int) -> str:
        """`if` / `else if` / `else`: the first true branch changes `s`; the others are
        written against copies of it (valid programs too, never elaborated)."""
        branches = self.ch.int(1, 3)
        taken = self.ch.int(0, branches)  # == branches: the else branch (or none)
        has_else = taken == branches or self.ch.bool()
        # conditions first: they read the state before any branch runs
        conds = [self.cond(i == taken if i <= taken else self.ch.bool(), s)
                 for i in range(branches)]
        states = [copy.deepcopy(s) for _ in range(branches + has_else)]
        parts = []
        for i, state in enumerate(states):
            body = [self.statement(state, depth + 1) for _ in range(self.ch.int(1, 2))]
            inner = "".join(self.ws() + "    " + b for b in body) + "\n    }"
            head = " else" if i == branches else ("if " if i == 0 else " else if ") + conds[i]
            parts.append(f"{head} {{{inner}")
        if taken < len(states):
            s.grids[:], s.pooled = states[taken].grids, states[taken].pooled
        return "".join(parts)

    def _slice(self, s: _State) -> str:
        v, n = self.var, len(s.grids)
        if n == 1 or self.ch.bool():
            j = self.ch.int(0, n - 1)
            idx = self.ch.choice((str(j), str(j - n)))
            c = self.ch.int(1, MAX_CH)
            s.grids[j][0] = c
            return f"{v}[{idx}] = cbr({v}[{idx}], {self.num(c)})"
        j = self.ch.int(1, n - 1)
        if self.ch.bool():
            sub = s.grids[j:]
            new = self.chans(len(sub))
            for g, c in zip(sub, new, strict=True):
                g[0] = c
            return f"{v}[{j}:] = mgcbr({v}[{j}:], {self.chans_text(new)})"
        sub = s.grids[:j]
        new = self.chans(len(sub))
        for g, c in zip(sub, new, strict=True):
            g[0] = c
        return f"{v}[:{j}] = cbr({v}[:{j}], {self.chans_text(new)})"

    def _repeat(self, s: _State) -> str:
        v, n = self.var, len(s.grids)
        count = self.ch.int(0, 3)
        if self.ch.bool():
            d = self.ch.int(1, 4)
            if count:
                for g in s.grids:
                    g[0] = count - 1 + d
            return f"repeat {count} as i {{ {v} = cbr({v}, i + {d}) }}"
        new = self.chans(n)
        op = self.ch.choice(("mgcbr", "cbr", "resmg_proj"))
        if count:
            for g, c in zip(s.grids, new, strict=True):
                g[0] = c
        return f"repeat {self.num(count)} {{{self.ws()}{v} = {op}({v}, {self.chans_text(new)})\n    }}"

    def block(self) -> None:
        """Define one user block: a few units on `ch` channels, maybe residual."""
        taken = {b for b, _ in self.blocks}
        name = self.name(("unit", "mine", "exec", "__class__", "fwd", "einheit"), taken)
        parts = [self.ch.choice(("mgcbr", "cbr", "cb", "mgconv", "mgcb"))
                 for _ in range(self.ch.int(1, 3))]
        lines = []
        q = "p"
        for i, op in enumerate(parts):
            lines.append(f"q{i} = {op}({q}, ch, k)")
            q = f"q{i}"
        residual = self.ch.bool()
        if self.blocks and self.ch.bool():
            inner, grows = self.ch.choice(self.blocks)
            lines.append(f"q9 = {inner}({q}, ch)")
            q = "q9"
            residual = residual or grows
        if residual and self.ch.bool():  # the shortcut chosen by comparing channel counts
            lines.append("if len(p) > 0 and max(channels(p) - ch) > 0 { s = cb(p, ch, 1) } "
                         "else { s = pad(p, ch) }")
            lines.append(f"return relu({q} + s)")
            residual = False  # it narrows as well as it widens
        else:
            lines.append(f"return relu({q} + pad(p, ch))" if residual else f"return {q}")
        body = "".join("\n    " + line for line in lines)
        self.block_lines.append(f"block {name}(p, ch, k = 3) {{{body}\n}}")
        self.blocks.append((name, residual))

    def outputs(self, s: _State, n_out: int) -> list[tuple[str, str, Shape]]:
        """`n_out` output declarations and their shapes."""
        v, n = self.var, len(s.grids)
        out, taken = [], {v, "image", "aux", "x", "unused"}
        for _ in range(n_out):
            name = self.name(OUTPUT_NAMES, taken)
            kind = self.ch.int(0, 5)
            j = self.ch.int(0, n - 1)
            g = s.grids[j]
            if kind == 0:
                out.append((name, f"sigmoid(cb({v}[0], 1))", (1, s.grids[0][1], s.grids[0][2])))
            elif kind == 1:
                k = self.ch.int(1, 5)
                out.append((name, f"classifier({v}, {k})", (k,)))
            elif kind == 2:
                k = self.ch.int(1, 5)
                out.append((name, f"linear(flatten(gap({v}[-1])), {k})", (k,)))
            elif kind == 3:
                out.append((name, f"{v}[{j}]", tuple(g)))
            elif kind == 4:
                out.append((name, f"gap({v}[{j}])", (g[0], 1, 1)))
            else:
                fine = s.grids[0]
                out.append((name, f"upsample({v}[-1], like = {v}[0])",
                            (s.grids[-1][0], fine[1], fine[2])))
        return out

    def program(self) -> Generated:
        """A whole program: `use`, user blocks, one network with inputs and outputs."""
        ch = self.ch
        levels = ch.int(1, self.max_levels)
        unit = 2 ** (levels - 1)
        h = unit * ch.choice([m for m in (1, 2, 3, 4) if unit * m <= self.max_size])
        w = unit * ch.choice([m for m in (1, 2, 3, 4) if unit * m <= self.max_size])
        cin = ch.int(1, 3)
        self.params = {"c": ch.int(1, MAX_CH)}
        if ch.bool():
            self.params["kk"] = ch.choice((1, 3))
        self.var = ch.choice(VAR_NAMES)
        for _ in range(ch.int(0, 2)):
            self.block()
        net = ch.choice(NET_NAMES)
        body: list[str] = []
        if ch.int(0, 2) == 0:
            body.append(ch.choice(("default bn.eps = 1e-3", 'default bn.gamma = "uniform"',
                                   "default conv.bias = false", "default maxpool.ceil = false")))
        v = self.var
        if ch.int(0, 4) == 0:  # a neck's input: one grid per level, finest first
            chans = [ch.int(1, MAX_CH) for _ in range(levels)]
            grids = ", ".join(f"{c} x {h >> i} x {w >> i}" for i, c in enumerate(chans))
            body.append(f"input feats: pyramid [{grids}]")
            body.append(f"{v} = feats")
            s = _State([[c, h >> i, w >> i] for i, c in enumerate(chans)])
        else:
            body.append(f"input image: {self.num(cin)} x {self.num(h)} x {w}")
            src = "image"
            if ch.int(0, 3) == 0:
                extra = ch.int(1, 2)
                body.append(f"input aux: {extra} x {h} x {w}")
                body.append("x = concat(image, aux)")
                src, cin = "x", cin + extra
            s = _State([[cin, h >> i, w >> i] for i in range(levels)])
            start = ch.int(0, 2)
            if start == 0:
                new = self.chans(levels)
                body.append(f"{v} = stems({src}, {self.chans_text(new)}, "
                            f"levels = {self.num(levels)})")
                for g, c in zip(s.grids, new, strict=True):
                    g[0] = c
            elif start == 1:
                body.append(f"{v} = pyramid({src}, {levels})")
            else:
                new = self.chans(levels)
                body.append(f"{v} = cbr(pyramid({src}, {levels}), {self.chans_text(new)})")
                for g, c in zip(s.grids, new, strict=True):
                    g[0] = c
        for _ in range(ch.int(0, self.max_stmts)):
            body.append(self.statement(s, 0))
        outs = self.outputs(s, ch.int(1, 3))
        for name, expr, _ in outs:
            body.append(f"output {name} = {expr}")
        params = ", ".join(f"{k} = {val}" for k, val in self.params.items())
        text = 'use "std.mg"\n'
        if self.block_lines:
            text += "\n" + "\n\n".join(self.block_lines) + "\n"
        text += f"\nnetwork {net}({params}) {{\n    "
        text += "".join(stmt + self.ws() for stmt in body).rstrip() + "\n}\n"
        return Generated(text, net, {name: shape for name, _, shape in outs}, levels)


def random_program(rng: random.Random, **options: Any) -> Generated:
    """A random valid program drawn with `rng` (see `ProgramGen`)."""
    return ProgramGen(RandomChooser(rng), **options).program()


# ------------------------------------------------------------------------- mutations

_TOKEN = r'\s+|#[^\n]*|"[^"\n]*"|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\w+|//|.'
_NUMBERS = ("0", "-1", "1", "2", "7", "1.5", "1e999", "9" * 30, "4294967296", "65537",
            "16385", "1e-400", ".5", "100000", "99999999", "2e9")
_INSERTS = ("{", "}", "(", ")", "[", "]", ",", "=", ":", "x", ".", "//", "/", "*", "-", "+",
            "repeat 100000 {", "section", "block", "network", "use", "input", "output",
            "return", "default", '"', "'", "#", "\n", "\x00", "\r", "\u2028", "\ufeff", "p[",
            ":]", "[:", "1e308 * 1e308", "concat(", "pyramid(", "true", "none", "as", "if",
            "else", "and", "or", "not", "**", "==", "<", "else if", "2 ** 99")


def tokens(text: str) -> list[str]:
    """`text` split into tokens, whitespace and comments (joining them gives it back)."""
    import re

    return re.findall(_TOKEN, text, flags=re.S)


def mutate(ch: Chooser, text: str) -> bytes:
    """One or a few random edits of `text`; the result may be any bytes."""
    toks = tokens(text)
    for _ in range(ch.int(1, 3)):
        if not toks:
            toks = [""]
        kind = ch.int(0, 11)
        i = ch.int(0, len(toks) - 1)
        if kind == 0:  # delete
            del toks[i]
        elif kind == 1:  # duplicate
            toks.insert(i, toks[i])
        elif kind == 2:  # swap two tokens
            j = ch.int(0, len(toks) - 1)
            toks[i], toks[j] = toks[j], toks[i]
        elif kind == 3:  # change a number
            nums = [k for k, t in enumerate(toks) if t[:1].isdigit()]
            if nums:
                toks[ch.choice(nums)] = ch.choice(_NUMBERS)
        elif kind == 4:  # wrong channel list: add or drop an item
            lists = [k for k, t in enumerate(toks) if t == "["]
            if lists:
                k = ch.choice(lists)
                toks.insert(k + 1, ch.choice(("1, ", "0, ", "[1], ", "x, ", "9999999, ")))
        elif kind == 5:  # truncate
            joined = "".join(toks)
            return joined[: ch.int(0, len(joined))].encode("utf-8", "surrogatepass")
        elif kind == 6:  # insert a token
            toks.insert(i, ch.choice(_INSERTS))
        elif kind == 7:  # replace a name with a hostile one
            names = [k for k, t in enumerate(toks) if t[:1].isalpha() or t[:1] == "_"]
            if names:
                toks[ch.choice(names)] = ch.choice(HOSTILE_NAMES)
        elif kind == 8:  # random bytes somewhere
            data = "".join(toks).encode("utf-8")
            at = ch.int(0, len(data))
            junk = bytes(ch.int(0, 255) for _ in range(ch.int(1, 4)))
            return data[:at] + junk + data[at:]
        elif kind == 9:  # invalid UTF-8
            data = "".join(toks).encode("utf-8")
            at = ch.int(0, len(data))
            return data[:at] + ch.choice((b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80")) + data[at:]
        elif kind == 10:  # grow a repeat count or resolution
            nums = [k for k, t in enumerate(toks) if t[:1].isdigit()]
            if nums:
                k = ch.choice(nums)
                toks[k] = toks[k] + ch.choice(("0000", "00", "e5", "000000000"))
        else:  # duplicate a whole line
            lines = "".join(toks).split("\n")
            k = ch.int(0, len(lines) - 1)
            lines.insert(k, lines[k])
            toks = tokens("\n".join(lines))
    return "".join(toks).encode("utf-8", "surrogatepass")


# -------------------------------------------------------------------------- checking


class FuzzTimeout(BaseException):
    """A check ran past its time limit (a BaseException, so no `except Exception` eats it)."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise `FuzzTimeout` once this process has used `seconds` of CPU time (SIGPROF, so
    a busy machine does not trip it); a no-op off the main thread or without setitimer."""
    import threading

    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def fire(signum, frame):
        raise FuzzTimeout(f"ran past {seconds:g} s of CPU time")

    old = signal.signal(signal.SIGPROF, fire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


@dataclass
class Finding:
    """Something that went wrong on one input: which stage, what, and the traceback."""

    stage: str
    message: str
    detail: str = ""

    def key(self) -> str:
        """A deduplication key: the stage and the innermost frame of the traceback."""
        frames = [ln.strip() for ln in self.detail.splitlines() if ln.strip().startswith("File ")]
        return f"{self.stage}|{self.message.split(':')[0]}|{frames[-1] if frames else ''}"


def error_span_problem(error: MgError, text: str | None, file: str) -> str | None:
    """Why an error's span does not lie inside `file` (None when it does).

    Lines are counted as the parser counts them (at `\\n`, and at a `\\r` not followed by
    one); a span may end one column past the end of its line (an end-of-line or
    end-of-file position). `text` None means the file could not be read at all: only the
    file name is checked.
    """
    for e in flatten_errors(error):
        format_diagnostic(e)  # rendering never fails
        span = e.span
        if span is None:
            return f"{e.code} has no span"
        if span.file != file:
            if span.file.endswith("std.mg"):
                return f"{e.code} points into std.mg, not the user's file"
            return f"{e.code} points at {span.file!r}, not {file!r}"
        if text is None:
            continue
        lines = re.sub(r"\r(?!\n)", "\n", text).split("\n")
        if not (1 <= span.line <= len(lines) and 1 <= span.end_line <= len(lines)):
            return f"{e.code} span {span} lines outside 1..{len(lines)}"
        if (span.end_line, span.end_col) < (span.line, span.col):
            return f"{e.code} span ends before it starts"
        if not 1 <= span.col <= len(lines[span.line - 1]) + 1:
            return f"{e.code} span column {span.col} outside line {span.line}"
        if not 1 <= span.end_col <= len(lines[span.end_line - 1]) + 2:
            return f"{e.code} span end column {span.end_col} outside line {span.end_line}"
    return None


def _have(module: str) -> bool:
    """True when the optional dependency `module` can be imported (torch is refused in the
    torch-free test tier)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


@dataclass
class CheckOptions:
    """What `check_text` runs: the backends and the limits on time and size."""

    render: bool = True
    compile: bool = True
    exec_source: bool = False
    front_seconds: float = 1.0      # parse + elaborate + fmt + stats of one input (CPU time)
    hang_seconds: float = 10.0      # CPU-time guard on the whole check
    compile_max_params: int = 200_000
    compile_max_nodes: int = 2_000
    outcomes: Counter = field(default_factory=Counter)


def check_text(text: str, file: str = FILE_NAME, opts: CheckOptions | None = None
               ) -> Finding | None:
    """Run `text` through every stage; a `Finding` if anything misbehaves, else None."""
    opts = opts or CheckOptions()
    stage = "setup"
    try:
        with time_limit(opts.hang_seconds):
            t0 = time.process_time()
            stage = "parse"
            from mgdsl.api import build_graph, stats
            from mgdsl.compilation import load_program, parse
            from mgdsl.ir.dump import dump
            from mgdsl.syntax.fmt import format_source

            try:
                parse(text, file)
            except MgError as exc:
                return _expected_error(exc, text, file, "parse", opts)
            stage = "fmt"
            once = format_source(text, file)
            twice = format_source(once, file)
            if twice != once:
                return Finding("fmt", "formatting is not idempotent", _diff(once, twice))
            stage = "check"
            try:
                ir = build_graph(load_program(file, text=text))
            except MgError as exc:
                problem = _expected_error(exc, text, file, "check", opts)
                if problem:
                    return problem
                stage = "fmt-meaning"
                try:
                    build_graph(load_program(file, text=once))
                except MgError as exc2:
                    a = sorted({e.code for e in flatten_errors(exc)})
                    b = sorted({e.code for e in flatten_errors(exc2)})
                    if a != b:
                        return Finding("fmt-meaning", f"errors {a} become {b} after fmt")
                    return None
                return Finding("fmt-meaning", "an invalid program became valid after fmt")
            stage = "stats"
            cost = stats(ir)
            before = dump(ir, spans=False)
            stage = "fmt-meaning"
            after = dump(build_graph(load_program(file, text=once)), spans=False)
            if before != after:
                return Finding("fmt-meaning", "fmt changed the IR", _diff(before, after))
            elapsed = time.process_time() - t0
            if elapsed > opts.front_seconds:
                return Finding("time", f"the front end took {elapsed:.2f} s CPU")
            opts.outcomes["valid"] += 1
            if opts.render:
                stage = "render"
                import mgdsl

                dot = mgdsl.render(ir)
                if not dot.startswith("digraph") or dot != mgdsl.render(ir):
                    return Finding("render", "DOT output is not deterministic or not a digraph")
            small = cost.params <= opts.compile_max_params and len(ir) <= opts.compile_max_nodes
            if opts.compile and small and _have("torch"):
                stage = "compile"
                import mgdsl

                mgdsl.to_fx(ir, init="torch")
                if _have("mgdsl.codegen.source"):
                    stage = "emit"
                    source = mgdsl.emit_source(ir)
                    compile(source, "<emitted>", "exec")
                    if opts.exec_source:
                        exec(compile(source, "<emitted>", "exec"), {"__name__": "mg_emitted"})
            return None
    except FuzzTimeout as exc:
        return Finding(stage, f"hang: {exc}")
    except RecursionError:
        return Finding(stage, "RecursionError", traceback.format_exc())
    except MgError as exc:
        return Finding(stage, f"MgError {exc.code} escaped from stage {stage}: {exc.message}",
                       traceback.format_exc())
    except Exception as exc:  # noqa: BLE001 - this is what the fuzzer looks for
        return Finding(stage, f"{type(exc).__name__}: {exc}"[:300], traceback.format_exc())


def _expected_error(exc: MgError, text: str, file: str, stage: str, opts: CheckOptions
                    ) -> Finding | None:
    for e in flatten_errors(exc):
        opts.outcomes[e.code] += 1
    problem = error_span_problem(exc, text, file)
    if problem:
        return Finding(stage, f"bad span: {problem}", str(exc))
    return None


def _diff(a: str, b: str) -> str:
    import difflib

    return "\n".join(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm=""))


def check_bytes(data: bytes, opts: CheckOptions | None = None, *,
                workdir: Path | None = None) -> Finding | None:
    """Check raw file contents: read through `parse_file` (so binary files and invalid
    UTF-8 take the file route) and, when the file decodes, `check_text` on it."""
    opts = opts or CheckOptions()
    from mgdsl.compilation import read_source

    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        path = workdir / FILE_NAME
        path.write_bytes(data)
        try:
            with time_limit(opts.hang_seconds):
                text = read_source(path)
        except FuzzTimeout as exc:
            return Finding("read", f"hang: {exc}")
        except MgError as exc:
            for e in flatten_errors(exc):
                opts.outcomes[e.code] += 1
            if exc.code not in ("E604", "E502"):
                return Finding("read", f"unexpected {exc.code} reading bytes: {exc.message}")
            return None
        except Exception as exc:  # noqa: BLE001
            return Finding("read", f"{type(exc).__name__}: {exc}", traceback.format_exc())
    return check_text(text, FILE_NAME, opts)


# ------------------------------------------------------------------------------- CLI


def _save(data: bytes, directory: Path, finding: Finding) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]
    path = directory / f"crash-{digest}.input"
    path.write_bytes(data)
    (directory / f"crash-{digest}.txt").write_text(
        f"{finding.stage}: {finding.message}\n\n{finding.detail}", encoding="utf-8")
    return path


def run_fuzz(seconds: float, *, seed: int = 0, save_dir: Path | None = None,
             max_inputs: int | None = None, opts: CheckOptions | None = None,
             log: Callable[[str], None] = print) -> dict[str, Any]:
    """Fuzz for `seconds` (or `max_inputs` inputs): half valid programs, half mutations.

    Returns a summary: inputs tried, valid ones, error codes seen and the findings
    (one per distinct crash site), each saved to `save_dir` when given.
    """
    opts = opts or CheckOptions()
    rng = random.Random(seed)
    chooser = RandomChooser(rng)
    findings: dict[str, tuple[Finding, Path | None]] = {}
    tried = 0
    deadline = time.monotonic() + seconds
    with tempfile.TemporaryDirectory() as tmp:
        while time.monotonic() < deadline and (max_inputs is None or tried < max_inputs):
            gen = random_program(rng)
            data = gen.text.encode() if rng.random() < 0.3 else mutate(chooser, gen.text)
            tried += 1
            finding = check_bytes(data, opts, workdir=Path(tmp))
            if finding is None:
                continue
            key = finding.key()
            if key in findings:
                continue
            saved = _save(data, save_dir, finding) if save_dir else None
            findings[key] = (finding, saved)
            log(f"finding {len(findings)}: [{finding.stage}] {finding.message}"
                + (f"  -> {saved}" if saved else ""))
    return {"inputs": tried, "valid": opts.outcomes["valid"],
            "codes": dict(sorted(opts.outcomes.items())),
            "findings": [(f.stage, f.message, str(p) if p else None) for f, p in findings.values()]}


def main(argv: list[str] | None = None) -> int:
    """`python -m mgdsl.testing.fuzz --seconds N [--seed S] [--save-dir DIR] [--no-compile]`."""
    parser = argparse.ArgumentParser(prog="python -m mgdsl.testing.fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to fuzz")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: time)")
    parser.add_argument("--max-inputs", type=int, default=None, help="stop after this many")
    parser.add_argument("--save-dir", type=Path, default=Path("tests/regressions"),
                        help="where crash inputs are saved (default: tests/regressions)")
    parser.add_argument("--no-compile", action="store_true", help="skip to_fx / emit_source")
    parser.add_argument("--no-render", action="store_true", help="skip render-to-DOT")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time())
    opts = CheckOptions(render=not args.no_render, compile=not args.no_compile)
    start = time.monotonic()
    summary = run_fuzz(args.seconds, seed=seed, save_dir=args.save_dir,
                       max_inputs=args.max_inputs, opts=opts)
    took = time.monotonic() - start
    print(f"seed {seed}: {summary['inputs']} inputs in {took:.0f} s "
          f"({summary['valid']} valid), {len(summary['findings'])} finding(s)")
    top = sorted(((n, c) for c, n in summary["codes"].items() if c != "valid"), reverse=True)
    print("error codes seen: " + ", ".join(f"{c}×{n}" for n, c in top[:20]))
    for stage, message, path in summary["findings"]:
        print(f"  [{stage}] {message}" + (f"  saved: {path}" if path else ""))
    return 1 if summary["findings"] else 0


if __name__ == "__main__":
    sys.exit(main())
