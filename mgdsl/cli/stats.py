"""`mgdsl stats FILE|NAME`: parameters, MACs, breakdowns, grid shapes and reach."""

from __future__ import annotations

import argparse
import json

from mgdsl.cli.common import add_input_argument, add_target_args, load_ir
from mgdsl.syntax.literal import mg_arguments

EPILOG = """\
grid shapes: per section, the shape (CxHxW) of every grid it passes on to what follows,
  by pyramid level (0 = the input resolution, +1 per halving).
receptive field: the side, in input pixels, of the window of the input that can affect
  one output pixel; "global" once a global pooling or linear layer sees the whole input.
routing depth: the fewest weight layers (convolutions, transposed convolutions, linear
  layers) on one path from the input to the output along which any input pixel can
  influence any output pixel (a window of at least 2 x side - 1 pixels). Coarse grids
  carry information across the image, so multigrid networks get there in fewer layers;
  "never spans the input" means that no path does.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `stats` verb."""
    p = sub.add_parser("stats", help="parameters, MACs, grid shapes, receptive field",
                       description="Parameters and multiply-accumulates (in total, per section, "
                       "per level), the grid pyramid each section hands on, and how far each "
                       "output reaches.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_target_args(p)
    add_input_argument(p, "count")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _m(x: int) -> str:
    return f"{x / 1e9:.2f} G" if x >= 1e9 else f"{x / 1e6:.2f} M"


def _table(title: str, rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = [title]
    for r in rows:
        out.append("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                    for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    return out


def format_summary(s: dict) -> str:
    """The text report of `mgdsl stats` for a summary from `summarize`."""
    params = mg_arguments(s["params"])
    lines = [f"network {s['network']}({params})  [{s['file']}]",
             f"parameters  {s['total_params']:>15,}  ({_m(s['total_params'])})",
             f"MACs        {s['total_macs']:>15,}  ({_m(s['total_macs'])})",
             f"  {s['macs_note']}"]
    if s["live_macs"] != s["total_macs"]:
        lines.append(f"  {s['total_macs'] - s['live_macs']:,} of them in layers no output "
                     f"reads ({len(s['dead_weight_layers'])} weight layers; counted, as the paper does)")
    lines.append("")
    rows = [("section", "params", "MACs")] + [
        (r["section"], f"{r['params']:,}", f"{r['macs']:,}") for r in s["by_section"]]
    lines += _table("by section:", rows) + [""]
    rows = [("level", "params", "MACs")] + [
        (r["level"], f"{r['params']:,}", f"{r['macs']:,}") for r in s["by_level"]]
    notes = ["0 = input resolution"]
    if any(r["level"] == "shared" for r in s["by_level"]):
        notes.append("shared: weights used on several levels, their MACs on each")
    if any(r["level"] == "-" for r in s["by_level"]):
        notes.append("-: on no level")
    lines += _table(f"by level ({'; '.join(notes)}):", rows) + [""]
    levels = sorted({lv for r in s["grids"] for lv in r["levels"]}, key=int)
    rows = [("section",) + tuple(f"level {lv}" for lv in levels)] + [
        (r["section"],) + tuple(r["levels"].get(lv, "") for lv in levels) for r in s["grids"]]
    lines += _table("grid shapes (CxHxW of the pyramid each section hands on):", rows) + [""]
    for o in s["outputs"]:
        shape = "x".join(map(str, o["shape"]))
        depth = o["routing_depth"] if o["routing_depth"] is not None else "never spans the input"
        lines.append(f"output {o['name']}: {shape}; receptive field {o['receptive_field_text']}; "
                     f"routing depth {depth}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the statistics of one network."""
    from mgdsl.analyses.summary import summarize

    summary = summarize(load_ir(args))
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_summary(summary))
    return 0
