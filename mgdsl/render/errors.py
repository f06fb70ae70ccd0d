"""The errors of the diagram backend (E8xx)."""

from __future__ import annotations

from mgdsl.errors import MgError

__all__ = ["MgRenderError", "GRAPHVIZ_HINT"]

GRAPHVIZ_HINT = ("install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
                 "`brew install graphviz` (macOS) or `conda install graphviz`; "
                 "`.dot` output needs no Graphviz")


class MgRenderError(MgError):
    """A diagram cannot be drawn or written: Graphviz missing, bad format, unknown block."""

    code = "E800"
