"""`if` / `else if` / `else`, comparisons, `and` / `or` / `not` and `**`: grammar,
elaboration, formatting and the errors each can raise."""

from __future__ import annotations

import ast
import operator

import pytest
from helpers import build, codes
from hypothesis import given, settings
from hypothesis import strategies as st
from paths import ROOT

import mgdsl
from mgdsl.errors import MgError, flatten_errors
from mgdsl.ir.dump import dump
from mgdsl.syntax.fmt import format_expr, format_source
from mgdsl.syntax.parser import parse_text


def channels_of(expr: str, header: str = "network N(n = 3)") -> int:
    """The value of a numeric expression, read back as the channel count of a conv."""
    ir = build(f"input x: 1 x 4 x 4\noutput y = conv(x, {expr}, 1)", header)
    return ir.nodes[ir.graph["outputs"]["y"]].shape[0]


def truth_of(cond: str, header: str = "network N(n = 3)") -> bool:
    """The value of a condition, read back through the branch an `if` takes."""
    ir = build(f"input x: 1 x 4 x 4\nif {cond} {{ c = 1 }} else {{ c = 2 }}\n"
               "output y = conv(x, c, 1)", header)
    return ir.nodes[ir.graph["outputs"]["y"]].shape[0] == 1


@pytest.mark.parametrize("expr, value", [
    ("2 ** 3", 8), ("2 ** 3 ** 2", 512), ("(2 ** 3) ** 2", 64), ("-2 ** 2 + 8", 4),
    ("(-2) ** 2", 4), ("1 + 2 * 3 ** 2", 19), ("2 ** -1 * 8", 4), ("n ** 2 - 1", 8),
    ("4 ** 0.5", 2), ("[2, 3][1] ** 2", 9), ("(-1) ** (10 ** 18)", 1),
])
def test_power_binds_tighter_than_unary_minus_and_groups_right(expr: str, value: int) -> None:
    assert channels_of(expr) == value


def test_power_applies_item_by_item_to_lists() -> None:
    ir = build("input x: 1 x 8 x 8\np = pyramid(x, 2)\noutput y = conv(p, [2, 3] ** 2, 1)[1]")
    assert ir.nodes[ir.graph["outputs"]["y"]].shape == (9, 4, 4)


@pytest.mark.parametrize("cond, value", [
    ("1 < 2", True), ("2 <= 2", True), ("3 > 4", False), ("3 >= 4", False),
    ("1 == 1.0", True), ("1 != 1", False), ('"a" != "b"', True), ("[1, 2] == [1, 2]", True),
    ("[1, 2] != [2, 1]", True), ("none == 3", False), ("true == false", False),
    ("not 1 > 2", True), ("not not true", True), ("1 < 2 and 2 < 3", True),
    ("1 > 2 or 2 > 3", False), ("false and true or true", True),
    ("false or true and false", False), ("not false and false", False),
    ("n * 2 >= 6", True), ("n - 1 == 2 and not n == 2", True), ("2 ** n > 7", True),
    ("len([1, 2, 3]) == n", True), ("max([1, n]) < n + 1", True),
])
def test_comparisons_and_connectives(cond: str, value: bool) -> None:
    assert truth_of(cond) is value


def test_and_or_do_not_evaluate_a_decided_right_side() -> None:
    # the right sides would be errors (a tensor condition, an unknown name) if they ran
    assert truth_of("false and x > 0") is False
    assert truth_of("true or undefined_name") is True
    assert codes("input x: 1 x 4 x 4\nif true and x > 0 { c = 1 }\noutput y = x") == ["E440"]


def test_else_if_chains_pick_the_first_true_branch() -> None:
    body = """input x: 1 x 8 x 8
    if n < 2 { c = 1 } else if n < 4 { c = 2 } else if n < 6 { c = 3 } else { c = 4 }
    output y = conv(x, c, 1)"""
    for n, c in [(0, 1), (2, 2), (3, 2), (5, 3), (9, 4)]:
        ir = build(body, "network N(n = 0)", n=n)
        assert ir.nodes[ir.graph["outputs"]["y"]].shape[0] == c


def test_if_adds_no_scope_to_node_names_and_shares_variables() -> None:
    plain = build("input x: 1 x 8 x 8\np = cbr(x, 4)\np = cbr(p, 4)\noutput y = p")
    chosen = build("input x: 1 x 8 x 8\np = cbr(x, 4)\nif n > 0 { p = cbr(p, 4) }\noutput y = p",
                   "network N(n = 1)")
    assert dump(plain, spans=False) == dump(chosen, spans=False).replace("(n=1)", "()")


