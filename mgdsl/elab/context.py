"""`CallContext`: what a built-in function sees of the call that invoked it.

It lives apart from the elaborator so that the built-ins (`primitives`) and the
elaborator (`elaborate`) both depend on it without depending on each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mgdsl.elab.values import Grid
from mgdsl.errors import MgLimitError, MgShapeError, Span
from mgdsl.limits import LIMITS
from mgdsl.ops import OPS

__all__ = ["CallContext"]


@dataclass
class CallContext:
    """What a primitive sees of the call: where it is, and how to add a node."""

    elab: Any  # the running `mgdsl.elab.elaborate.Elaborator`
    func: str
    span: Span
    origin: Span
    segment: str
    share: Any = None  # a `mgdsl.elab.sharing.Share` while a `shared` call runs

    def node(self, op: str, inputs: list[Grid], args: dict[str, Any], level: int | None,
             refs: tuple[Grid, ...] = ()) -> Grid:
        """Add an IR node computing `op` of `inputs` (reading the shapes of `refs` at run
        time); checks its shape and the limits."""
        spec = OPS[op]
        args = spec.stored(args)
        if self.share is not None:
            args = self.share.link(self, op, args, inputs)
        shape = spec.shape(args, [g.shape for g in inputs])
        if any(s < 1 for s in shape):
            src = "x".join(map(str, inputs[0].shape))
            raise MgShapeError(f"`{self.func}` turns a {src} grid into "
                               f"{'x'.join(map(str, shape))}", self.span, code="E302",
                               hint="the grid is too small for this kernel, stride or pooling")
        if len(shape) == 3 and max(shape[1:]) > LIMITS.max_resolution:
            raise MgLimitError(f"a grid of {shape[1]}x{shape[2]} exceeds the resolution limit "
                               f"{LIMITS.max_resolution}", self.span, code="E506",
                               hint="raise mgdsl.limits.LIMITS.max_resolution")
        if shape[0] > LIMITS.max_channels * 16 * (1 if len(shape) == 3 else 1 << 20):
            raise MgLimitError(f"{shape[0]:,} channels exceed the limit", self.span, code="E504")
        e = self.elab
        params = spec.params(args, [g.shape for g in inputs], shape)
        e.total_params += params
        if e.total_params > LIMITS.max_params:
            raise MgLimitError(f"the network exceeds {LIMITS.max_params:,} parameters",
                               self.span, code="E507", hint="raise mgdsl.limits.LIMITS.max_params")
        frame = e.frame
        grid = "" if level is None or op in ("input", "output") else f".g{level}"
        scope = frame.path + (self.segment,)
        nid = e.builder.add(op, [g.node for g in inputs], shape=shape, level=level, args=args,
                            name=".".join(scope) + grid, scope=scope, section=frame.section,
                            span=self.span, origin=self.origin,
                            refs=tuple(r.node for r in refs))
        if self.share is not None:
            self.share.added(nid)
        learned = op == "learned" or (bool(inputs) and all(g.learned for g in inputs))
        return Grid(nid, level, shape, learned)
