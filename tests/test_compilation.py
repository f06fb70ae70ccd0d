"""The front end, `mgdsl.compilation.Compilation`: one program -> IR per network, every
diagnostic, and the editor hooks (values per span, definitions, uses, `use` targets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mgdsl.compilation import Compilation, Pyramid
from mgdsl.errors import MgError, MgErrors

TWO = '''use "std.mg"
block twice(p, ch) {
    q = cbr(p, ch)
    return cbr(q, ch)
}
network A(c = 4) {
    input x: 1 x 8 x 8
    y = twice(x, c)
    output out = y
}
network B() {
    input x: 1 x 8 x 8
    output out = twice(x, 2) + nope
}
'''


def test_check_collects_every_network_and_error() -> None:
    c = Compilation(TWO).check()
    assert c.networks == ["A", "B"] and list(c.graphs) == ["A"]
    assert [e.code for e in c.errors] == ["E200"] and c.errors[0].span.line == 13
    assert c.graphs["A"].nodes[c.graphs["A"].graph["outputs"]["out"]].shape == (4, 8, 8)


def test_ir_raises_and_takes_parameters_and_sizes() -> None:
    assert Compilation(TWO, params={"c": 6}).ir("A").graph["params"] == {"c": 6}
    with pytest.raises(MgErrors):
        Compilation(TWO).ir("B")
    sized = Compilation(TWO, inputs={"x": (1, 16, 12)}).ir("A")
    assert sized.nodes[sized.graph["inputs"]["x"]].shape == (1, 16, 12)


def test_a_file_that_does_not_load_reports_and_builds_nothing() -> None:
    c = Compilation("network N( {").check()
    assert c.program is None and c.module is None and c.networks == [] and c.errors
    with pytest.raises(MgError) as raised:
        c.ir()
    assert raised.value.code == c.errors[0].code == "E100"


def test_editor_hooks() -> None:
    c = Compilation("a.mg", text=TWO, record=True).check()
    assert [e.code for e in c.errors] == ["E200"]
    assert set(c.graphs) == {"A", "B"}  # B's partial graph is kept for the editor
    # `y = twice(x, c)` on line 8: the call's value, and the IR nodes it added
    (record,) = c.values[(8, 9, 8, 20)]
    assert isinstance(record.value, Pyramid) and record.value.grids[0].shape == (4, 8, 8)
    assert record.graph == "A" and record.last - record.first == 6  # two conv, bn, relu
    assert c.definition("twice") == ("a.mg", c.blocks["twice"].node.span)
    assert c.definition("B")[1].line == 11 and c.definition("nothing") is None
    assert [(name, span.line) for name, span in c.uses("twice")] == [("twice", 8), ("twice", 13)]
    assert Path(c.used_file("std.mg")).name == "std.mg" and c.used_file("none.mg") is None


def test_warnings_come_from_the_checks() -> None:
    c = Compilation("network N() { input x: 1 x 9 x 9  output y = maxpool(x) }").check()
    assert not c.errors and [w.code for w in c.warnings] == ["W101"]
