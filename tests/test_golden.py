"""Golden files per stage: IR dumps, and diagnostics written next to their lines.

`tests/golden/ir/X.mg` -> `X.dump` (the `mgdsl dump` text). `tests/golden/errors/X.mg`
marks each line that must fail with `# error[CODE]`; `X.expected` holds the rendered
diagnostics. Regenerate with `pytest tests/test_golden.py --update-golden` and read the diff.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mgdsl.api import check_files, load
from mgdsl.errors import format_diagnostic
from mgdsl.ir.dump import dump

GOLDEN = Path(__file__).resolve().parent / "golden"
IR_CASES = sorted((GOLDEN / "ir").glob("*.mg"))
ERROR_CASES = sorted((GOLDEN / "errors").glob("*.mg"))
MARK = re.compile(r"#\s*error\[(E\d+)\]")


def _compare(path: Path, actual: str, update: bool) -> None:
    if update or not path.exists():
        path.write_text(actual, encoding="utf-8")
        if not update:
            pytest.fail(f"golden file {path.name} was missing; written, please review it")
    assert actual == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", IR_CASES, ids=lambda p: p.stem)
def test_ir_dump_golden(case: Path, update_golden: bool) -> None:
    _compare(case.with_suffix(".dump"), dump(load(case)), update_golden)


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda p: p.stem)
def test_diagnostics_golden(case: Path, update_golden: bool) -> None:
    _, errors = check_files([case])
    expected = {(i, m.group(1)) for i, line in enumerate(case.read_text().splitlines(), 1)
                for m in MARK.finditer(line)}
    found = {(e.span.line, e.code) for e in errors if e.span and e.span.file == str(case)}
    assert found == expected
    rendered = "\n".join(format_diagnostic(e) for e in errors).replace(str(GOLDEN) + "/", "")
    _compare(case.with_suffix(".expected"), rendered + "\n", update_golden)
