"""`mgdsl fmt`: canonical, idempotent, comment-preserving, meaning-preserving."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import repository_mg_files
from hypothesis import given, settings
from hypothesis import strategies as st
from paths import ROOT

from mgdsl.api import build_graph
from mgdsl.errors import MgError
from mgdsl.ir.dump import dump
from mgdsl.syntax import fmt
from mgdsl.syntax.fmt import format_source
from mgdsl.syntax.parser import parse_file


def _formattable(path: Path) -> bool:
    """False for the golden files of syntax and file errors, which cannot be parsed."""
    if "golden" not in path.parts:
        return True
    try:
        parse_file(path)
    except MgError:
        return False
    return True


MG_FILES = [p for p in repository_mg_files() if _formattable(p)]


@pytest.mark.parametrize("path", MG_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_files_are_formatted_and_fmt_is_idempotent(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    once = format_source(text, str(path))
    assert format_source(once) == once
    assert all(len(_code(line)) <= fmt.MAX_LINE for line in once.splitlines())
    if "golden" not in path.parts:
        assert once == text, f"{path} is not canonically formatted: run `mgdsl fmt {path}`"


def _code(line: str) -> str:
    """A formatted line without its trailing comment (comments are never broken)."""
    return line.split("  #")[0] if not line.lstrip().startswith("#") else ""


def test_a_call_wrapped_by_hand_stays_within_the_limit() -> None:
    # joined, this call is 111 columns wide: fmt used to print it on one line
    src = ('use "std.mg"\nnetwork N(w = 8) {\n    input image: 3 x 32 x 32\n'
           "    p = stems7(image, [w, w / 2, w / 4], levels = 3)\n"
           "    p = resmg_proj_linear(concat(maxpool(p[:-1]), p, upsample(p[1:], like = p[:-1])),\n"
           "                          [w, w, w], k = [3, 3, 1])\n    output y = relu(p[0])\n}\n")
    joined = " ".join(line.strip() for line in src.splitlines()[4:6])
    assert len("    " + joined) == 111
    out = format_source(src)
    assert max(len(line) for line in out.splitlines()) <= fmt.MAX_LINE
    assert ("    p = resmg_proj_linear(concat(maxpool(p[:-1]), p, upsample(p[1:], like = p[:-1])),"
            " [w, w, w],\n                          k = [3, 3, 1])\n") in out
    assert format_source(out) == out
    assert dump(build_graph(out), spans=False) == dump(build_graph(src), spans=False)


@pytest.mark.parametrize("width", [60])
def test_every_repository_file_fits_a_narrower_limit(width: int, monkeypatch) -> None:
    monkeypatch.setattr(fmt, "MAX_LINE", width)
    for path in MG_FILES:
        once = format_source(path.read_text(encoding="utf-8"), str(path))
        assert format_source(once) == once, path
        long = [line for line in once.splitlines() if len(_code(line)) > width]
        assert not long, (path, long)
        if path.parent.name in ("architectures", "examples"):
            before = dump(build_graph(path), spans=False)
            assert dump(build_graph(once), spans=False) == before, path


def test_long_expressions_break_at_commas_and_before_operators(monkeypatch) -> None:
    monkeypatch.setattr(fmt, "MAX_LINE", 36)
    src = ("block a_block_name(p, first_width, second = 3, third = [1, 2, 3]) { return p }\n"
           "network N(a = 2) { input x: 1 x 4 x 4\n"
           "    if a > 1 and a < 1000 and a != 300 and a != 400 { b = 1 }\n"
           "    total = a + a * 2 + a * 3 + a * 4 + a * 5 - a * 6\n"
           "    y = a_block_name(x, [a * 16, a * 8, a * 4], second = a ** 2 + 1)\n"
           "    output o = relu(y) }\n")
    out = format_source(src)
    assert out == """block a_block_name(
        p, first_width, second = 3,
        third = [1, 2, 3]) {
    return p
}
network N(a = 2) {
    input x: 1 x 4 x 4
    if a > 1 and a < 1000
       and a != 300 and a != 400 {
        b = 1
    }
    total = a + a * 2 + a * 3
            + a * 4 + a * 5 - a * 6
    y = a_block_name(
            x,
            [a * 16, a * 8, a * 4],
            second = a ** 2 + 1)
    output o = relu(y)
}
"""
    assert format_source(out) == out


def test_comments_survive_and_move_sensibly() -> None:
    src = ("# head\n\nnetwork N(a=1){ # hdr\n  input x:1 x 8 x 8 # inp\n  # own\n"
           "  y = (a+2)*3 - (4-a) # t\n  repeat 2 { z = relu(x) }\n"
           "  output o=relu(x) }\n# tail\n")
    out = format_source(src)
    for comment in ("# head", "# hdr", "# inp", "# own", "# t", "# tail"):
        assert comment in out
    assert "y = (a + 2) * 3 - (4 - a)  # t" in out
    assert "repeat 2 { z = relu(x) }" in out


# --------------------------------------------------------------- random programs

NAMES = st.sampled_from(["a", "b", "c", "w", "depth"])
SPACE = st.sampled_from([" ", "  ", "\n", " \n  ", "\t"])


@st.composite
def int_expr(draw, depth: int = 0):
    if depth > 2 or draw(st.booleans()):
        return str(draw(st.integers(1, 9)))
    op = draw(st.sampled_from(["+", "*", "-"]))
    left, right = draw(int_expr(depth + 1)), draw(int_expr(depth + 1))
    if draw(st.booleans()):
        return f"({left}{draw(SPACE)}{op} {right})"
    return f"{left} {op}{draw(SPACE)}{right}"


@st.composite
def programs(draw):
    sp = lambda: draw(SPACE)  # noqa: E731 - short local helper
    lines = ['use "std.mg"', f"network N(c{sp()}={sp()}4) {{",
             f"  input image: 1 x 16 x{sp()}16"]
    lines.append(f"p = stems(image,{sp()}[c, c], levels = 2)")
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["mg", "rep", "sec", "slice", "comment", "res", "if",
                                     "long"]))
        if kind == "mg":
            lines.append(f"p = mgcbr(p,{sp()}[max(1, {draw(int_expr())}), c])")
        elif kind == "rep":
            lines.append(f"repeat {draw(st.integers(0, 2))} {{{sp()}p = mgcbr(p, c){sp()}}}")
        elif kind == "sec":
            name = draw(NAMES)
            if any(f"section {name} " in line for line in lines):
                continue
            lines.append(f"section {name} {{ # in section\n p[1:] = cbr(p[1:], c) }}")
        elif kind == "slice":
            lines.append(f"p[:1] = relu(p[:1]){sp()}# trailing")
        elif kind == "if":
            cond = f"{draw(int_expr())} > {draw(int_expr())} or{sp()}c ** 2 >= 16"
            lines.append(f"if {cond} {{{sp()}p = mgcbr(p, c) }}{sp()}else if not c == 3 "
                         f"{{ p = relu(p) }} else {{{sp()}p = mgcb(p, c) }}")
        elif kind == "long":
            lines.append(f"p = mgcbr(mgcb(p, [max(1, {draw(int_expr())}), c]),{sp()}"
                         f"[max(1, {draw(int_expr())}), max(1, {draw(int_expr())})], k = 3)")
        elif kind == "res":
            lines.append("p = resmg(p, channels(p))")
        else:
            lines.append("# a comment line")
    lines.append(f"output y{sp()}={sp()}sigmoid(cb(p[0], 1))")
    lines.append("}")
    return "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None)
@given(programs())
def test_fmt_round_trip_on_random_programs(text: str) -> None:
    once = format_source(text)
    assert format_source(once) == once
    assert text.count("#") == once.count("#")
    before = dump(build_graph(text), spans=False)
    after = dump(build_graph(once), spans=False)
    assert before == after
