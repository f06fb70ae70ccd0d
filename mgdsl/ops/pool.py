"""Pooling: max, average and global average pooling."""

from __future__ import annotations

from fractions import Fraction

from .spec import Args, Call, OpSpec, Param, Shape, pool_out

X = Param("x", kind="grids", doc="a grid or pyramid")


def _pool_args(ceil: bool) -> tuple[Param, ...]:
    """The signature of `maxpool` and `avgpool`, which differ in the default of `ceil`."""
    return (X, Param("k", 2, "int", "the window size (k x k)"),
            Param("stride", -1, "int", "the step between windows; a power of two makes the "
                                       "grid that many levels coarser", computed="k"),
            Param("pad", 0, "int", "padding on every side, at most k // 2"),
            Param("ceil", ceil, "bool", "round the output size up, not down; "
                  + ("true for `maxpool` (PyTorch's `ceil_mode` defaults to false)" if ceil
                     else "false for `avgpool`, as in PyTorch")),
            Param("output", None, "int", "instead of a window: the output size, one number "
                                         "or [h, w], at every input size (PyTorch's adaptive "
                                         "pooling); the grid then sits on no level"))


def _pool_shape(a: Args, ins: list[Shape]) -> Shape:
    c, h, w = ins[0]
    return (c, pool_out(h, a["k"], a["stride"], a["pad"], a["ceil"]),
            pool_out(w, a["k"], a["stride"], a["pad"], a["ceil"]))


def _pool(fn: str):
    def lower(a: Args, ins: list[Shape]) -> Call:
        import torch.nn.functional as F

        return Call(getattr(F, fn), (a["k"], a["stride"], a["pad"]), {"ceil_mode": a["ceil"]})

    return lower


def _gap(a: Args, ins: list[Shape]) -> Call:
    import torch.nn.functional as F

    return Call(F.adaptive_avg_pool2d, (1,))


def _pool_source(fn: str) -> str:
    return (f"F.{fn}({{{{ n.ins[0] }}}}, {{{{ n.lit.k }}}}, {{{{ n.lit.stride }}}}, "
            "{{ n.lit.pad }}, ceil_mode={{ n.lit.ceil }})")


SPECS = [
    OpSpec("maxpool", "max pooling", shape=_pool_shape, lower=_pool("max_pool2d"),
           rf=lambda a: (a["k"], Fraction(a["stride"])), source=_pool_source("max_pool2d"),
           draw="pool", colour="#a8d5e5", doc="k x k max pooling of every grid.",
           example="maxpool(x)", builtin=_pool_args(True), own_applier=True,
           builtin_doc="max pooling of every grid.",
           shape_doc="`C x H' x W'` with H' = (H + 2 pad - k) / stride + 1, rounded up if `ceil` "
                     "(true by default); with `output`: `C x h x w`, on no level"),
    OpSpec("avgpool", "average pooling", shape=_pool_shape, lower=_pool("avg_pool2d"),
           rf=lambda a: (a["k"], Fraction(a["stride"])), source=_pool_source("avg_pool2d"),
           draw="pool", colour="#a8d5e5", doc="k x k average pooling of every grid.",
           example="avgpool(x, 3, 2, 1)", builtin=_pool_args(False), own_applier=True,
           builtin_doc="avg pooling of every grid.",
           shape_doc="`C x H' x W'` with H' = (H + 2 pad - k) / stride + 1, rounded up if `ceil` "
                     "(false by default); with `output`: `C x h x w`, on no level"),
    OpSpec("gap", "global average pooling", shape=lambda a, i: (i[0][0], 1, 1), lower=_gap,
           rf=lambda a: (None, Fraction(1)), source="F.adaptive_avg_pool2d({{ n.ins[0] }}, 1)",
           draw="move", doc="The mean of every channel: a C x 1 x 1 grid.",
           example="gap(x)", builtin=(X,), own_applier=True,
           builtin_doc="global average pooling of every grid to 1x1.",
           shape_doc="`C x 1 x 1`"),
]
