"""The language reference (`docs/language.md`, `mgdsl ops`, `mgdsl blocks`): generated from
the definitions, current, complete, and every program on the page builds."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from paths import ROOT

from mgdsl import reference
from mgdsl.api import build_graph
from mgdsl.cli.main import main
from mgdsl.elab.primitives import PRIMITIVES

DOC = ROOT / "docs" / "language.md"


def test_the_generated_reference_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(reference.BEGIN), text.index(reference.END) + len(reference.END)
    assert text[start:end] + "\n" == reference.markdown(), \
        "docs/language.md is stale: run `python -m mgdsl.reference docs/language.md`"


def test_every_builtin_and_standard_block_is_documented_with_a_working_example() -> None:
    ops, blocks = reference.op_entries(), reference.block_entries()
    assert [e.name for e in ops] == list(PRIMITIVES)
    for e in ops + blocks:
        assert e.summary and e.example and e.result, e.name
        assert e.signature.startswith(e.name + "("), e.name
    assert all(e.shape for e in ops + blocks), [e.name for e in ops + blocks if not e.shape]
    assert {e.name for e in blocks} >= {"cbr", "mgconv", "resmg", "mgup", "pmg_start"}
    by_name = {e.name: e for e in ops + blocks}
    assert by_name["conv"].example.startswith("conv(x, ")
    assert re.fullmatch(r"\d+ x \d+ x \d+", by_name["conv"].result)
    assert by_name["len"].result == "3"
    assert by_name["mgcbr"].result == "[8 x 8 x 8, 4 x 4 x 4, 2 x 2 x 2]"
    assert "k = 3" in by_name["resmg"].signature


@pytest.mark.parametrize("n, program", list(enumerate(
    re.findall(r"```mg\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S))))
def test_every_program_in_the_guide_builds(n: int, program: str) -> None:
    assert len(build_graph(program)) > 2


def test_the_guide_covers_every_topic_and_the_readme_links_it() -> None:
    text = DOC.read_text(encoding="utf-8")
    for heading in ("## Values", "## Grids and pyramids", "## Slices", "## Blocks",
                    "## `repeat`", "## `if`", "## Sections", "## Defaults", "## `use`"):
        assert heading in text, heading
    assert "docs/language.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_ops_and_blocks_commands(capsys) -> None:
    assert main(["ops"]) == 0
    out = capsys.readouterr().out
    for name in PRIMITIVES:
        assert f"\n{name}(" in out or out.startswith(f"{name}("), name
    conv = next(e for e in reference.op_entries() if e.name == "conv")
    assert f"e.g.   {conv.example}  ->  {conv.result}" in out
    assert main(["blocks", "--short"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^resmg +res-mg-unit", out, re.M)
    assert max(len(line) for line in out.splitlines()) <= 100
    assert main(["ops", "upsample", "len"]) == 0
    assert capsys.readouterr().out.count("e.g.") == 2
    assert main(["ops", "cnv"]) == 2
    assert "did you mean `conv`" in capsys.readouterr().err


def test_ops_and_blocks_do_not_import_torch() -> None:
    code = ("import sys\nfrom mgdsl.cli.main import main\n"
            "assert main(['ops']) == 0 and main(['blocks']) == 0\n"
            "assert 'torch' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True)
