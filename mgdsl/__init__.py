"""mgdsl: a declarative architecture-graph compiler for multigrid neural networks.

The pipeline: `.mg` text -> AST (`parse`) -> checked graph IR (`build_graph`, `load`)
-> analyses (`stats`) -> backends (`render`, `to_fx`, `load_module`, `emit_source`).
Importing mgdsl does not import torch; the torch backends load it on first use.
"""

from __future__ import annotations

from typing import Any

from mgdsl.api import as_graph, build_graph, check_files, load, parse, stats
from mgdsl.errors import MgError
from mgdsl.ir.graph import NetworkGraph
from mgdsl.limits import LIMITS

__version__ = "0.1.0"
__all__ = ["parse", "build_graph", "load", "stats", "check_files", "render", "to_fx",
           "load_module", "emit_source", "dump", "MgError", "LIMITS", "__version__"]


def render(ir, path=None, *, network: str | None = None, inputs=None, **options: Any):
    """Draw a checked IR, a zoo name or a `.mg` path like the paper's Figure 3 (see
    `mgdsl.diagrams.diagram`); `network` and `inputs` as for `load`."""
    from mgdsl.diagrams.diagram import render as _render

    if ir is not None:
        ir = as_graph(ir, network, inputs=inputs)
    return _render(ir, path, **options)


def to_fx(ir, *, network: str | None = None, inputs=None, **options: Any):
    """Compile a checked IR, a zoo name or a `.mg` path to a `torch.fx.GraphModule`
    (see `mgdsl.codegen.fx`); `network` and `inputs` as for `load`."""
    from mgdsl.codegen.fx import to_fx as _to_fx

    return _to_fx(as_graph(ir, network, inputs=inputs), **options)


def dump(ir, *, network: str | None = None, inputs=None, spans: bool = True) -> str:
    """The IR of a checked IR, a zoo name or a `.mg` path as stable text, one node per
    line (what `mgdsl dump` prints)."""
    from mgdsl.ir.dump import dump as _dump

    return _dump(as_graph(ir, network, inputs=inputs), spans=spans)


def load_module(target, network: str | None = None, *, init: str = "paper",
                fold_bn: bool = False, **params: Any):
    """A `.mg` path or zoo name -> a ready `torch.fx.GraphModule`."""
    return to_fx(load(target, network, **params), init=init, fold_bn=fold_bn)


def emit_source(ir, **options: Any) -> str:
    """Standalone PyTorch source for a checked IR (see `mgdsl.codegen.source`)."""
    from mgdsl.codegen.source import emit_source as _emit

    return _emit(ir, **options)


def _notebook(kind: str):
    """Jupyter's view of an IR (`svg` or `html`): its diagram, drawn by
    `mgdsl.diagrams.notebook`, which is imported only when a notebook shows one."""

    def show(ir) -> str | None:
        from mgdsl.diagrams import notebook

        return getattr(notebook, f"ir_{kind}")(ir)

    return show


NetworkGraph.display.update(svg=_notebook("svg"), html=_notebook("html"))
