"""Language-server latency: an edit of the largest zoo file -> its fresh diagnostics.

An editor stand-in (`mgdsl.lsp.client.EditorSession`, pygls's client over stdio, as VS
Code talks to it) opens the zoo file with the most IR nodes at its defaults and edits it
in turn: one edit renames a call (an unknown function: one diagnostic), the next undoes
it (none). Each latency is from sending `didChange` to receiving the `publishDiagnostics`
of that version, so it includes JSON-RPC, the incremental text update, parsing,
elaborating, validating and counting every network of the file. The in-process time of
`analyse` alone (wall and CPU time) is measured on the same text for comparison: on a
loaded machine the CPU time shows the work itself. Target: <= 100 ms.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from pathlib import Path

from benchmarks.harness import median

__all__ = ["largest_zoo_file", "run_lsp"]

ROOT = Path(__file__).resolve().parents[1]


def largest_zoo_file() -> tuple[Path, int]:
    """The architecture file whose networks have the most IR nodes, and that count."""
    from mgdsl.lsp.analysis import analyse

    sizes = []
    for path in sorted((ROOT / "architectures").glob("*.mg")):
        analysis = analyse(path.read_text(encoding="utf-8"), str(path))
        sizes.append((sum(len(g) for g in analysis.graphs), path))
    nodes, path = max(sizes)
    return path, nodes


def _edit_site(text: str) -> tuple[int, int, str]:
    """(line, column, name) of the first call of a block or op in a network body."""
    for n, line in enumerate(text.split("\n")):
        m = re.search(r"=\s*((?!\d)\w+)\(", line)
        if m and not line.lstrip().startswith(("#", "network", "block")):
            return n, m.start(1), m.group(1)
    raise ValueError("no call to edit")


def run_lsp(edits: int) -> dict:
    """Time `edits` edits (at least 2) of the largest zoo file through `mgdsl lsp`."""
    from mgdsl.lsp.analysis import analyse
    from mgdsl.lsp.client import EditorSession

    path, nodes = largest_zoo_file()
    text = path.read_text(encoding="utf-8")
    line, col, name = _edit_site(text)
    latencies, counts = [], []
    with EditorSession(root=path.parent) as editor:
        editor.open(path.name, text)
        editor.wait_diagnostics(path.name)
        for i in range(max(edits, 2) + 2):  # the first two warm the server up
            broken = i % 2 == 0
            new, old = (name + "x", name) if broken else (name, name + "x")
            sent = time.perf_counter()
            version = editor.change(path.name, new, (line, col, line, col + len(old)))
            diags = editor.wait_diagnostics(path.name, version)
            if i >= 2:
                latencies.append(1000 * (editor.published_at(path.name, version) - sent))
                counts.append(len(diags))
    in_process, in_process_cpu = [], []
    for _ in range(max(3, edits // 4)):
        t0, c0 = time.perf_counter(), time.process_time()
        analyse(text, str(path))
        in_process.append(1000 * (time.perf_counter() - t0))
        in_process_cpu.append(1000 * (time.process_time() - c0))
    latencies.sort()
    return {"file": f"architectures/{path.name}", "nodes": nodes, "edits": len(latencies),
            "diagnostics": sorted(set(counts)), "median_ms": median(latencies),
            "p90_ms": latencies[int(0.9 * (len(latencies) - 1))],
            "p95_ms": latencies[int(0.95 * (len(latencies) - 1))], "max_ms": max(latencies),
            "analyse_ms": median(in_process), "analyse_cpu_ms": median(in_process_cpu),
            "load": os.getloadavg()[0],
            "mean_ms": statistics.fmean(latencies)}
