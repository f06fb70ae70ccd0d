"""DOT text -> SVG, PNG or PDF bytes through Graphviz's `dot` program (the only part
of the diagram backend that needs it)."""

from __future__ import annotations

from mgdsl.diagrams.errors import GRAPHVIZ_HINT, MgRenderError

__all__ = ["draw"]


def draw(source: str, fmt: str) -> bytes:
    """Run Graphviz on DOT `source` and return the drawing in `fmt` (svg, png or pdf)."""
    import graphviz

    try:
        return graphviz.Source(source, engine="dot").pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound:
        raise MgRenderError(f"drawing {fmt.upper()} needs Graphviz's `dot` program, which is "
                            f"not installed: {GRAPHVIZ_HINT}", code="E961") from None
    except graphviz.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise MgRenderError(f"Graphviz failed to draw the {fmt.upper()}: "
                            f"{detail[-1] if detail else exc.returncode}", code="E964") from None
