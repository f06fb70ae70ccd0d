"""The language reference, generated from the definitions themselves.

Every built-in function (`mgdsl.compilation.BUILTINS`, the primitives of the elaborator: an op's built-in is
documented by its spec in the op table, `mgdsl.ops`, a language function by its
docstring) and every standard block (`std.mg`, documented by the comment above it)
becomes one `Entry`: signature, defaults, shape rule and one example. The example is elaborated, so the shapes the reference prints
are the compiler's own. `docs/language.md` holds the Markdown between two markers;
regenerate it with

    python -m mgdsl.reference docs/language.md

(`tests/test_reference.py` fails when it is stale). `mgdsl ops` and `mgdsl blocks` print
the same entries in the terminal. Nothing here imports torch.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from mgdsl.compilation import BUILTINS, Pyramid, std_module
from mgdsl.compilation import evaluate as evaluate_variable
from mgdsl.ops import OPS, OpSpec, same_shape
from mgdsl.syntax import ast
from mgdsl.syntax.fmt import format_expr

__all__ = ["Entry", "op_entries", "block_entries", "markdown", "update", "BEGIN", "END",
           "EXAMPLE_SETUP"]

BEGIN = "<!-- BEGIN GENERATED REFERENCE (python -m mgdsl.reference docs/language.md) -->"
END = "<!-- END GENERATED REFERENCE -->"

# what every example may read: a grid `x`, a three-grid pyramid `p`, a vector `v`
EXAMPLE_SETUP = ("input x: 4 x 8 x 8", "p = pyramid(x, 3)", "v = flatten(gap(x))")

# The shape rule of each built-in and standard block, in a line; C, H and W are a grid's
# channels, height and width. Ops of the op table that keep their shape need no entry.
SHAPE_RULES = {
    "conv": "`ch x H' x W'` with H' = (H + 2 pad - dilation (k - 1) - 1) // stride + 1 (same "
            "size at stride 1 for an odd k; H / k for an even k at stride k)",
    "deconv": "`ch x H' x W'` with H' = (H - 1) stride - 2 pad + k + output_padding (double "
              "size by default)",
    "bn": "unchanged", "relu": "unchanged", "sigmoid": "unchanged",
    "maxpool": "`C x H' x W'` with H' = (H + 2 pad - k) / stride + 1, rounded up if `ceil` "
               "(true by default); with `output`: `C x h x w`, on no level",
    "avgpool": "`C x H' x W'` with H' = (H + 2 pad - k) / stride + 1, rounded up if `ceil` "
               "(false by default); with `output`: `C x h x w`, on no level",
    "gap": "`C x 1 x 1`",
    "upsample": "`C x sH x sW`, or the size of the matching grid of `like`",
    "pad": "`ch x H x W` (`ch` at least C)",
    "flatten": "a vector of C·H·W values",
    "linear": "a vector of `n` values",
    "pyramid": "`levels` grids: `x`, then `x` halved 1, 2, ... times (levels 0, 1, ...)",
    "concat": "per level, the channels summed; a grid alone on its level passes through",
    "len": "a number", "channels": "a list of numbers, one per grid",
    "levels": "a list of numbers, one per grid",
    "min": "a number",
    "max": "a number; of a tensor, per grid `1 x H x W` (`over = \"channels\"`) or "
           "`C x 1 x 1` (`over = \"space\"`)",
    "mean": "as `max`", "sum": "as `max`; of a learned tensor `1 x 1 x 1`",
    "param": "`n x 1 x 1`, on no level", "split": "one `c_i x H x W` grid per size",
    "layernorm": "unchanged",
    "space_to_depth": "`C r² x H/r x W/r`, log2(r) levels coarser",
    "depth_to_space": "`C/r² x rH x rW`, log2(r) levels finer",
    "attention": "per grid of `q`, its shape (`k` and `v`: any sizes, q's channels)",
    # standard blocks
    "cbr": "per grid `ch x H x W` (odd `k`)", "cb": "per grid `ch x H x W` (odd `k`)",
    "mgconv": "per grid `ch x H x W`; levels unchanged",
    "mgconv_down": "per grid `ch x H x W`; levels unchanged",
    "mgconv_up": "per grid `ch x H x W`; levels unchanged",
    "mgcbr": "per grid `ch x H x W`; levels unchanged",
    "mgcb": "per grid `ch x H x W`; levels unchanged",
    "resmg": "per grid `ch x H x W`; levels unchanged",
    "resmg_linear": "per grid `ch x H x W`; levels unchanged",
    "resmg_proj": "per grid `ch x H x W`; levels unchanged",
    "resmg_proj_linear": "per grid `ch x H x W`; levels unchanged",
    "mgpool": "every grid `C x H/2 x W/2` (rounded up), one level coarser",
    "mgpool_merge": "one grid fewer: the second-coarsest pooled, its channels joined by the "
                    "coarsest's",
    "stems": "`levels` grids, grid l `ch x H/2^l x W/2^l`",
    "classifier": "a vector of `classes` values",
    "dcbr": "per grid `ch x 2H x 2W`, one level finer",
    "mgup": "the levels of `skip`, with `ch` channels",
    "pmg_start": "per grid `ch x H x W`; levels unchanged",
    "rpmg_start": "per grid `ch x H x W`; levels unchanged",
    "stems7": "`levels` grids, grid l `ch x H/2^(l+2) x W/2^(l+2)` (a stride-2 conv and a "
              "stride-2 pool)",
    "se": "unchanged", "mix_ffn": "unchanged", "swin": "unchanged",
    "cbam": "unchanged (one grid)",
    "convnext": "unchanged (one grid)",
    "pyramid_pooling": "`C + len(bins) ch x H x W` (one grid)",
}

# One example per built-in without one in the op table, and per standard block; they
# read the names of `EXAMPLE_SETUP`.
EXAMPLES = {
    "conv": "conv(x, 8, 3, stride = 2)", "deconv": "deconv(x, 2)", "bn": "bn(p)",
    "relu": "relu(p)", "sigmoid": "sigmoid(x)", "maxpool": "maxpool(p)",
    "avgpool": "avgpool(x, 3, stride = 1, pad = 1)", "gap": "gap(p)",
    "upsample": "upsample(p[1:], like = p[:-1])", "pad": "pad(x, 6)", "flatten": "flatten(x)",
    "linear": "linear(v, 10)", "pyramid": "pyramid(x, 2)", "concat": "concat(p, maxpool(p))",
    "len": "len(p)", "channels": "channels(p)", "levels": "levels(maxpool(p[1:]))",
    "min": "min(channels(p))",
    "max": "max(3, len(p))", "mean": 'mean(p, over = "space")',
    "sum": "sum(param(3, init = 0.5))", "param": "x * param(4, init = 1e-6)",
    "split": "split(x, [1, 3])",
    # standard blocks
    "cbr": "cbr(x, 8)", "cb": "cb(p, [8, 4, 2], k = 1)", "mgconv": "mgconv(p, [8, 4, 2])",
    "mgconv_down": "mgconv_down(p, 8)", "mgconv_up": "mgconv_up(p, 8)",
    "mgcbr": "mgcbr(p, [8, 4, 2])", "mgcb": "mgcb(p, [8, 4, 2])",
    "resmg": "resmg(p, [8, 4, 2])", "resmg_linear": "resmg_linear(p, 2)",
    "resmg_proj": "resmg_proj(p, [4, 4, 4])", "resmg_proj_linear": "resmg_proj_linear(x, 2)",
    "mgpool": "mgpool(p)", "mgpool_merge": "mgpool_merge(p)",
    "stems": "stems(x, [8, 4, 2], levels = 3)", "classifier": "classifier(p, 10)",
    "dcbr": "dcbr(p[1:], 4)", "mgup": "mgup(p[1:], p, [8, 4, 2])",
    "pmg_start": "pmg_start(p, [8, 4, 2], 1)", "rpmg_start": "rpmg_start(p, [8, 4, 2], 1)",
    "stems7": "stems7(x, [8, 4], levels = 2)",
    "se": "se(p, r = 2)", "mix_ffn": "mix_ffn(x)",
    "swin": "swin(x, 2, window = 4, shift = 2)", "cbam": "cbam(x, r = 2)",
    "convnext": "convnext(x)", "pyramid_pooling": "pyramid_pooling(x, 2)",
}


@dataclass(frozen=True)
class Entry:
    """One built-in or standard block as the reference shows it."""

    name: str
    signature: str   # `name(a, b = 2)`
    summary: str     # what it does, one paragraph
    shape: str       # the shape rule
    example: str     # a `.mg` expression reading `EXAMPLE_SETUP`
    result: str      # what the example evaluates to
    args: tuple[tuple[str, str], ...] = ()  # (argument, what it is) where documented


# --------------------------------------------------------------------------- entries


def _op_spec(name: str) -> OpSpec | None:
    """The op table's spec of `name`, if the built-in is an IR op (not `pyramid`, `len`...)."""
    return OPS.get(name)


