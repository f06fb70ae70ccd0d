"""Figure 3-style diagrams: IR -> layer view (`layers`) -> folded runs (`collapse`) ->
pinned layout (`layout`) -> DOT (`emit`) -> SVG/PNG/PDF through Graphviz (`diagram`).

The public entry point is `mgdsl.render(ir, path=None, **options)`.
"""
