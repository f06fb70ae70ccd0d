"""IR node records are typed (`mgdsl.ir.node.IRNode`): attributes everywhere, the mapping
protocol only for networkx's own copying, and no string-key reads of node records left
in the source tree outside `mgdsl/ir/`."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest
from paths import ROOT

import mgdsl
from mgdsl.ir.dump import dump
from mgdsl.ir.node import IRNode, NodeMeta

NODE_FIELDS = frozenset(IRNode.__dataclass_fields__)
META_FIELDS = frozenset(NodeMeta.__dataclass_fields__) - {"mg_node"}  # fx's node.meta has it too
SCANNED = ("mgdsl", "codegen", "benchmarks", "tests", "scripts")


@pytest.fixture(scope="module")
def ir() -> nx.DiGraph:
    return mgdsl.build_graph(ROOT / "architectures" / "mg.mg")


def test_networkx_copies_records_field_by_field(ir):
    copied = ir.copy()
    assert dump(copied) == dump(ir) and type(copied) is type(ir)
    n = next(n for n in ir if ir.nodes[n].op == "conv")
    assert copied.nodes[n] is not ir.nodes[n] and copied.nodes[n].meta is not ir.nodes[n].meta
    assert copied.nodes[n].args == ir.nodes[n].args and copied.nodes[n].args is not ir.nodes[n].args
    assert ir.subgraph([n]).nodes[n] is ir.nodes[n]
    plain = nx.DiGraph()
    plain.add_nodes_from(ir.nodes(data=True))
    assert plain.nodes[n]["op"] == "conv"  # a plain graph holds plain dicts


def test_string_key_access_is_refused_outside_networkx(ir):
    node = ir.nodes[0]
    with pytest.raises(TypeError, match=r"`\.op`"):
        node["op"]  # noqa: B018 - the refused read is the point
    with pytest.raises(TypeError):
        node["op"] = "conv"  # type: ignore[index]
    with pytest.raises(KeyError, match="no field 'colour'"):
        node.update(colour="red")
    with pytest.raises(AttributeError):
        node.colour  # type: ignore[attr-defined]  # noqa: B018


# ----------------------------------------------------------------- no string-key reads

def _is_nodes_view(expr: ast.AST) -> bool:
    """`X.nodes`, `X._node`, `X.nodes(...)` and `sorted(X.nodes(...))`."""
    if isinstance(expr, ast.Call):
        if isinstance(expr.func, ast.Name) and expr.func.id in ("sorted", "list") and expr.args:
            return _is_nodes_view(expr.args[0])
        expr = expr.func
    return isinstance(expr, ast.Attribute) and expr.attr in ("nodes", "_node")


def _record_names(tree: ast.AST) -> set[str]:
    """Names bound to node records: `d = ir.nodes[n]`, `for _, d in ir.nodes(data=True)`."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Subscript) \
                and _is_nodes_view(node.value.value):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        if isinstance(node, (ast.For, ast.comprehension)) and _is_nodes_view(node.iter) \
                and isinstance(node.target, ast.Tuple) and len(node.target.elts) == 2 \
                and isinstance(node.target.elts[1], ast.Name):
            names.add(node.target.elts[1].id)
    return names


def _key(expr: ast.AST) -> str | None:
    return expr.value if isinstance(expr, ast.Constant) and isinstance(expr.value, str) else None


def string_key_reads(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string-key read or write of an IR node record in `source`:
    `nodes[n]["op"]`, `d["shape"]` for a record `d`, `d.get("args")`, `meta["params"]`,
    `nodes(data="op")`."""
    tree = ast.parse(source)
    records = _record_names(tree)

    def is_record(expr: ast.AST) -> bool:
        return (isinstance(expr, ast.Subscript) and _is_nodes_view(expr.value)) or \
            (isinstance(expr, ast.Name) and expr.id in records)

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            key = _key(node.slice)
            if key in NODE_FIELDS and is_record(node.value):
                found.append(node)
            elif key in META_FIELDS and (
                    (isinstance(node.value, ast.Attribute) and node.value.attr == "meta"
                     and is_record(node.value.value))
                    or (isinstance(node.value, ast.Subscript) and _key(node.value.slice) == "meta")):
                found.append(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "get" and node.args and _key(node.args[0]) in NODE_FIELDS \
                    and is_record(node.func.value):
                found.append(node)
            if _is_nodes_view(node.func) and any(
                    kw.arg == "data" and _key(kw.value) for kw in node.keywords):
                found.append(node)
    return sorted((n.lineno, ast.get_source_segment(source, n) or "") for n in found)


def test_the_checker_sees_every_spelling():
    bad = '''
d = ir.nodes[n]
a = ir.nodes[n]["op"] + d["shape"] + d.get("args") + ir.nodes[m]["meta"]["params"]
b = [x["level"] for _, x in ir.nodes(data=True)] + list(ir.nodes(data="op"))
c = ir.nodes[n].meta["macs"]
'''
    assert len(string_key_reads(bad)) == 8  # meta[...] and [...]["params"] both count
    good = 'd = ir.nodes[n]\na = d.op + ir.graph["name"] + row["params"] + fx_node.meta["mg_node"]'
    assert string_key_reads(good) == []


def test_no_string_key_reads_of_node_records_outside_the_ir():
    offenders = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("mgdsl/ir/") or "/golden/" in rel or path == Path(__file__):
                continue
            offenders += [f"{rel}:{line}: {text}"
                          for line, text in string_key_reads(path.read_text(encoding="utf-8"))]
    assert not offenders, "read node records as attributes (`ir.nodes[n].op`):\n" + \
        "\n".join(offenders)