def _shape_rule(name: str, spec: OpSpec | None) -> str:
    """The shape rule of a built-in: written above, or read off its op's shape function."""
    if name in SHAPE_RULES:
        return SHAPE_RULES[name]
    return "unchanged" if spec is not None and spec.shape is same_shape else ""


def op_entries() -> list[Entry]:
    """Every built-in function, in the order the language defines them."""
    out = []
    for name, prim in BUILTINS.items():
        summary = prim.summary()
        summary = summary[:1].upper() + summary[1:]
        spec = _op_spec(name)
        example = (spec.example if spec else "") or EXAMPLES.get(name, "")
        args = tuple((p.label, p.doc) for p in (spec.builtin if spec else None) or () if p.doc)
        out.append(Entry(name, prim.signature, summary, _shape_rule(name, spec), example,
                         evaluate(example) if example else "", args))
    return out


def _doc_comments(module: ast.Module) -> dict[str, str]:
    """The comment paragraph above each block; blocks defined right after another one
    without a comment of their own share its comment."""
    by_line = {c.line: c.text.lstrip("#").strip() for c in module.comments if c.col == 1}
    docs: dict[str, str] = {}
    shared = ""
    for item in module.items:
        if not isinstance(item, ast.BlockDef):
            continue
        lines, line = [], item.span.line - 1
        while line in by_line:
            lines.insert(0, by_line[line])
            line -= 1
        shared = " ".join(lines) or shared
        docs[item.name] = shared
    return docs


