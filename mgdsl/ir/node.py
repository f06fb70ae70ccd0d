"""`IRNode`: the typed record that the IR graph stores for each node.

networkx keeps a node's attributes in whatever object the graph's
`node_attr_dict_factory` makes; `NetworkGraph` makes an `IRNode`, so `ir.nodes[n]` *is*
the record and code reads `ir.nodes[n].op`, `.shape`, `.args`, with an editor's help and a
clear `AttributeError` for a misspelt field. The record is also a mapping over its fields,
only because networkx itself copies and updates node data as mappings (`add_node`,
`copy`, `subgraph`); an unknown key is refused rather than stored.

>>> node = IRNode(op="conv", shape=(8, 4, 4), level=1)
>>> node.op, node.shape, node.level
('conv', (8, 4, 4), 1)
>>> node.update(section="s1"); node.section
's1'
>>> node.update(colour="red")
Traceback (most recent call last):
...
KeyError: "an IR node has no field 'colour'"
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field, fields
from typing import Any

from mgdsl.errors import Span

__all__ = ["IRNode", "NodeMeta"]


@dataclass(eq=False)
class NodeMeta(MutableMapping):
    """What the analyses learn about a node: `params` and `macs` (filled by
    `analyses.cost`), `live` (False when no output depends on it, filled by
    `ir.validate`), `mg_node` (the fx node that lowers it, filled by the fx backend).
    `None` means "not computed yet"."""

    params: int | None = None
    macs: int | None = None
    live: bool | None = None
    mg_node: Any = None

    # networkx and older callers treat meta as a mapping of the fields computed so far
    def __getitem__(self, key: str) -> Any:
        value = getattr(self, _field(self, key))
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        setattr(self, _field(self, key), value)

    def __delitem__(self, key: str) -> None:
        setattr(self, _field(self, key), None)

    def __iter__(self) -> Iterator[str]:
        return (f.name for f in fields(self) if getattr(self, f.name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(eq=False)
class IRNode(MutableMapping):
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

    # the mapping protocol, for networkx's own copying (`G.copy()`, `add_nodes_from`)
    def __getitem__(self, key: str) -> Any:
        return getattr(self, _field(self, key))

    def __setitem__(self, key: str, value: Any) -> None:
        if key == "meta" and not isinstance(value, NodeMeta):
            value = NodeMeta(**value)
        setattr(self, _field(self, key), value)

    def __delitem__(self, key: str) -> None:
        raise KeyError(f"an IR node's field {key!r} cannot be removed")

    def __iter__(self) -> Iterator[str]:
        return (f.name for f in fields(self))

    def __len__(self) -> int:
        return len(fields(self))

    def copy(self) -> IRNode:
        """A copy whose containers (`args`, `meta`) are new objects."""
        return IRNode(**{**{f.name: getattr(self, f.name) for f in fields(self)},
                         "args": dict(self.args), "meta": NodeMeta(**vars(self.meta))})


_FIELDS = {IRNode: frozenset(f.name for f in fields(IRNode)),
           NodeMeta: frozenset(f.name for f in fields(NodeMeta))}


def _field(record: object, key: str) -> str:
    if key not in _FIELDS[type(record)]:
        kind = "an IR node" if isinstance(record, IRNode) else "an IR node's meta"
        raise KeyError(f"{kind} has no field {key!r}")
    return key
