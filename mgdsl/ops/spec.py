"""`OpSpec`: everything mgdsl knows about one primitive IR op, in one object.

An op's definition holds its documentation, the rule for its output shape, its parameter
and MAC counts, its receptive-field step, how the fx backend lowers it (a function that
imports torch only when called, so `import mgdsl` never does), the Jinja snippet the
source emitter writes for it, how its weights are initialised, and how diagrams draw it.
Every consumer (elaboration, validation, the analyses, both backends, the diagrams) reads
this object; nothing else is keyed by op name.

Conventions (the paper's): parameters are every learnable tensor (conv and
linear weights and biases, norm scales and shifts; never running statistics). MACs are
the multiply-accumulates of the weight layers (conv, transposed conv, linear), exactly
what `torch.utils.flop_counter.FlopCounterMode` counts as two FLOPs each; element-wise
ops (sums, products, activations, norms), pooling and resampling count 0 MACs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from mgdsl.syntax.literal import mg_literal

Shape = tuple[int, ...]
Args = dict[str, Any]

__all__ = ["OpSpec", "Param", "REQUIRED", "Module", "Call", "Shape", "Args", "DRAW_KINDS", "same_shape",
           "conv_out", "deconv_out", "pool_out", "PARAM_KINDS", "signature_text"]

# how diagrams draw an op: a box of its own ("layer": a weight layer, "box": another op),
# "fold": written inside the box of the op before it, "move": an arrow between boxes
# (a box when several ops read it), "pool": a move that pools (the input pyramid's grids),
# "io": the network's inputs and outputs, "weight": a learned tensor, written inside the
# box of the op that reads it (it is a weight, not data flowing through the network)
DRAW_KINDS = ("layer", "box", "fold", "move", "pool", "io", "weight")


def conv_out(size: int, k: int, stride: int, pad: int, dilation: int = 1) -> int:
    """Output length of a convolution along one axis (floor mode)."""
    return (size + 2 * pad - dilation * (k - 1) - 1) // stride + 1


def deconv_out(size: int, k: int, stride: int, pad: int, output_padding: int = 0) -> int:
    """Output length of a transposed convolution along one axis."""
    return (size - 1) * stride - 2 * pad + k + output_padding


def pool_out(size: int, k: int, stride: int, pad: int, ceil: bool) -> int:
    """Output length of max/avg pooling along one axis, exactly as PyTorch computes it."""
    span = size + 2 * pad - k
    out = (-(-span // stride) if ceil else span // stride) + 1
    if ceil and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def same_shape(args: Args, ins: list[Shape]) -> Shape:
    """The shape rule of ops that keep their input's shape."""
    return ins[0]


REQUIRED = object()  # a `Param` default: the argument must be given

# value kinds of a `Param`: "tensor" (a grid, a pyramid or a vector), "grids" (spatial
# grids only), "int" (an integer; at least 1 where the generic built-in checks it),
# "number", "fraction" (0 <= v < 1), "bool", "choice" (one of the `Param`'s `choices`)
PARAM_KINDS = ("tensor", "grids", "int", "number", "fraction", "bool", "choice")


@dataclass(frozen=True)
class Param:
    """One argument of an op's built-in: its name, default (`REQUIRED` if none), kind
    (one of `PARAM_KINDS`) and a few words of documentation.

    `choices` lists the strings a "choice" takes, its default first. `computed` is the
    text signatures show for a default computed from other arguments (conv's `pad`:
    `dilation * (k // 2)`); `default` then holds -1, the value the built-in replaces.
    `variadic`: the argument is any number of positional values (signatures show
    `a, b, ...`)."""

    name: str
    default: Any = REQUIRED
    kind: str = "number"
    doc: str = ""
    choices: tuple[str, ...] = ()
    computed: str = ""
    variadic: bool = False

    @property
    def label(self) -> str:
        """The argument's name as signatures and references show it."""
        return "a, b, ..." if self.variadic else self.name

    def text(self) -> str:
        """The argument as a signature shows it: `k = 3`, `mode = "nearest"|"bilinear"`."""
        if self.variadic or self.default is REQUIRED:
            return self.label
        if self.computed:
            return f"{self.name} = {self.computed}"
        if self.choices:
            return f"{self.name} = " + "|".join(f'"{c}"' for c in self.choices)
        return f"{self.name} = {mg_literal(self.default)}"


def signature_text(name: str, params: tuple[Param, ...]) -> str:
    """`name(x, slope = 0.01)`: a built-in's signature as the language writes calls."""
    return f"{name}({', '.join(p.text() for p in params)})"


@dataclass(frozen=True)
class Module:
    """An fx lowering to a submodule: `cls(*args, **kwargs)`, called on the inputs.

    `cls` is a torch module class, or the name of a layer of `mgdsl.codegen.support`
    (`"BatchNorm"`, `"Linear"`: layers that remember the paper's initialisation, which
    emitted source copies verbatim; `"WindowAttention"` of `mgdsl.codegen.attention`);
    the fx backend looks the name up, so the op table never imports the code generator."""

    cls: type | str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """An fx lowering to `target(*inputs, *extra, **kwargs)`; `variadic` passes the
    inputs as one list (`torch.cat`); `refs` says the op also reads the shapes of its
    `refs` (see `OpSpec.refs`), passed after the inputs. A `target` given by name is a
    function of the code generator (`"attention"`), looked up as `Module.cls` is."""

    target: Callable[..., Any] | str
    extra: tuple = ()
    kwargs: dict = field(default_factory=dict)
    variadic: bool = False


