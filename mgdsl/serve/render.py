"""DOT text -> SVG through Graphviz's `dot`, killed when it runs past a time limit.

`mgdsl.diagrams.draw` pipes through the graphviz package, which cannot stop a slow run;
a 19,000-node network keeps `dot` busy for half a minute. The editor runs the same
command itself, in its own process group, so that everything it started can be killed
at the limit and the page told why (E980) instead of waiting.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable

from mgdsl.diagrams.errors import GRAPHVIZ_HINT, MgRenderError

__all__ = ["render_svg", "Cancelled", "DEFAULT_RENDER_LIMIT"]

DEFAULT_RENDER_LIMIT = 10.0  # seconds Graphviz may take for one diagram
POLL = 0.1  # seconds between looks at whether the drawing is still wanted


class Cancelled(Exception):
    """The drawing was no longer wanted (a newer text came) and Graphviz was stopped."""


def _command(dot: str | None) -> list[str]:
    from graphviz.backend.dot_command import command

    cmd = [str(part) for part in command("dot", "svg")]
    program = dot or shutil.which(cmd[0])
    if program is None:
        raise MgRenderError("drawing the diagram needs Graphviz's `dot` program, which is "
                            f"not installed: {GRAPHVIZ_HINT}", code="E961")
    return [program, *cmd[1:]]


def render_svg(source: str, limit: float = DEFAULT_RENDER_LIMIT, dot: str | None = None, *,
               spent: float = 0.0, cancelled: Callable[[], bool] | None = None) -> str:
    """The SVG of DOT `source`. Past `limit` seconds (of which `spent` went on laying the
    diagram out) Graphviz, or `dot`, a program run in its place, is killed with its whole
    process group and `MgRenderError` E980 raised; when `cancelled()` turns true (checked
    every tenth of a second) it is killed too and `Cancelled` raised."""
    cmd = _command(dot)
    if spent >= limit:
        raise _too_slow(limit)
    deadline = time.monotonic() + limit - spent
    # The text goes in through a file, not a pipe: `communicate` retried after a timeout
    # stops writing its input (CPython), which would leave a large diagram half-sent.
    with tempfile.TemporaryFile() as dot_text:
        dot_text.write(source.encode("utf-8"))
        dot_text.seek(0)
        with subprocess.Popen(cmd, stdin=dot_text, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, start_new_session=True) as process:
            try:
                while True:
                    left = deadline - time.monotonic()
                    try:
                        out, err = process.communicate(timeout=max(0.0, min(left, POLL)))
                        break
                    except subprocess.TimeoutExpired:
                        if time.monotonic() >= deadline:
                            raise _too_slow(limit) from None
                        if cancelled is not None and cancelled():
                            raise Cancelled from None
            except BaseException:
                _kill_group(process)
                process.communicate()
                raise
    if process.returncode != 0:
        detail = err.decode("utf-8", "replace").strip().splitlines()
        raise MgRenderError("Graphviz failed to draw the SVG: "
                            f"{detail[-1] if detail else process.returncode}", code="E964")
    return out.decode("utf-8")


def _too_slow(limit: float) -> MgRenderError:
    return MgRenderError(f"drawing the diagram took longer than {limit:g} s; Graphviz was "
                         "stopped", code="E980",
                         hint="draw large networks with `mgdsl render`, or allow more time "
                              "with `mgdsl serve --render-limit`")


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
