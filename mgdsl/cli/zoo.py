"""`mgdsl zoo [--table N] [--json] [NAME...]`: the paper's networks, counted, beside Tables 1–4.

For every registry entry (`mgdsl.zoo.ENTRIES`) it builds the checked IR and prints our
parameters and MACs next to the paper's Params and FLOPs columns with the relative
difference; rows with a known discrepancy get a mark and a footnote. A rich table
on a terminal, plain aligned text otherwise, or JSON with `--json`.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import Any

from mgdsl.api import zoo_count as count
from mgdsl.zoo import ENTRIES, TABLES, ZooEntry, lookup

HEADERS = ("model", "params (M)", "paper", "Δ%", "MACs", "paper FLOPs", "Δ%", "")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `zoo` verb."""
    p = sub.add_parser(
        "zoo", help="the paper's networks with params and MACs beside Tables 1-4",
        description="List every network of the paper (Tables 1-4) with its parameters and "
                    "MACs beside the paper's Params and FLOPs columns.")
    p.add_argument("names", nargs="*", metavar="NAME", help="only these models (e.g. MG-16)")
    p.add_argument("--table", choices=sorted(TABLES), help="only this table of the paper")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _delta(ours: float, paper: float | None) -> float | None:
    return None if not paper else (ours - paper) / paper * 100


def _fmt_delta(d: float | None) -> str:
    if d is None:
        return "–"
    return "0.00" if abs(d) < 0.005 else f"{d:+.2f}"


def _fmt_macs(macs: int, paper_flops: str) -> str:
    unit = paper_flops[-1] if paper_flops else ("G" if macs >= 1e9 else "M")
    return f"{macs / 1e9:.2f}G" if unit == "G" else f"{macs / 1e6:.2f}M"


def measure(entry: ZooEntry) -> dict[str, Any]:
    """One row of the listing: the entry, our counts and the differences to the paper."""
    params, macs = count(entry)
    return {
        "name": entry.name, "table": entry.table, "family": entry.family, "task": entry.task,
        "file": entry.file, "network": entry.network, "network_params": dict(entry.params),
        "params": params, "macs": macs,
        "paper_params": entry.paper_params, "paper_flops": entry.paper_flops,
        "params_delta_pct": _delta(params, entry.paper_params_count),
        "macs_delta_pct": _delta(macs, entry.paper_macs),
        "note": entry.note,
    }


def _cells(row: dict[str, Any], mark: str) -> tuple[str, ...]:
    return (row["name"], f"{row['params'] / 1e6:.3f}", row["paper_params"] or "–",
            _fmt_delta(row["params_delta_pct"]), _fmt_macs(row["macs"], row["paper_flops"]),
            row["paper_flops"] or "–", _fmt_delta(row["macs_delta_pct"]), mark)


def _table_rows(rows: list[dict[str, Any]], notes: list[str]) -> list[tuple[str, ...]]:
    """Cells of one table; notes are numbered in order of first use, shared across rows."""
    out = []
    for row in rows:
        mark = ""
        if row["note"]:
            if row["note"] not in notes:
                notes.append(row["note"])
            mark = f"[{notes.index(row['note']) + 1}]"
        out.append(_cells(row, mark))
    return out


def format_plain(tables: dict[str, list[dict[str, Any]]]) -> str:
    """The listing as plain aligned text, one block per table, footnotes at the end."""
    lines: list[str] = []
    notes: list[str] = []
    for table, rows in tables.items():
        cells = [HEADERS] + _table_rows(rows, notes)
        widths = [max(len(r[i]) for r in cells) for i in range(len(HEADERS))]
        lines.append(TABLES[table])
        for r in cells:
            lines.append("  " + "  ".join(c.ljust(w) if i in (0, 7) else c.rjust(w)
                                          for i, (c, w) in enumerate(zip(r, widths, strict=True)))
                         .rstrip())
        lines.append("")
    lines += _footer(notes)
    return "\n".join(lines).rstrip()


def _footer(notes: list[str], width: int | None = 96) -> list[str]:
    """The explanation of the columns and the numbered notes, wrapped to `width` (or not)."""
    text = ("MACs are multiply-accumulates of conv, transposed-conv and linear layers, the "
            "convention of the paper's FLOPs column; Δ% is against the printed value.")
    marked = [(f"[{i}] ", note) for i, note in enumerate(notes, start=1)]
    if width is None:
        return [text] + [mark + note for mark, note in marked]
    out = textwrap.wrap(text, width)
    for mark, note in marked:
        out += textwrap.wrap(note, width, initial_indent=mark, subsequent_indent="    ")
    return out


def print_rich(tables: dict[str, list[dict[str, Any]]]) -> None:
    """The listing as rich tables (for a terminal)."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    notes: list[str] = []
    for table, rows in tables.items():
        t = Table(title=TABLES[table], title_justify="left")
        for i, h in enumerate(HEADERS):
            t.add_column(h, justify="left" if i in (0, 7) else "right",
                         style="bold" if i == 0 else None, no_wrap=i in (0, 4, 7))
        for cells in _table_rows(rows, notes):
            t.add_row(*cells)
        console.print(t)
    for line in _footer(notes, width=None):
        console.print(line, highlight=False)


def run(args: argparse.Namespace) -> int:
    """Count the selected zoo entries and print them beside the paper's numbers."""
    entries = [lookup(n) for n in args.names] if args.names else list(ENTRIES)
    if args.table:
        entries = [e for e in entries if e.table == args.table]
    if not entries:
        print(f"mgdsl zoo: none of the models named is in table {args.table}", file=sys.stderr)
        return 1
    rows = [measure(e) for e in dict.fromkeys(entries)]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    tables: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: r["table"]):
        tables.setdefault(row["table"], []).append(row)
    if sys.stdout.isatty():
        print_rich(tables)
    else:
        print(format_plain(tables))
    return 0
