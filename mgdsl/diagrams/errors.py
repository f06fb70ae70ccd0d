"""The errors of the diagram backend (E96x)."""

from __future__ import annotations

from mgdsl.errors import MgError

__all__ = ["MgRenderError", "GRAPHVIZ_HINT"]

GRAPHVIZ_HINT = ("install it with `apt-get install graphviz` (or `brew install graphviz`, "
                 "`conda install graphviz`), or write `.dot`, which needs no Graphviz")


class MgRenderError(MgError):
    """A diagram cannot be drawn or written: Graphviz missing, bad format, unknown block."""

    code = "E960"
