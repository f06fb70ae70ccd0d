"""What the page shows for one text: its diagnostics, its diagram and its statistics.

`analyse(workspace, path, text)` runs the whole front end on unsaved text as if it were
the file at `path` (so `use` resolves relative to it, but only within the workspace) and
returns JSON-able data. Nothing in the text is executed: the front end only parses and
elaborates, under the limits of `mgdsl.limits.LIMITS`.
"""

from __future__ import annotations

import threading
from typing import Any

from mgdsl.errors import MgError, flatten_errors
from mgdsl.limits import LIMITS
from mgdsl.serve.workspace import Workspace

__all__ = ["analyse", "diagnostic_json"]

# The elaborator keeps small module-level caches and pauses the garbage collector while it
# runs; one analysis at a time keeps both simple (an analysis takes milliseconds).
_ONE_AT_A_TIME = threading.Lock()


def diagnostic_json(error: MgError, file: str) -> dict[str, Any]:
    """One diagnostic as the page uses it; `here` says whether it points into `file`."""
    span = error.span
    where = None
    if span is not None:
        where = {"file": str(span.file), "line": span.line, "col": span.col,
                 "end_line": span.end_line, "end_col": span.end_col}
    return {
        "severity": getattr(error, "kind", "error"),
        "code": error.code,
        "message": error.message,
        "hint": error.hint,
        "notes": list(error.notes),
        "span": where,
        "here": span is not None and str(span.file) == file,
        "text": str(error),
    }


def _stats(ir) -> dict[str, Any]:
    from mgdsl.analyses.summary import summarize

    summary = summarize(ir)
    return {key: summary[key] for key in
            ("network", "total_params", "total_macs", "inputs", "outputs", "grids", "nodes")}


def _svg(ir) -> str:
    from mgdsl.diagrams.diagram import dot_source, draw

    return draw(dot_source(ir), "svg").decode("utf-8")


def analyse(workspace: Workspace, rel: str, text: str, network: str | None = None) -> dict[str, Any]:
    """Diagnostics, SVG diagram and stats of `text` read as workspace file `rel`.

    The first network of the file is drawn unless `network` names another; a file with
    only blocks gets diagnostics and no diagram.
    """
    from mgdsl.compilation import Compilation

    path = workspace.resolve(rel)
    file = str(path)
    result: dict[str, Any] = {"path": rel, "networks": [], "network": None,
                              "diagnostics": [], "svg": None, "stats": None}
    if len(text) > LIMITS.max_file_chars:
        result["diagnostics"].append({
            "severity": "error", "code": "E502", "here": True, "hint": None, "notes": [],
            "message": f"the text has {len(text):,} characters, above the limit of "
                       f"{LIMITS.max_file_chars:,}",
            "span": {"file": file, "line": 1, "col": 1, "end_line": 1, "end_col": 2},
            "text": "",
        })
        return result
    with _ONE_AT_A_TIME:
        compilation = Compilation(path, text=text, root=workspace.root)
        names = compilation.networks
        result["networks"] = names
        if names:
            chosen = network if network in names else names[0]
            result["network"] = chosen
            compilation.check(chosen)
            ir = compilation.graphs.get(chosen)
            if ir is not None:
                result["stats"] = _stats(ir)
                result["diagnostics"] += [diagnostic_json(w, file) for w in compilation.warnings]
                try:
                    result["svg"] = _svg(ir)
                except MgError as exc:
                    compilation.errors += flatten_errors(exc)
        result["diagnostics"] += [diagnostic_json(e, file) for e in compilation.errors]
    return result