def _zero(args: Args, ins: list[Shape], out: Shape) -> int:
    return 0


def _pointwise(args: Args) -> tuple[int | None, Fraction]:
    return 1, Fraction(1)


@dataclass(frozen=True)
class OpSpec:
    """One primitive op (see the module docstring).

    `shape(args, in_shapes)` gives the output shape; `params` and `macs` take
    `(args, in_shapes, out_shape)`; `rf(args)` (or `rf(args, in_shapes)`, for a step that
    depends on the input's size) gives `(extent, stride)` for the receptive
    field recurrence `r_out = r_in + (extent - 1) * j_in`, `j_out = j_in * stride`
    (`extent` None: the op sees its whole input). Where one output pixel's window is not
    `extent` input pixels from `floor(i * stride) - pad`, `reads(args, in_shapes,
    out_shape, axis)` gives it exactly: a function from an output index along `axis` (0:
    rows, 1: columns) to the first and last input index it reads, on an unbounded grid
    (`stats` follows these windows back from the output, so that two resamplings in a row
    are exact where the recurrence is not). `weight_layer` marks ops that count as
    a layer of depth. `optional` lists arguments an IR node stores only when they differ
    from the default given here (so adding an argument leaves older IR dumps unchanged);
    read them with `arg`.

    `lower(args, in_shapes)` gives the fx lowering, a `Module` (then `module` is true) or
    a `Call`; None for `input`/`output`. `source` is the Jinja expression the emitted
    `forward` computes (`n.ins`: operand variables, `n.refs`: variables whose shapes it
    reads, `n.mod`: the submodule, `n.lit`: the arguments as Python literals, `n.cin`:
    input channels); `source_module` the constructor of a module op's submodule.
    `init` says how `init_paper` initialises the op's weights. `draw` is one of
    `DRAW_KINDS`, `colour` the fill of its boxes in expanded diagrams; `shortcut`: a
    second operand arriving by a shortcut is a residual (`+`); `joins`: the op merges
    operands, so an operand that also reaches another one is a skip edge; `folds_bn`: an
    inference BN right after it can be folded into its weights. `example` is a `.mg`
    expression using it on a grid `x` of 4 x 8 x 8 (the tests build, count and run it).
    `shape_doc` is the shape rule in words for the language reference (C, H and W are a
    grid's channels, height and width); left empty, an op that keeps its input's shape
    (`same_shape`) reads "unchanged".

    `builtin`, when given, is the signature of the language built-in of the same name,
    the only place its arguments, defaults and their documentation are written. By
    default the built-in applies the op to every grid of a pyramid (its first `Param` is
    the tensor; the others become the node's arguments, one value for all grids or a
    list with one per grid); `check(args, in_shape)` then returns `(message, hint)` when
    the op cannot apply to a grid (error E320). `own_applier`: the built-in does more
    (levels, sizes, several operands), so `mgdsl.elab.primitives` registers an applier
    function for it, whose Python parameters are the `builtin` names. `builtin_doc` says
    what the built-in does after its signature (in hints and the reference) when `doc`,
    which describes the op, is not the right text.

    `norm_group(args, in_shape)`, for a normalisation, is how many values of one sample
    each of its groups normalises together (group norm: channels / groups × H × W; a
    layer norm over channels: C); `norm_batch`: its groups also span the batch (batch
    norm: H × W per sample). A group of one value is normalised to a constant (`mgdsl.ir.lint`
    warns, W120), and PyTorch refuses it at batch 1.
    """

    name: str
    summary: str
    shape: Callable[[Args, list[Shape]], Shape]
    lower: Callable[[Args, list[Shape]], Module | Call | None]
    source: str
    draw: str
    colour: str = "#e8e8e8"
    params: Callable[[Args, list[Shape], Shape], int] = _zero
    macs: Callable[[Args, list[Shape], Shape], int] = _zero
    rf: Callable[..., tuple[int | None, Fraction]] = _pointwise
    reads: Callable[..., Callable[[int], tuple[int, int]]] | None = None
    weight_layer: bool = False
    module: bool = False
    source_module: str = ""
    init: str = ""
    optional: dict[str, Any] = field(default_factory=dict)
    shortcut: bool = False
    joins: bool = False
    folds_bn: bool = False
    doc: str = ""
    example: str = ""
    builtin: tuple[Param, ...] | None = None
    check: Callable[[Args, Shape], tuple[str, str] | None] | None = None
    own_applier: bool = False
    builtin_doc: str = ""
    norm_group: Callable[[Args, Shape], int] | None = None
    norm_batch: bool = False
    shape_doc: str = ""

    def signature(self) -> str:
        """The built-in's signature, `conv(x, ch, k = 3, ...)`; "" when it has none."""
        return signature_text(self.name, self.builtin) if self.builtin is not None else ""

    def usage(self) -> str:
        """The built-in's one-paragraph documentation: its signature, then what it does."""
        return f"{self.signature()}: {self.builtin_doc or self.doc}"

    def shape_text(self) -> str:
        """The shape rule in words: `shape_doc`, or "unchanged" for a shape-keeping op."""
        return self.shape_doc or ("unchanged" if self.shape is same_shape else "")

    def arg(self, args: Args, name: str) -> Any:
        """The value of argument `name` of a node's `args`, its default if left out."""
        return args.get(name, self.optional.get(name))

    def stored(self, args: Args) -> Args:
        """`args` without the optional arguments that equal their defaults."""
        opt = self.optional
        return {k: v for k, v in args.items()
                if not (k in opt and type(v) is type(opt[k]) and v == opt[k])}
