"""`IRNode`: the typed record that the IR graph stores for each node.

networkx keeps a node's attributes in whatever object the graph's
`node_attr_dict_factory` makes; `NetworkGraph` makes an `IRNode`, so `ir.nodes[n]` *is*
the record and code reads `ir.nodes[n].op`, `.shape`, `.args`, with an editor's help and a
clear `AttributeError` for a misspelt field.

networkx itself fills and copies node data as mappings (`add_node` calls `.update`,
`G.copy()` and `add_nodes_from` read `keys()` and `record[key]`), so the record keeps
that much of a mapping, for networkx alone: `ir.nodes[n]["op"]` from any other module is
refused with a pointer to the attribute, and an unknown key is refused rather than stored.

>>> node = IRNode(op="conv", shape=(8, 4, 4), level=1)
>>> node.op, node.shape, node.level
('conv', (8, 4, 4), 1)
>>> node.update(section="s1"); node.section
's1'
>>> node.update(colour="red")
Traceback (most recent call last):
...
KeyError: "an IR node has no field 'colour'"

(`node["op"]` in any module but networkx and this one raises `TypeError: read the IR
node's field as an attribute, .op`; tests/ir/test_node.py checks it.)
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from mgdsl.errors import Span

__all__ = ["IRNode", "NodeMeta"]


@dataclass(eq=False)
class NodeMeta:
    """What the analyses learn about a node: `params` and `macs` (filled by
    `analyses.cost`), `live` (False when no output depends on it, filled by
    `ir.validate`), `mg_node` (the fx node that lowers it, filled by the fx backend).
    `None` means "not computed yet"."""

    params: int | None = None
    macs: int | None = None
    live: bool | None = None
    mg_node: Any = None


@dataclass(eq=False)
class IRNode:
    """One IR node: an operation producing one grid tensor (or a vector). The fields are
    documented in `mgdsl.ir.graph`'s attribute table."""

    op: str = ""
    inputs: tuple[int, ...] = ()
    refs: tuple[int, ...] = ()
    args: dict[str, Any] = field(default_factory=dict)
    shape: tuple[int, ...] = ()
    level: int | None = None
    name: str = ""
    scope: tuple[str, ...] = ()
    section: str | None = None
    span: Span | None = None
    origin: Span | None = None
    meta: NodeMeta = field(default_factory=NodeMeta)

    # unhashable like a dict: `add_nodes_from((n, record))` tells a (node, data) pair from a
    # node by trying to hash it
    __hash__ = None  # type: ignore[assignment]

    def update(self, other: Mapping[str, Any] | Iterable[tuple[str, Any]] = (),
               /, **fields_: Any) -> None:
        """Set fields from a mapping (or pairs) and keywords, as `dict.update` does; an
        unknown field is refused. networkx's `add_node(n, op=...)` comes through here."""
        pairs = other.items() if isinstance(other, Mapping) else other
        if isinstance(other, IRNode):
            pairs = ((k, getattr(other, k)) for k in _FIELDS)
        for key, value in (*pairs, *fields_.items()):
            if key == "meta" and not isinstance(value, NodeMeta):
                value = NodeMeta(**value)
            setattr(self, _field(key), value)

    def copy(self) -> IRNode:
        """A copy whose containers (`args`, `meta`) are new objects."""
        return IRNode(**{**{f: getattr(self, f) for f in _FIELDS},
                         "args": dict(self.args), "meta": NodeMeta(**vars(self.meta))})

    # the read side of the mapping protocol, for networkx's copying only (see above)
    def keys(self) -> Iterator[str]:
        """The field names (networkx copies a record field by field)."""
        return iter(_FIELDS)

    def __getitem__(self, key: str) -> Any:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if not caller.startswith(_MAPPING_USERS):
            raise TypeError(f"read the IR node's field as an attribute, `.{key}`, "
                            f'not `["{key}"]`')
        return getattr(self, _field(key))

    def __contains__(self, key: object) -> bool:
        return key in _FIELDS

    def __iter__(self) -> Iterator[str]:
        return iter(_FIELDS)

    def __len__(self) -> int:
        return len(_FIELDS)


_FIELDS = tuple(f.name for f in fields(IRNode))
# the modules that may read a record as a mapping: networkx copying graphs, and this one
_MAPPING_USERS = ("networkx", __name__)


def _field(key: str) -> str:
    if key not in _FIELDS:
        raise KeyError(f"an IR node has no field {key!r}")
    return key
