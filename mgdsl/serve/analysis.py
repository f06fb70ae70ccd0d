"""What the page shows for one text: its diagnostics, its diagram and its statistics.

`Checker(workspace).check(rel, text)` runs the whole front end on unsaved text as if it were the
file at `rel` (so `use` resolves relative to it, but only within the workspace) and
returns JSON-able data. Nothing in the text is executed: the front end only parses and
elaborates, under the limits of `mgdsl.limits.LIMITS`.

Time limits: a check waits at most `check_limit` seconds for its turn (E981 past it) and
Graphviz is killed after `render_limit` seconds (E980, placed on the network's header).
The newest text of a file wins: a check that a newer check of the same file overtook
while it waited is answered `{"stale": true}` without being run, and one that is being
drawn when the newer one arrives has its Graphviz stopped and is answered the same.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from mgdsl.errors import MgError, Span, flatten_errors
from mgdsl.limits import LIMITS
from mgdsl.serve.render import DEFAULT_RENDER_LIMIT, Cancelled, render_svg
from mgdsl.serve.workspace import Workspace

__all__ = ["Checker", "diagnostic_json", "DEFAULT_CHECK_LIMIT", "ONE_AT_A_TIME"]

DEFAULT_CHECK_LIMIT = 30.0  # seconds a check may wait for its turn

# The elaborator keeps small module-level caches and pauses the garbage collector while it
# runs; one elaboration at a time keeps both simple (one takes milliseconds). Graphviz
# runs outside it, in its own process, so drawings proceed in parallel.
ONE_AT_A_TIME = threading.Lock()


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
    """The totals and input and output shapes the page shows (not `summarize`'s receptive
    fields: they cost as much as the rest of a check)."""
    from mgdsl.analyses.cost import cost_of

    cost = cost_of(ir)
    g = ir.graph
    return {
        "network": g["name"], "total_params": cost.params, "total_macs": cost.macs,
        "nodes": len(ir),
        "inputs": {name: list(ir.nodes[n].shape) for name, n in g["inputs"].items()},
        "outputs": [{"name": name, "shape": list(ir.nodes[n].shape)}
                    for name, n in g["outputs"].items()],
    }


def _boxes(ir, file: str) -> dict[str, dict[str, Any]]:
    """Per diagram box id (`n<IR node>`, the emitter's node names): the source line that
    made it (in the edited file), its op, shape, arguments and parameter count."""
    from mgdsl.syntax.literal import mg_literal

    out: dict[str, dict[str, Any]] = {}
    for n in ir.nodes:
        node = ir.nodes[n]
        span = node.span
        here = span is not None and str(span.file) == file
        out[f"n{n}"] = {
            "name": node.name, "op": node.op, "shape": list(node.shape),
            "args": {k: mg_literal(v) for k, v in node.args.items()
                     if k not in ("shape", "name")},
            "params": node.meta.params,
            "line": span.line if here else None, "col": span.col if here else None,
        }
    return out


class Checker:
    """Checks texts for the server: one elaboration at a time, newest text per file."""

    def __init__(self, workspace: Workspace, *, render_limit: float = DEFAULT_RENDER_LIMIT,
                 check_limit: float = DEFAULT_CHECK_LIMIT, dot: str | None = None) -> None:
        self.workspace = workspace
        self.render_limit = render_limit
        self.check_limit = check_limit
        self.dot = dot
        self._latest: dict[str, int] = {}
        self._guard = threading.Lock()

    def _newer(self, rel: str, generation: int | None) -> bool:
        if generation is None:
            return False
        with self._guard:
            return self._latest.get(rel, 0) != generation

    def check(self, rel: str, text: str, network: str | None = None, *,
              draw: bool = True, latest: bool = True) -> dict[str, Any]:
        """Diagnostics, SVG diagram, boxes and stats of `text` read as workspace file
        `rel`; `{"stale": true}` when a newer text of `rel` arrived meanwhile (unless
        `latest` is false: a check for saving is neither dropped nor drops others).

        The first network of the file is drawn unless `network` names another; a file
        with only blocks gets diagnostics and no diagram.
        """
        path = self.workspace.resolve(rel)
        file = str(path)
        generation = None
        if latest:
            with self._guard:
                generation = self._latest[rel] = self._latest.get(rel, 0) + 1
        result: dict[str, Any] = {"path": rel, "networks": [], "network": None, "stale": False,
                                  "diagnostics": [], "svg": None, "boxes": {}, "stats": None,
                                  "check_ms": None, "render_ms": None}
        if len(text) > LIMITS.max_file_chars:
            result["diagnostics"].append(diagnostic_json(MgError(
                f"the text has {len(text):,} characters, above the limit of "
                f"{LIMITS.max_file_chars:,}", Span.point(file), code="E502"), file))
            return result
        try:
            self.wait_turn(file)
        except MgError as exc:
            result["diagnostics"].append(diagnostic_json(exc, file))
            return result
        ir = None
        started = time.perf_counter()
        try:
            if self._newer(rel, generation):
                return {"path": rel, "stale": True}
            ir = self._elaborate(path, text, network, result, file)
        finally:
            ONE_AT_A_TIME.release()
        if ir is None:
            return result
        # what follows only reads this check's own IR: others may elaborate meanwhile
        try:
            result["stats"] = _stats(ir)
            result["boxes"] = _boxes(ir, file)
        except MgError as exc:
            result["diagnostics"] += [diagnostic_json(e, file) for e in flatten_errors(exc)]
            return result
        result["check_ms"] = round((time.perf_counter() - started) * 1000, 1)
        if draw:
            if self._newer(rel, generation):
                return {"path": rel, "stale": True}
            span = ir.graph.get("span")
            header = span.line if span is not None and str(span.file) == file else 1
            try:
                self._draw(ir, header, result, file,
                           cancelled=lambda: self._newer(rel, generation))
            except Cancelled:
                return {"path": rel, "stale": True}
        return result

    def wait_turn(self, file: str) -> None:
        """Take the one elaboration turn (release `ONE_AT_A_TIME` after); MgError E981
        when it does not come within `check_limit` seconds."""
        if not ONE_AT_A_TIME.acquire(timeout=self.check_limit):
            raise MgError(f"the editor was busy: this check waited {self.check_limit:g} s for "
                          "its turn and was given up", Span.point(file), code="E981",
                          hint="type again in a moment; other clients are checking large files")

    def _elaborate(self, path, text: str, network: str | None, result: dict[str, Any],
                   file: str):
        """The IR of the chosen network (None when there is none or the text has errors,
        which go to `result`)."""
        from mgdsl.compilation import Compilation

        compilation = Compilation(path, text=text, root=self.workspace.root)
        names = compilation.networks
        result["networks"] = names
        chosen = (network if network in names else names[0]) if names else None
        result["network"] = chosen
        compilation.check(chosen)  # a file of blocks only: their undefined names
        result["diagnostics"] += [diagnostic_json(w, file) for w in compilation.warnings]
        result["diagnostics"] += [diagnostic_json(e, file) for e in compilation.errors]
        return compilation.graphs.get(chosen) if chosen else None

    def _draw(self, ir, header: int, result: dict[str, Any], file: str,
              cancelled: Callable[[], bool] | None = None) -> None:
        """Lay the diagram out and draw it; the layout's time counts against the limit.
        Graphviz is stopped (`Cancelled`) as soon as `cancelled()` says a newer text came."""
        from mgdsl.diagrams.diagram import dot_source

        started = time.perf_counter()
        try:
            source = dot_source(ir)
            spent = time.perf_counter() - started
            result["svg"] = render_svg(source, self.render_limit, self.dot, spent=spent,
                                       cancelled=cancelled)
        except MgError as exc:  # too slow (E980) or Graphviz missing or failing: say where
            exc.span = Span.point(file, header)
            exc.message = f"network `{result['network']}`: {exc.message}"
            result["diagnostics"].append(diagnostic_json(exc, file))
        result["render_ms"] = round((time.perf_counter() - started) * 1000, 1)
