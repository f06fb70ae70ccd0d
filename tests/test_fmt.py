"""`mgdsl fmt`: canonical, idempotent, comment-preserving, meaning-preserving."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mgdsl.api import build_graph
from mgdsl.ir.dump import dump
from mgdsl.syntax.fmt import format_source

ROOT = Path(__file__).resolve().parent.parent
MG_FILES = sorted(p for p in ROOT.glob("**/*.mg") if ".venv" not in p.parts)


@pytest.mark.parametrize("path", MG_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_files_are_formatted_and_fmt_is_idempotent(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    once = format_source(text, str(path))
    assert format_source(once) == once
    if "golden" not in path.parts:
        assert once == text, f"{path} is not canonically formatted: run `mgdsl fmt {path}`"


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
        kind = draw(st.sampled_from(["mg", "rep", "sec", "slice", "comment", "res"]))
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
