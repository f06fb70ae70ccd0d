"""Pyramid inputs: `input feats: pyramid [256 x 56 x 56, 512 x 28 x 28, ...]`.

A neck or head fed by any backbone takes its feature maps as one input per grid, finest
first, on levels 0, 1, 2, ... (each grid half the size of the one before, rounded either
way, as strided convolutions and pools round). The network's inputs are named
`feats_0`, `feats_1`, ...: the compiled module, the emitted source and ONNX take one tensor
per grid, in that order, and `--input feats_1=CxHxW` checks another size of one grid.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mgdsl.elab import primitives as prim
from mgdsl.elab.context import CallContext
from mgdsl.elab.values import Pyramid
from mgdsl.errors import MgNameError, MgShapeError, MgTypeError, Span
from mgdsl.limits import LIMITS
from mgdsl.syntax import ast

__all__ = ["pyramid_input", "grid_input_name", "halves"]

_WHAT = ("channels", "height", "width")


def grid_input_name(name: str, level: int) -> str:
    """The network input that holds grid `level` of pyramid input `name`: `feats_2`."""
    return f"{name}_{level}"


def halves(coarse: int, fine: int) -> bool:
    """Whether a side of `coarse` is half of `fine`, rounded down or up."""
    return coarse in (fine // 2, -(-fine // 2))


def _span_of(dims: tuple[ast.Expr, ...]) -> Span:
    first, last = dims[0].span, dims[-1].span
    return dataclasses.replace(first, end_line=last.end_line, end_col=last.end_col)


def _dims(elab: Any, ctx: CallContext, exprs: tuple[ast.Expr, ...], name: str,
          span: Span) -> tuple[int, ...]:
    limits = (LIMITS.max_channels, LIMITS.max_resolution, LIMITS.max_resolution)
    if name in elab.input_sizes:  # checking another size (`--input`)
        size = elab.input_sizes[name]
        if len(size) != 3:
            raise MgTypeError(f"input `{name}` needs 3 sizes (C x H x W), got {len(size)}",
                              span, code="E325")
        values = list(size)
    else:
        values = [elab.eval(d) for d in exprs]
    return tuple(prim.as_int(ctx, v, what, maximum=limit)
                 for v, what, limit in zip(values, _WHAT, limits, strict=True))


def pyramid_input(elab: Any, stmt: ast.InputDecl, where: str) -> None:
    """Declare the grids of pyramid input `stmt` as network inputs on levels 0, 1, ... and
    bind the pyramid to its name."""
    if where != "network":
        raise MgNameError("`input` is only allowed in a network", stmt.span, code="E208")
    ctx = elab._ctx("input", stmt.span)
    prim.as_int(ctx, len(stmt.pyramid), "the number of pyramid levels",
                maximum=LIMITS.max_levels)
    inputs = elab.builder.graph.graph["inputs"]
    names = [grid_input_name(stmt.name, i) for i in range(len(stmt.pyramid))]
    for name in (stmt.name, *names):
        if name in inputs:
            raise MgNameError(f"input `{name}` is declared twice", stmt.span, code="E206",
                              hint=f"the pyramid input `{stmt.name}` declares the inputs "
                                   f"{', '.join(names)}")
    shapes = []
    for i, (exprs, name) in enumerate(zip(stmt.pyramid, names, strict=True)):
        span = _span_of(exprs)
        ctx.span = elab._user_span(span)
        shape = _dims(elab, ctx, exprs, name, span)
        if shapes:
            _, h, w = shapes[-1]
            if not (halves(shape[1], h) and halves(shape[2], w)):
                want = " or ".join(dict.fromkeys(f"{a}x{b}" for a, b in (
                    (h // 2, w // 2), (-(-h // 2), -(-w // 2)))))
                raise MgShapeError(
                    f"grid {i} of pyramid input `{stmt.name}` is {shape[1]}x{shape[2]}, but "
                    f"level {i} must be half of level {i - 1} ({h}x{w}): {want}", span,
                    code="E354", hint="a pyramid input lists one grid per level, finest "
                                      "first, each half the size of the one before "
                                      "(backbone stages of strides 4, 8, 16, 32)")
        shapes.append(shape)
    grids = []
    for level, (name, shape) in enumerate(zip(names, shapes, strict=True)):
        ctx.span, ctx.segment = elab._user_span(stmt.span), name
        grid = ctx.node("input", [], {"shape": shape, "name": name}, level)
        inputs[name] = grid.node
        grids.append(grid)
    elab.frame.vars[stmt.name] = Pyramid(tuple(grids))
