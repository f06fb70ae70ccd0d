"""The language reference, generated from the definitions themselves.

Every built-in function (`mgdsl.compilation.BUILTINS`: an op's built-in is documented
by its spec in the op table, `mgdsl.ops`, a language function by its docstring and
`@primitive` registration) and every standard block (`std.mg`, documented by the comment
above it and the two tables below) becomes one `Entry`: signature, defaults, shape rule
and one example. The example is elaborated, so the shapes the reference prints are the
compiler's own. `docs/language.md` holds the Markdown between two markers;
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
from mgdsl.generated import rewrite_section
from mgdsl.ops import OPS
from mgdsl.syntax import ast
from mgdsl.syntax.fmt import format_expr

__all__ = ["Entry", "op_entries", "block_entries", "markdown", "update", "BEGIN", "END",
           "EXAMPLE_SETUP"]

BEGIN = "<!-- BEGIN GENERATED REFERENCE (python -m mgdsl.reference docs/language.md) -->"
END = "<!-- END GENERATED REFERENCE -->"

# what every example may read: a grid `x`, a three-grid pyramid `p`, a vector `v`
EXAMPLE_SETUP = ("input x: 4 x 8 x 8", "p = pyramid(x, 3)", "v = flatten(gap(x))")

# The shape rule and one example of each standard block (`std.mg` is the language's own
# text: its blocks are documented here; a built-in's come from its definition, the op's
# `OpSpec` or the language function's `@primitive`). C, H and W are a grid's channels,
# height and width; the examples read the names of `EXAMPLE_SETUP`.
BLOCK_SHAPES = {
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

BLOCK_EXAMPLES = {
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


def op_entries() -> list[Entry]:
    """Every built-in function, in the order the language defines them."""
    out = []
    for name, prim in BUILTINS.items():
        summary = prim.summary()
        summary = summary[:1].upper() + summary[1:]
        spec = OPS.get(name)
        args = tuple((p.label, p.doc) for p in (spec.builtin if spec else None) or () if p.doc)
        out.append(Entry(name, prim.signature, summary, prim.shape_doc, prim.example,
                         evaluate(prim.example) if prim.example else "", args))
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
            example = BLOCK_EXAMPLES.get(item.name, "")
            signature = f"{item.name}({', '.join(_param_text(p) for p in item.params)})"
            out.append(Entry(item.name, signature, docs[item.name],
                             BLOCK_SHAPES.get(item.name, ""), example,
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
    return rewrite_section(path, BEGIN, END, markdown())


if __name__ == "__main__":  # pragma: no cover - exercised by the docs' regenerate command
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/language.md")
    print(f"{target}: {'updated' if update(target) else 'already current'}")
