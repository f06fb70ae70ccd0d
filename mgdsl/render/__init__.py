"""Figure 3-style diagrams: IR -> layer view (`layers`) -> folded runs (`collapse`) ->
pinned layout (`layout`) -> DOT (`emit`) -> SVG/PNG/PDF through Graphviz (`diagram`).

Importing this package replaces the attribute `mgdsl.render` (the function) with the
package itself, as Python does for every submodule; so the package is made callable
with the function's signature, and `mgdsl.render(ir, path, **options)` keeps working
whichever was imported first.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__all__: list[str] = []


class _CallablePackage(types.ModuleType):
    """The `mgdsl.render` package, callable like `mgdsl.render.diagram.render`."""

    def __call__(self, ir, path=None, **options: Any) -> str:
        """Draw a checked IR like the paper's Figure 3 (see `mgdsl.render.diagram`)."""
        from mgdsl.render.diagram import render

        return render(ir, path, **options)


sys.modules[__name__].__class__ = _CallablePackage
