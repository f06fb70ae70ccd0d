"""A stable text form of the IR (`mgdsl dump`): one line per node, the golden-test format.

    %12 = conv(%10)  out_ch=8 k=3 stride=1 pad=1 bias=true  -> 8x16x16 @0  s1.mgconv0.conv0.g0  net.mg:5

Fields: node id, op and operand ids, the op's arguments (sorted), the output shape, the
level (`@-` for vectors), the node's scoped name and the `file:line` of the text.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

__all__ = ["dump", "format_value"]


def format_value(value) -> str:
    """An argument value as stable text (`true`, `1e-05`, `[3, 3]`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _where(span, with_file: bool) -> str:
    if span is None:
        return ""
    return f"{Path(span.file).name}:{span.line}" if with_file else ""


def dump(ir: nx.DiGraph, *, spans: bool = True) -> str:
    """The IR as text, one node a line; `spans=False` leaves out `file:line` (for
    comparing IRs built from differently formatted text)."""
    g = ir.graph
    params = ", ".join(f"{k}={format_value(v)}" for k, v in g.get("params", {}).items())
    lines = [f"network {g['name']}({params})"]
    for n in sorted(ir.nodes):
        d = ir.nodes[n]
        ins = ", ".join(f"%{u}" for u in d.inputs)
        args = " ".join(f"{k}={format_value(v)}" for k, v in sorted(d.args.items()))
        shape = "x".join(str(s) for s in d.shape)
        level = "-" if d.level is None else str(d.level)
        parts = [f"%{n} = {d.op}({ins})", args, f"-> {shape} @{level}", d.name,
                 _where(d.span, spans)]
        lines.append("  ".join(p for p in parts if p))
    for name, n in g["outputs"].items():
        lines.append(f"output {name} = %{n}")
    return "\n".join(lines) + "\n"
