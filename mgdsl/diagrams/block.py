"""A standard-library block wrapped in a small network, so that it can be drawn expanded
(`mgdsl render --block mgconv`, the paper's Figure 2).

The wrapper feeds the block a three-grid input pyramid of a 16 x 32 x 32 image and
outputs the first grid (or vector) of its result; parameters are filled by name
(`p`/`x` the pyramid, `image` the image, `ch` 16 channels per grid, `levels` 3,
`classes` 10, `n` 1, `heads` 2; a block with a `skip` input gets the pyramid as `skip` and the
pyramid max-pooled as `p`, as a U-NET decoder step does).

>>> ir = block_graph("mgconv")
>>> sorted({d.op for _, d in ir.nodes(data=True)})
['avgpool', 'concat', 'conv', 'input', 'maxpool', 'output', 'upsample']
"""

from __future__ import annotations

import networkx as nx

from mgdsl.compilation import BlockInfo, Compilation
from mgdsl.diagrams.errors import MgRenderError
from mgdsl.errors import MgError, did_you_mean

__all__ = ["block_graph", "block_names", "wrapper_source"]

_ARGUMENTS = {"p": "p", "x": "p", "skip": "p", "image": "image", "ch": "[16, 16, 16]",
              "levels": "3", "classes": "10", "n": "1", "heads": "2"}


def _std_blocks() -> dict[str, BlockInfo]:
    """The blocks `use "std.mg"` brings in, by name."""
    return Compilation("<blocks>", text='use "std.mg"').blocks


def block_names() -> list[str]:
    """The blocks of the standard library, sorted."""
    return sorted(_std_blocks())


def wrapper_source(name: str) -> str:
    """The `.mg` text of the network that wraps block `name` (which must exist)."""
    blocks = _std_blocks()
    info = blocks.get(name)
    if info is None:
        hint = did_you_mean(name, blocks) or "blocks: " + ", ".join(sorted(blocks))
        raise MgRenderError(f"no standard block named `{name}`", code="E963", hint=hint)
    names = {param.name for param in info.node.params}
    args = []
    for param in info.node.params:
        if param.default is not None:
            continue
        if param.name not in _ARGUMENTS:
            raise MgRenderError(f"cannot draw block `{name}`: no sample value for its "
                                f"parameter `{param.name}`", code="E963",
                                hint="draw a network that calls it instead")
        value = _ARGUMENTS[param.name]
        if param.name == "p" and "skip" in names:
            value = "maxpool(p)"
        args.append(value if not args else f"{param.name} = {value}")
    return (f'use "std.mg"\n'
            f"network {name}_block() {{\n"
            f"    input image: 16 x 32 x 32\n"
            f"    p = pyramid(image, levels = 3)\n"
            f"    r = {name}({', '.join(args)})\n"
            f"    output y = r[0]\n"
            f"}}\n")


def block_graph(name: str) -> nx.DiGraph:
    """The checked IR of the wrapper network of standard block `name`."""
    source = wrapper_source(name)
    try:
        return Compilation(source).ir()
    except MgRenderError:
        raise
    except MgError as exc:
        raise MgRenderError(f"cannot draw block `{name}` on a sample pyramid: {exc.message}",
                            code="E963") from exc
