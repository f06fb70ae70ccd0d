"""A diagnostic code is never reused: retired codes stay unused and `explain` names their
replacement (mgdsl.catalogue.RETIRED)."""

from __future__ import annotations

import io
import re
import tokenize

from paths import ROOT

from mgdsl.catalogue import (
    CATALOGUE,
    ENTRIES,
    RETIRED,
    RETIRED_CODES,
    Retired,
    explain,
    retirement_problems,
)
from mgdsl.cli.main import main


def test_the_tables_keep_codes_unique_and_retired_codes_unused() -> None:
    assert retirement_problems() == []


def test_a_reused_code_is_caught() -> None:
    reused = (*ENTRIES, ENTRIES[0])
    assert retirement_problems(reused) == [f"{ENTRIES[0].code} has 2 entries"]
    e930 = Retired("E930", "an old meaning", "E931", "2026-12-06")
    assert "E930 is retired" in retirement_problems(ENTRIES, (*RETIRED, e930))[0]
    gone = Retired("E804", "Graphviz failed", "E999", "2026-11-29")
    assert "E999, which has no entry" in retirement_problems(ENTRIES, (gone,))[0]


def test_retired_codes_appear_nowhere_in_the_source_or_the_goldens() -> None:
    assert "E804" in RETIRED_CODES
    used: dict[str, str] = {}
    for path in ROOT.glob("mgdsl/**/*.py"):
        if path.name == "catalogue.py":
            continue
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline):
            if tok.type == tokenize.STRING and (m := re.search(r"\b([EW]\d{3})\b", tok.string)):
                used.setdefault(m.group(1), f"{path}:{tok.start[0]}")
    for path in (ROOT / "tests" / "golden").rglob("*.expected"):
        for code in re.findall(r"(?:error|warning)\[([EW]\d{3})\]", path.read_text("utf-8")):
            used.setdefault(code, str(path))
    assert not {c: used[c] for c in RETIRED_CODES if c in used}


def test_explain_a_retired_code_names_its_replacement(capsys) -> None:
    assert main(["explain", "E804"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('E804 is retired: it meant "Graphviz failed" until 2026-11-29')
    assert "that is E964\nnow." in out and "E964: Graphviz failed" in out
    assert explain("e804") == out


def test_explain_a_code_that_once_meant_more_says_so() -> None:
    text = explain("E801")
    assert text.startswith("E801: a diverged run")
    assert text.rstrip().endswith('E801 also meant "Graphviz is not installed" until '
                                  "2026-11-29 (b4955fe); that is E961\nnow.")
    assert all(r.replaced_by in CATALOGUE for r in RETIRED)