def test_inputs_outputs_and_sections_inside_branches() -> None:
    body = """if rgb { input x: 3 x 8 x 8 } else { input x: 1 x 8 x 8 }
    if deep { section s { p = cbr(cbr(x, 4), 4) } } else { p = cbr(x, 4) }
    output y = p"""
    ir = build(body, "network N(rgb = true, deep = false)")
    assert ir.nodes[ir.graph["inputs"]["x"]].shape == (3, 8, 8)
    assert "s" not in {p for _, d in ir.nodes(data=True) for p in d.scope}
    ir = build(body, "network N(rgb = true, deep = false)", rgb=False, deep=True)
    assert ir.nodes[ir.graph["inputs"]["x"]].shape == (1, 8, 8)
    assert sum(d.op == "conv" for _, d in ir.nodes(data=True)) == 2


def test_a_block_chooses_its_shortcut_by_comparing_channel_counts() -> None:
    header = """block unit(p, ch) {
        if max(channels(p) - ch) > 0 { s = cb(p, ch, 1) } else { s = pad(p, ch) }
        return relu(cb(p, ch) + s)
    }
    network N()"""
    ir = build("input x: 1 x 8 x 8\np = unit(cbr(x, 8), 4)\np = unit(p, 16)\noutput y = p", header)
    ops = [d.op for _, d in sorted(ir.nodes(data=True))]
    assert ops.count("pad") == 1 and ops.count("conv") == 4  # stem, 2 unit convs, 1 projection


def test_return_inside_branches() -> None:
    header = """block pick(p, ch) {
        if ch > 4 { return cbr(p, ch) } else if ch == 4 { return p }
        return relu(p)
    }
    network N()"""
    for ch, op in [(8, "relu"), (4, "input"), (2, "relu")]:
        ir = build(f"input x: 1 x 4 x 4\noutput y = pick(x, {ch})", header)
        y = ir.graph["outputs"]["y"]
        (src,) = ir.predecessors(y)
        assert ir.nodes[src].op == op
    missing = "block b(p) { if false { return p } }\nnetwork N()"
    assert codes("input x: 1 x 4 x 4\noutput y = b(x)", missing) == ["E410"]
    looped = "block b(p) { repeat 2 { if true { return p } } return p }\nnetwork N()"
    assert codes("input x: 1 x 4 x 4\noutput y = b(x)", looped) == ["E208"]
    after = "block b(p) { if true { return p  q = p } return p }\nnetwork N()"
    assert codes("input x: 1 x 4 x 4\noutput y = b(x)", after) == ["E208"]


def test_a_failing_branch_is_reported_once_and_poisons_its_targets() -> None:
    body = """input x: 1 x 8 x 8
    if true { p = conv(x, -1) } else { q = 1 }
    z = relu(p)
    w = q + 1
    output y = relu(unknown)"""
    # `z` reads the poisoned `p` silently; `q` was never assigned (its branch did not run)
    assert codes(body) == ["E403", "E200", "E200"]


@pytest.mark.parametrize("body, code", [
    ("input x: 1 x 4 x 4\nif x { c = 1 }\noutput y = x", "E440"),
    ("input x: 1 x 4 x 4\nc = x == x\noutput y = x", "E440"),
    ("input x: 1 x 4 x 4\nc = not x\noutput y = x", "E440"),
    ("input x: 1 x 4 x 4\nif 1 { c = 1 }\noutput y = x", "E441"),
    ("input x: 1 x 4 x 4\nc = 1 or true\noutput y = x", "E441"),
    ("input x: 1 x 4 x 4\nc = [1] <= [2]\noutput y = x", "E442"),
    ('input x: 1 x 4 x 4\nc = "a" < "b"\noutput y = x', "E442"),
    ("input x: 1 x 4 x 4\nc = true == 1\noutput y = x", "E442"),
    ("input x: 1 x 4 x 4\nc = 2 ** 63\noutput y = x", "E509"),
    ("input x: 1 x 4 x 4\nc = 0 ** -1\noutput y = x", "E407"),
    ("input x: 1 x 4 x 4\nc = 0.0 ** -1\noutput y = x", "E407"),
    ("input x: 1 x 4 x 4\nc = (-8) ** (1 / 3.0)\noutput y = x", "E407"),
    ('input x: 1 x 4 x 4\nc = "a" ** 2\noutput y = x', "E406"),
    ("input x: 1 x 4 x 4\nc = x ** 2\noutput y = x", "E406"),
])
def test_condition_and_power_errors(body: str, code: str) -> None:
    assert codes(body) == [code]


def test_a_condition_on_a_tensor_says_why_and_what_to_use() -> None:
    with pytest.raises(MgError) as info:
        build("input x: 1 x 4 x 4\nif x > 0 { c = 1 }\noutput y = x")
    (err,) = flatten_errors(info.value)
    assert "not known while the network is built" in err.message
    assert "channels(p)" in err.hint and "len(p)" in err.hint


