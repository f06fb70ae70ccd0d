"""Golden files per stage: IR dumps, diagnostics next to their lines, and command lines.

`tests/golden/ir/X.mg` -> `X.dump` (the `mgdsl dump` text). `tests/golden/errors/X.mg`
marks each line that must fail with `# error[CODE]` (or warn with `# warning[CODE]`);
`X.expected` holds the rendered diagnostics. `tests/golden/errors/cli/X.cmd` holds command
lines run in a fresh temporary directory, the last one's stderr and exit status are
`X.expected`; `tests/golden/errors/api/X.py` is a Python snippet whose MgError is
`X.expected` (see tests/golden/errors/README.md). Regenerate with
`pytest tests/test_golden.py --update-golden` and read the diff.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from paths import ROOT, TESTS

from mgdsl.api import check_files, load
from mgdsl.catalogue import CATALOGUE
from mgdsl.cli.main import main
from mgdsl.errors import format_diagnostic
from mgdsl.ir.dump import dump

GOLDEN = TESTS / "golden"
CLI = GOLDEN / "errors" / "cli"
IR_CASES = sorted((GOLDEN / "ir").glob("*.mg"))
ERROR_CASES = sorted((GOLDEN / "errors").glob("*.mg"))
CLI_CASES = sorted(CLI.glob("*.cmd"))
API_CASES = sorted((GOLDEN / "errors" / "api").glob("*.py"))
RENDERED = re.compile(r"(?:error|warning)\[([EW]\d{3})\]")
TORCH_VERBS = {"train", "eval", "compile", "export"}


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
    graphs, errors = check_files([case])
    errors = errors + [w for ir in graphs for w in ir.graph["warnings"]]
    expected = {(i, code) for i, line in enumerate(case.read_text().splitlines(), 1)
                if "#" in line for code in RENDERED.findall(line.split("#", 1)[1])}
    found = {(e.span.line, e.code) for e in errors if e.span and e.span.file == str(case)}
    assert found == expected
    rendered = "\n".join(format_diagnostic(e) for e in errors).replace(str(GOLDEN) + "/", "")
    _compare(case.with_suffix(".expected"), rendered + "\n", update_golden)


def _commands(case: Path) -> list[str]:
    lines = [line.strip() for line in case.read_text(encoding="utf-8").splitlines()]
    return [line.replace("{here}", str(CLI)) for line in lines
            if line and not line.startswith("#")]


def _run_mgdsl(line: str, monkeypatch: pytest.MonkeyPatch) -> int:
    words = shlex.split(line)
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        monkeypatch.setenv(name, value)
    assert words[0] == "mgdsl", f"the last line must run mgdsl, got {line!r}"
    try:
        return main(words[1:])
    except SystemExit as exc:  # argparse usage errors
        return int(exc.code or 0)


def _cli_marks(case: Path) -> list[pytest.MarkDecorator]:
    verbs = {shlex.split(c)[1] for c in _commands(case) if c.startswith("mgdsl ")}
    return [pytest.mark.torch] if verbs & TORCH_VERBS else []


@pytest.mark.parametrize("case", [pytest.param(c, id=c.stem, marks=_cli_marks(c))
                                  for c in CLI_CASES])
def test_cli_diagnostics_golden(case: Path, update_golden: bool, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    *setup, last = _commands(case)
    for line in setup:
        if line.startswith("mgdsl "):
            assert _run_mgdsl(line, monkeypatch) == 0, capsys.readouterr().err
        else:
            subprocess.run(["bash", "-c", line], check=True, cwd=tmp_path)
    capsys.readouterr()
    status = _run_mgdsl(last, monkeypatch)
    err = capsys.readouterr().err
    err = err.replace(str(tmp_path) + "/", "").replace(str(CLI), "{here}")
    _compare(case.with_suffix(".expected"), f"{err}[exit {status}]\n", update_golden)


@pytest.mark.parametrize("case", API_CASES, ids=lambda p: p.stem)
def test_api_diagnostics_golden(case: Path, update_golden: bool, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    from mgdsl.errors import MgError, flatten_errors

    monkeypatch.chdir(tmp_path)
    with pytest.raises(MgError) as info:
        runpy.run_path(str(case), run_name="__golden__")
    rendered = "\n".join(format_diagnostic(e) for e in flatten_errors(info.value))
    rendered = rendered.replace(str(tmp_path) + "/", "")
    _compare(case.with_suffix(".expected"), rendered + "\n", update_golden)


def _source_code_literals() -> dict[str, list[str]]:
    """Every string literal of the form E123/W123 in mgdsl/ and codegen/, with where."""
    import io
    import tokenize

    root = ROOT
    found: dict[str, list[str]] = {}
    for path in sorted([*root.glob("mgdsl/**/*.py"), *root.glob("codegen/**/*.py")]):
        if path.name == "catalogue.py":
            continue
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for tok in tokens:
            if tok.type == tokenize.STRING:
                m = re.fullmatch(r"[rbuRBU]?(['\"])([EW]\d{3})\1", tok.string)
                if m:
                    found.setdefault(m.group(2), []).append(
                        f"{path.relative_to(root)}:{tok.start[0]}")
    return found


def test_every_code_in_the_source_is_catalogued() -> None:
    literals = _source_code_literals()
    assert len(literals) > 50  # the scan itself works
    missing = {code: where for code, where in literals.items() if code not in CATALOGUE}
    assert not missing, f"codes without a catalogue entry (mgdsl/catalogue.py): {missing}"


def test_every_catalogue_entry_has_a_golden() -> None:
    produced: set[str] = set()
    for path in (GOLDEN / "errors").rglob("*.expected"):
        produced |= set(RENDERED.findall(path.read_text(encoding="utf-8")))
    missing = sorted(set(CATALOGUE) - produced)
    assert not missing, f"catalogue codes no golden error file produces: {missing}"


def test_docs_errors_md_is_generated_from_the_catalogue() -> None:
    from mgdsl.catalogue import markdown

    page = ROOT / "docs" / "errors.md"
    assert page.read_text(encoding="utf-8") == markdown(), \
        "docs/errors.md is stale: run `mgdsl explain --markdown > docs/errors.md`"
