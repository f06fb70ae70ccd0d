"""The model zoo: every network of the paper by name, counted exactly as the spec says.

Driven by the registry (`mgdsl.zoo.ENTRIES`): every row of shared/spec/zoo-expected.csv
must build to exactly its parameter and MAC counts, every name must resolve, every `.mg`
file in architectures/ must be used and documented, and `mgdsl zoo` must print the tables.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from paths import ROOT, TESTS

from mgdsl.api import resolve_target
from mgdsl.api import zoo_count as count
from mgdsl.cli.main import main
from mgdsl.errors import MgNameError
from mgdsl.zoo import ALIASES, ENTRIES, TABLES, ZooEntry, architectures_dir, lookup

EXTRA = {"U-MG-11-spt"}  # registry entries that are not rows of the paper's tables


# a copy of shared/spec/zoo-expected.csv, so the suite needs nothing outside the checkout
EXPECTED_CSV = TESTS / "data" / "zoo-expected.csv"


def _expected() -> dict[str, dict[str, str]]:
    with open(EXPECTED_CSV, newline="", encoding="utf-8") as fh:
        return {row["model"]: row for row in csv.DictReader(fh)}


EXPECTED = _expected()


def _csv_name(entry: ZooEntry) -> str:
    """The CSV spells the MNIST rows "PMG-11 seg"; the registry says "PMG-11-seg"."""
    for suffix in ("-seg", "-spt"):
        if entry.name.endswith(suffix):
            return entry.name[: -len(suffix)] + " " + suffix[1:]
    return entry.name


# ------------------------------------------------------------------------------ exactness


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.name not in EXTRA],
                         ids=lambda e: e.name)
def test_counts_equal_the_spec_exactly(entry: ZooEntry) -> None:
    row = EXPECTED[_csv_name(entry)]
    assert count(entry) == (int(row["params"]), int(row["macs"]))


def test_every_csv_row_is_in_the_registry_in_table_order() -> None:
    names = [lookup(name).name for name in EXPECTED]  # "PMG-11 seg" resolves as it is
    in_paper = [e.name for e in ENTRIES if e.name not in EXTRA]
    assert names == in_paper


def test_paper_columns_match_the_csv() -> None:
    for name, row in EXPECTED.items():
        entry = lookup(name)
        assert float(entry.paper_params) == float(row["paper_params_M"]), name
        assert entry.paper_macs == _paper_macs(row["paper_flops"]), name


def _paper_macs(text: str) -> float | None:
    if not text:
        return None
    return float(text[:-1]) * {"M": 1e6, "G": 1e9}[text[-1]]


def test_extra_entries_build() -> None:
    params, macs = count(lookup("U-MG-11-spt"))
    assert (params, macs) == (5900905, 1906278400)


def test_every_visible_discrepancy_has_a_note() -> None:
    """Where our count, rounded as the paper prints, differs from the paper, say why."""
    for entry in ENTRIES:
        params, macs = count(entry)
        printed = [(params / 1e6, entry.paper_params)]
        if entry.paper_flops:
            scale = {"M": 1e6, "G": 1e9}[entry.paper_flops[-1]]
            printed.append((macs / scale, entry.paper_flops[:-1]))
        for ours, text in printed:
            if not text:
                assert entry.note, entry.name
                continue
            decimals = len(text.partition(".")[2])
            if f"{ours:.{decimals}f}" != text:
                assert entry.note, f"{entry.name}: {ours:.{decimals}f} vs paper {text}"


# ---------------------------------------------------------------------------------- names


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_every_name_resolves(entry: ZooEntry) -> None:
    assert lookup(entry.name) is entry
    assert lookup(entry.name.lower()) is entry
    assert lookup(entry.name.upper()) is entry
    path, network, params = resolve_target(entry.name)
    assert path == entry.path and path.is_file()
    assert network == entry.network
    assert params == dict(entry.params)


def test_registry_is_well_formed() -> None:
    names = [e.name for e in ENTRIES]
    assert len(set(n.lower() for n in names)) == len(names)
    for e in ENTRIES:
        assert e.table in TABLES
        assert e.task in ("cifar100", "mnist-seg", "mnist-spt", "imagenet")
        assert e.family and e.file.endswith(".mg")
    tables = [e.table for e in ENTRIES]
    assert tables == sorted(tables)
    for alias, target in ALIASES.items():
        assert lookup(alias) is lookup(target)


def test_examples_from_the_issue() -> None:
    assert lookup("MG-16").params == (("n", 3), ("w", 64))
    assert lookup("R-PMG-sm-30").params == (("n", 2), ("w", 40))
    assert lookup("PMG-11-seg").params == (("classes", 10),)
    assert lookup("R-PMG-20-spt").params == (("classes", 1),)
    assert lookup("R-MG-34").file == "rmg-imagenet.mg"
    assert "23 layers" in lookup("PMG-30").note


def test_unknown_names_get_a_did_you_mean_hint() -> None:
    with pytest.raises(MgNameError) as info:
        lookup("MG-61")
    assert info.value.code == "E220"
    assert "`MG-16`" in (info.value.hint or "")
    with pytest.raises(MgNameError) as info:
        lookup("pmg-11")
    assert info.value.hint == "did you mean `PMG-11-seg` or `PMG-11-spt`?"
    with pytest.raises(MgNameError) as info:
        lookup("no-such-network")
    assert "mgdsl zoo" in (info.value.hint or "")


# ---------------------------------------------------------------------------------- files


def test_architectures_dir_is_the_checkout_folder() -> None:
    assert architectures_dir().resolve() == (ROOT / "architectures").resolve()


@pytest.mark.parametrize("path", sorted((ROOT / "architectures").glob("*.mg")),
                         ids=lambda p: p.name)
def test_every_file_is_used_documented_and_short(path: Path) -> None:
    assert any(e.file == path.name for e in ENTRIES), f"{path.name} is in no zoo entry"
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# ") and "Table" in first, "open with the table the file is from"
    header = "".join(line for line in text.splitlines() if line.startswith("#"))
    # users have the paper and this repository, not the reconstruction notes behind them
    assert "spec" not in header and "§" not in header
    assert len(text.splitlines()) <= 40


def test_regular_install_finds_the_zoo(tmp_path: Path) -> None:
    """A wheel ships architectures/ as `mgdsl.architectures` and the registry finds it."""
    if not (ROOT / "pyproject.toml").exists():
        pytest.skip("no source tree")
    src = tmp_path / "src"
    src.mkdir()
    for item in ("pyproject.toml", "README.md", "mgdsl", "codegen", "architectures"):
        if (ROOT / item).is_dir():
            shutil.copytree(ROOT / item, src / item,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif (ROOT / item).exists():
            shutil.copy2(ROOT / item, src / item)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    build = subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "-w",
                                  str(tmp_path / "dist"), str(src)], capture_output=True)
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {build.stderr.decode()[-300:]}")
    wheel = next((tmp_path / "dist").glob("*.whl"))
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:  # installing a pure-Python wheel is unpacking it
        archive.extractall(site)
    probe = ("import mgdsl.api as a, mgdsl.zoo as z; e = z.lookup('R-PMG-20-spt'); "
             "print(e.path); print(a.zoo_count(e)[0])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env={"PYTHONPATH": str(site), "PATH": ""}, cwd=tmp_path, check=True)
    path, params = out.stdout.split()
    assert Path(path).is_relative_to(site) and Path(path).is_file()
    assert int(params) == 1198554


# ------------------------------------------------------------------------------------ CLI


def test_cli_prints_every_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zoo"]) == 0
    out = capsys.readouterr().out
    for title in TABLES.values():
        assert title in out
    for entry in ENTRIES:
        assert f"  {entry.name} " in out
    assert "9.52G" in out and "2.77G" in out  # R-PMG-30-SEG, with its footnote
    assert "[1] " in out and "cannot be reproduced" in out
    assert "spec" not in out  # notes cite the paper, never a document users do not have


def test_cli_selects_by_table_and_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zoo", "--table", "4"]) == 0
    out = capsys.readouterr().out
    assert "R-MG-34" in out and "MG-16" not in out
    assert main(["zoo", "--json", "mg-16", "PMG-11-seg"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["MG-16", "PMG-11-seg"]
    assert rows[0]["params"] == 32577732 and rows[0]["macs"] == 672270848
    assert rows[0]["paper_flops"] == "667.13M" and rows[0]["note"]


def test_cli_unknown_name_is_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zoo", "MG-61"]) == 1
    err = capsys.readouterr().err
    assert "E220" in err and "MG-16" in err


def test_stats_accepts_a_zoo_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "MG-16"]) == 0
    assert "32,577,732" in capsys.readouterr().out