def _param_text(param: ast.Param) -> str:
    return param.name if param.default is None else f"{param.name} = {format_expr(param.default)}"


def block_entries() -> list[Entry]:
    """Every block of the standard library `std.mg`, in file order."""
    module = std_module()
    docs = _doc_comments(module)
    out = []
    for item in module.items:
        if isinstance(item, ast.BlockDef):
            example = EXAMPLES.get(item.name, "")
            signature = f"{item.name}({', '.join(_param_text(p) for p in item.params)})"
            out.append(Entry(item.name, signature, docs[item.name],
                             SHAPE_RULES.get(item.name, ""), example,
                             evaluate(example) if example else ""))
    return out


def evaluate(expr: str) -> str:
    """What `expr` evaluates to after `EXAMPLE_SETUP`: grid shapes, or a value."""
    body = "\n    ".join((*EXAMPLE_SETUP, f"result_ = {expr}"))
    text = f'use "std.mg"\nnetwork Example() {{\n    {body}\n}}\n'
    value = evaluate_variable(text, "Example", "result_", "<reference>")
    if isinstance(value, Pyramid):
        shapes = [" x ".join(map(str, g.shape)) if len(g.shape) == 3 else
                  f"vector of {g.shape[0]}" for g in value.grids]
        return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


# -------------------------------------------------------------------------- Markdown


def _markdown_entry(e: Entry) -> list[str]:
    lines = [f"### `{e.name}`", "", f"`{e.signature}`", "", e.summary, ""]
    lines += [f"- `{arg}`: {doc}" for arg, doc in e.args]
    if e.shape:
        lines += [f"- shape: {e.shape}"]
    lines += [f"- example: `{e.example}` → `{e.result}`", ""]
    return lines


def markdown() -> str:
    """The generated reference section of `docs/language.md`, markers included."""
    setup = "; ".join(f"`{s}`" for s in EXAMPLE_SETUP)
    lines = [BEGIN, "", "## Reference: built-in functions", "",
             f"Each example runs after {setup} (so `p` has grids 4 x 8 x 8, 4 x 4 x 4 and "
             "4 x 2 x 2) and shows what it evaluates to: one shape per grid, or a value. "
             "Per-grid arguments take one value for every grid or a list with one per "
             "grid, finest first.", ""]
    for e in op_entries():
        lines += _markdown_entry(e)
    lines += ["## Reference: standard blocks (`std.mg`)", "",
              'Written in `.mg` itself; `use "std.mg"` makes them available. Their errors '
              "point at your call.", ""]
    for e in block_entries():
        lines += _markdown_entry(e)
    lines.append(END)
    return "\n".join(lines) + "\n"


def update(path: Path) -> bool:
    """Rewrite the generated section of the Markdown file `path`; True if it changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END) + 1
    new = text[:start] + markdown() + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":  # pragma: no cover - exercised by the docs' regenerate command
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/language.md")
    print(f"{target}: {'updated' if update(target) else 'already current'}")
