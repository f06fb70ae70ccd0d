"""The op table of docs/ops.md, generated from the specs: one row per op of `OPS`.

Regenerate it with `python -m mgdsl.ops docs/ops.md` after adding or changing an op;
`tests/ops/test_ops.py` fails when the file is stale.
"""

from __future__ import annotations

from pathlib import Path

from mgdsl.generated import rewrite_section

from . import FAMILY, OPS

__all__ = ["BEGIN", "END", "markdown", "update"]

BEGIN = "<!-- BEGIN GENERATED OP TABLE (python -m mgdsl.ops docs/ops.md) -->"
END = "<!-- END GENERATED OP TABLE -->"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def markdown() -> str:
    """The generated op table, markers included."""
    lines = [BEGIN, "", "| op | family | what it does | built-in | shape | fx | drawn as |",
             "|---|---|---|---|---|---|---|"]
    for name, spec in OPS.items():
        family = FAMILY[name]
        built_in = f"`{_cell(spec.signature())}`" if spec.builtin is not None else "—"
        kind = "module" if spec.module else ("function" if spec.draw != "io" else "—")
        lines.append(f"| `{name}` | {family} | {_cell(spec.doc or spec.summary)} | {built_in} "
                     f"| {_cell(spec.shape_text()) or '—'} | {kind} | {spec.draw} |")
    lines += ["", END]
    return "\n".join(lines) + "\n"


def update(path: Path) -> bool:
    """Rewrite the generated section of the Markdown file `path`; True if it changed."""
    return rewrite_section(path, BEGIN, END, markdown())