def test_errors_inside_std_blocks_with_if_point_at_the_call() -> None:
    with pytest.raises(MgError) as info:
        build("input x: 1 x 8 x 8\noutput y = resmg(x, -4)")
    (err,) = flatten_errors(info.value)
    assert err.span.file != "std.mg" and err.span.line == 4


@pytest.mark.parametrize("text", [
    "network N() { x = 1 < 2 < 3 }", "block b(p) { if 1 == 2 != 3 { } }",
    "network N() { else { } }", "network N() { if = 1 }", "network N() { x = not }",
    "network N() { x = 1 ! 2 }", "network N() { x = 1 && 2 }",
])
def test_syntax_errors_of_the_new_forms(text: str) -> None:
    with pytest.raises(MgError) as info:
        parse_text(text, "bad.mg")
    assert info.value.hint


FORMATTED = """network N(n = 2) {
    input x: 1 x 8 x 8
    if n ** 2 >= 4 and not n == 3 or false {
        c = 1  # first
    } else if (n > 1) == (n < 3) {
        # on its own line
        c = -2 ** 2 + (-2) ** 2 + (2 ** 3) ** 2
    } else {
        c = 3
    }
    if n > 0 { d = not (n > 1 and n < 2) }
    output y = conv(x, c + 3, 1)
}
"""


def test_fmt_prints_the_new_forms_canonically_and_round_trips() -> None:
    assert format_source(FORMATTED) == FORMATTED
    squeezed = ("network N(n=2){input x:1 x 8 x 8\nif n**2>=4 and not n==3 or false{c=1 # first\n}"
                "else if (n>1)==(n<3){\n# on its own line\nc=-2**2+(-2)**2+(2**3)**2}else{c=3}\n"
                "if n>0{d=not(n>1 and n<2)}\noutput y=conv(x,c+3,1)}")
    assert format_source(squeezed) == FORMATTED
    assert dump(mgdsl.build_graph(squeezed), spans=False) == \
        dump(mgdsl.build_graph(FORMATTED), spans=False)


def test_fmt_keeps_comments_around_else() -> None:
    text = ("network N() {\n    input x: 1 x 4 x 4\n    if true {\n        c = 1\n    }  # a\n"
            "    else {  # b\n        c = 2\n    }\n    output y = x\n}\n")
    out = format_source(text)
    assert "# a" in out and "# b" in out
    assert format_source(out) == out


def test_rpmg20_takes_n_units_per_block() -> None:
    from mgdsl.api import cost_of

    path = ROOT / "architectures" / "rpmg-mnist.mg"
    sizes = []
    for n in (1, 2, 3):
        ir = mgdsl.build_graph(path, n=n)
        nodes = [d for _, d in ir.nodes(data=True)]
        b5 = {d.name.split(".")[1] for d in nodes if d.section == "b5" and "." in d.name}
        assert b5 == {f"resmg{i}" for i in range(n)}
        assert max(d.level for d in nodes if d.section == "b5") == 2  # 3 grids left
        b7 = [d for d in nodes if d.section == "b7"]
        convs = [d for d in b7 if d.op == "conv"]
        # one projection (the unit that narrows 64 -> classes), identity shortcuts after it
        assert len(convs) == 2 * n + 1 and sum(d.op == "add" for d in b7) == n
        assert sum(d.args["k"] == 1 for d in convs) == len(convs)
        assert ir.nodes[ir.graph["outputs"]["y"]].shape == (10, 64, 64)
        sizes.append(cost_of(ir).params)
    assert sizes[0] == 1_199_886 and sizes[0] < sizes[1] < sizes[2]


def test_the_program_generator_writes_the_new_forms() -> None:
    """The fuzzer's generator (and so the property tests) reaches `if`, `else if`, `else`,
    the comparisons, `and` / `or` / `not` and `**`, and predicts their shapes."""
    import random

    from mgdsl.testing.fuzz import random_program

    programs = [random_program(random.Random(seed)) for seed in range(80)]
    text = "\n".join(p.text for p in programs)
    for form in ("if ", "} else if ", "} else {", " ** ", " and ", " or ", "not ", " == ",
                 " != ", " < ", " <= ", " > ", " >= ", "len(", "channels("):
        assert form in text, form
    with_if = [p for p in programs if "if " in p.text][:8]
    for program in with_if:
        ir = mgdsl.build_graph(program.text)
        for name, shape in program.outputs.items():
            assert ir.nodes[ir.graph["outputs"][name]].shape == shape


# ------------------------------------------------- expressions agree with Python's


@st.composite
def number_exprs(draw, depth: int = 0) -> str:
    """Integer expressions with `+ - * // **` and unary minus, parenthesised at random
    (so precedence is exercised); exponents stay small."""
    if depth > 2 or draw(st.integers(0, 3)) == 0:
        return str(draw(st.integers(0, 5)))
    kind = draw(st.sampled_from(["bin", "bin", "neg", "pow"]))
    if kind == "neg":
        return "-" + draw(number_exprs(depth + 1))
    if kind == "pow":
        base = draw(number_exprs(depth + 1))
        exponent = draw(st.sampled_from(["0", "1", "2", "3", "-1", "(1 + 1)", "-2"]))
        text = f"{base} ** {exponent}"
    else:
        op = draw(st.sampled_from(["+", "-", "*", "//"]))
        text = f"{draw(number_exprs(depth + 1))} {op} {draw(number_exprs(depth + 1))}"
    return f"({text})" if draw(st.booleans()) else text


@st.composite
def bool_exprs(draw, depth: int = 0) -> str:
    """Conditions: comparisons of number expressions joined by `and` / `or` / `not`."""
    kind = draw(st.sampled_from(["cmp", "cmp", "const"] + (["not", "and", "or"] if depth < 2
                                                           else [])))
    if kind == "const":
        text = draw(st.sampled_from(["true", "false"]))
    elif kind == "cmp":
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
        text = f"({draw(number_exprs(1))}) {op} ({draw(number_exprs(1))})"
    elif kind == "not":
        text = "not " + draw(bool_exprs(depth + 1))
    else:
        text = f"{draw(bool_exprs(depth + 1))} {kind} {draw(bool_exprs(depth + 1))}"
    return f"({text})" if draw(st.booleans()) else text


MAX_INT = 2**62  # mgdsl's integers stop here, every intermediate result included

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.FloorDiv: operator.floordiv, ast.Pow: operator.pow}
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
            ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}


class _TooBig(Exception):
    """An integer beyond mgdsl's 2^62 limit: the language reports E509 there."""


def _py_eval(node: ast.expr):
    """Python's own arithmetic on Python's own parse of the text, with mgdsl's integer
    limit applied before a power is computed: `5 ** 3 ** 3 ** 3` would otherwise have
    Python build an integer of 10^12 digits (gigabytes, minutes) as the reference."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp):
        v = _py_eval(node.operand)
        return {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}[
            type(node.op)](v)
    if isinstance(node, ast.BoolOp):
        for value in node.values:  # short-circuit, returning the deciding operand
            result = _py_eval(value)
            if bool(result) == isinstance(node.op, ast.Or):
                return result
        return result
    if isinstance(node, ast.Compare):
        left = _py_eval(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _py_eval(comparator)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    a, b = _py_eval(node.left), _py_eval(node.right)
    if (isinstance(node.op, ast.Pow) and type(a) is int and type(b) is int and b > 0
            and abs(a) > 1 and b * (abs(a).bit_length() - 1) > 62):
        raise _TooBig
    result = _BINARY[type(node.op)](a, b)
    if type(result) is int and abs(result) > MAX_INT:
        raise _TooBig
    return result


def _python(text: str) -> str:
    tree = ast.parse(text.replace("true", "True").replace("false", "False"), mode="eval")
    try:
        value = _py_eval(tree.body)
    except (ZeroDivisionError, OverflowError, _TooBig):
        return "error"
    if abs(value) > MAX_INT:
        return "error"
    return _unsigned_zero(str(value))


def _unsigned_zero(text: str) -> str:
    """The sign of a float zero is not part of the language's meaning (Python's -0.0 from
    -(1 - 1 ** -1) is 0.0 in mgdsl, whose 0 // -0.25 is -0.0 like Python's)."""
    return "0.0" if text == "-0.0" else text


def _mgdsl(text: str) -> str:
    from mgdsl.reference import evaluate

    try:
        return _unsigned_zero(evaluate(text))
    except MgError:
        return "error"


@settings(max_examples=80, deadline=None)
@given(st.one_of(number_exprs(), bool_exprs()))
def test_expressions_evaluate_as_in_python_and_survive_fmt(text: str) -> None:
    """mgdsl's precedence and associativity of `** - * // + -`, comparisons, `not`, `and`
    and `or` are Python's: the same text gives the same value (or both fail)."""
    expected = _python(text)
    assert _mgdsl(text) == expected, text
    canonical = format_expr(parse_text(f"network N() {{ v = {text} }}").items[0].body[0].value)
    assert _mgdsl(canonical) == expected, (text, canonical)


def test_levels_of_a_pyramid_are_known_values() -> None:
    assert truth_of("levels(maxpool(pyramid(x, 2))) == [1, 2]")
    assert truth_of("levels(x)[0] == 0 and len(levels(pyramid(x, 3))) == 3")
    assert codes("input x: 1 x 4 x 4\nc = levels(flatten(x))\noutput y = x") == ["E306"]
    assert codes("input x: 1 x 4 x 4\nc = levels(3)\noutput y = x") == ["E404"]
