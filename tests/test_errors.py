"""Diagnostics: the catalogue and `mgdsl explain`, spans that carry their source, file-level
errors with positions, only regular files read, warnings, and messages new users met."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import mgdsl
from mgdsl.api import check_files
from mgdsl.catalogue import CATALOGUE, ENTRIES, explain, listing, lookup
from mgdsl.cli.main import main
from mgdsl.errors import MgError, flatten_errors, format_diagnostic
from mgdsl.limits import LIMITS

NET = "network N() {\n    input image: 1 x 8 x 8\n    output y = relu(image)\n}\n"


def _errors(text: str, tmp_path: Path, name: str = "t.mg") -> list[MgError]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    _, errors = check_files([path])
    return errors


# ------------------------------------------------------------------------- catalogue


def test_catalogue_codes_are_unique_and_well_formed() -> None:
    codes = [e.code for e in ENTRIES]
    assert len(codes) == len(set(codes)) == len(CATALOGUE)
    for e in ENTRIES:
        assert e.code[0] in "EW" and len(e.code) == 4 and e.code[1:].isdigit()
        assert e.title and e.explanation.endswith(".") and e.wrong and e.fix


@pytest.mark.parametrize("entry", [e for e in ENTRIES
                                   if e.wrong.startswith(("network", "block", "use"))
                                   and "..." not in e.wrong],
                         ids=lambda e: e.code)
def test_catalogue_examples_do_what_they_say(entry, tmp_path: Path) -> None:
    (tmp_path / "wrong.mg").write_text(entry.wrong + "\n", encoding="utf-8")
    graphs, errors = check_files([tmp_path / "wrong.mg"])
    found = {e.code for e in errors} | {w.code for g in graphs for w in g.graph["warnings"]}
    assert entry.code in found, [format_diagnostic(e) for e in errors]
    if entry.fix.startswith(("network", "block", "use")):
        (tmp_path / "fix.mg").write_text(entry.fix + "\n", encoding="utf-8")
        graphs, errors = check_files([tmp_path / "fix.mg"])
        assert not errors, [format_diagnostic(e) for e in errors]
        assert not [w for g in graphs for w in g.graph["warnings"]]


def test_explain_prints_the_entry(capsys) -> None:
    assert main(["explain", "E302"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("E302: grid resolutions do not line up\n")
    assert "Wrong:" in out and "Fix:" in out and "pyramid(image, 4)" in out
    assert explain("e302") == out


def test_explain_alone_lists_every_code(capsys) -> None:
    assert main(["explain"]) == 0
    out = capsys.readouterr().out
    assert out == listing()
    assert len(out.splitlines()) == len(ENTRIES)
    assert "W101  `ceil` pooling makes a grid one pixel bigger" in out


def test_explain_unknown_code_suggests(capsys) -> None:
    assert main(["explain", "E3002"]) == 1
    err = capsys.readouterr().err
    assert "error[E221]: no diagnostic code `E3002`" in err and "`E302`" in err
    with pytest.raises(MgError) as info:
        lookup("Z9")
    assert info.value.code == "E221" and "mgdsl explain" in info.value.hint


# ------------------------------------------------------------ spans carry their source


def test_an_error_keeps_its_own_source_text() -> None:
    text1 = "network A() {\n    input image: 1 x 8 x 8\n    output y = relu(imgae)\n}\n"
    text2 = "network B() {\n    input x: 1 x 8 x 8\n    bogus = 1\n    output y = relu(nope)\n}\n"
    with pytest.raises(MgError) as first:
        mgdsl.build_graph(text1)
    with pytest.raises(MgError):
        mgdsl.build_graph(text2)
    shown = format_diagnostic(flatten_errors(first.value)[0])
    assert "3 |     output y = relu(imgae)" in shown
    assert shown.splitlines()[-2].index("^") == shown.splitlines()[-3].index("imgae")
    assert "nope" not in shown


def test_no_global_source_registry() -> None:
    import mgdsl.errors

    assert not hasattr(mgdsl.errors, "SOURCES")
    assert not hasattr(mgdsl.errors, "SourceRegistry")


# ------------------------------------------------------------------- file-level errors


def test_nul_byte_points_at_its_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "n.mg").write_bytes(b"network N() {\n    input image: 1 x 8 x 8\n"
                                     b"    output y = \x00relu(image)\n}\n")
    (err,) = _errors_of(tmp_path / "n.mg")
    assert err.code == "E604" and (err.span.line, err.span.col) == (3, 16)
    assert "^" in format_diagnostic(err)


def test_invalid_utf8_points_at_its_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "l.mg").write_bytes("network N() {\n    # façade\n".encode() .replace(
        "ç".encode(), b"\xe7") + b"}\n")
    (err,) = _errors_of(tmp_path / "l.mg")
    assert err.code == "E604" and (err.span.line, err.span.col) == (2, 9)
    assert "0xe7" in err.message


def test_oversize_file_points_at_1_1(tmp_path: Path) -> None:
    with LIMITS.override(max_file_chars=100):
        (tmp_path / "big.mg").write_text(" " * 1000 + NET)
        (err,) = _errors_of(tmp_path / "big.mg")
    assert err.code == "E502" and str(err.span) == f"{tmp_path / 'big.mg'}:1:1"


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "bom.mg").write_bytes(b"\xef\xbb\xbf" + NET.encode())
    graphs, errors = check_files([tmp_path / "bom.mg"])
    assert not errors and graphs[0].graph["name"] == "N"
    assert mgdsl.build_graph("\ufeff" + NET).graph["name"] == "N"


def _errors_of(path: Path) -> list[MgError]:
    _, errors = check_files([path])
    return errors


# -------------------------------------------------------- only regular files are read


def _check_quickly(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mgdsl", "check", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not hasattr(os, "mkfifo"),
                    reason="needs /dev/zero and FIFOs")
def test_devices_fifos_directories_and_symlinks_are_refused_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "f.mg")
    (tmp_path / "d.mg").mkdir()
    for target, name in [("/dev/zero", "z.mg"), (tmp_path / "f.mg", "lf.mg"),
                         (tmp_path / "d.mg", "ld.mg")]:
        (tmp_path / name).symlink_to(target)
    uses = "".join(f'use "{n}"\n' for n in ("z.mg", "lf.mg", "ld.mg"))
    (tmp_path / "main.mg").write_text(uses + NET)
    result = _check_quickly(tmp_path, "/dev/zero", "f.mg", "d.mg", "main.mg")
    assert result.returncode == 1, result.stderr
    err = result.stderr
    assert "error[E621]: `/dev/zero` is a character device, not a .mg file" in err
    assert "error[E621]: `f.mg` is a FIFO (named pipe), not a .mg file" in err
    assert "error[E621]: `d.mg` is a directory, not a .mg file" in err
    for n in ("z.mg", "lf.mg", "ld.mg"):
        assert f'main.mg:{("z.mg", "lf.mg", "ld.mg").index(n) + 1}:1: error[E621]' in err
    assert "Traceback" not in err


# -------------------------------------------------------------------------- warnings


def test_warnings_are_exposed_and_silenced_per_line() -> None:
    text = ("network N() {\n    input image: 1 x 9 x 9\n    a = maxpool(image)\n"
            "    b = maxpool(image)  # allow(W101)\n    output y = relu(a) + relu(b)\n}\n")
    ir = mgdsl.build_graph(text)
    assert [(w.code, w.span.line, w.kind) for w in ir.graph["warnings"]] == [("W101", 3,
                                                                              "warning")]
    assert format_diagnostic(ir.graph["warnings"][0]).startswith(
        "<string>:3:9: warning[W101]: ")


def test_check_prints_warnings_and_exits_0(tmp_path: Path, capsys) -> None:
    (tmp_path / "w.mg").write_text("network N() {\n    input image: 3 x 8 x 8\n"
                                   "    output y = bn(conv(image, 4))\n}\n")
    assert main(["check", str(tmp_path / "w.mg")]) == 0
    captured = capsys.readouterr()
    assert "warning[W102]" in captured.err and "1 warning)" in captured.out


def test_zoo_networks_have_no_warnings() -> None:
    from mgdsl.api import zoo_graph
    from mgdsl.zoo import ENTRIES as ZOO

    for name in ("MG-16", "PMG-11-seg", "R-MG-34"):
        entry = next(e for e in ZOO if e.name == name)
        assert zoo_graph(entry).graph["warnings"] == [], name


# ----------------------------------------------------------- messages new users met


def test_glued_shape_gets_a_precise_hint(tmp_path: Path) -> None:
    (err,) = _errors("network N() {\n    input image: 3x32x32\n    output y = image\n}\n",
                     tmp_path)
    assert err.code == "E102" and err.message == (
        "`3x32x32` is read as the number 3 followed by the name `x32x32`")
    assert err.hint == "write a space on each side of every `x`: `3 x 32 x 32`"


def test_missing_brace_lists_what_can_legally_come(tmp_path: Path) -> None:
    (err,) = _errors("network N() {\n    input image: 1 x 8 x 8\n    output y = relu(image)\n",
                     tmp_path)
    assert err.code == "E102" and err.message.startswith("unclosed `{`")
    expected = err.notes[0]
    for word in ("`x`", "`return`", "`}`", "`output`", "a name"):
        assert word in expected
    assert "`)`" not in expected and "`:`" not in expected


def test_missing_std_use_hints_once(tmp_path: Path) -> None:
    errors = _errors("network N() {\n    input image: 3 x 32 x 32\n"
                     "    p = stems(image, [4, 4], levels = 2)\n    p = mgconv(p, [4, 4])\n"
                     "    p = mgconv(p, [4, 4])\n    output y = pooling(p)\n}\n", tmp_path)
    assert [e.code for e in errors] == ["E201"] * 4
    hints = [e.hint for e in errors if e.hint]
    assert hints == ['`stems` is a block of the standard library: add `use "std.mg"` at the '
                     "top of the file"]


def test_missing_output_points_at_the_network_line(tmp_path: Path) -> None:
    (err,) = _errors("# a comment\n\nnetwork N() {\n    input image: 1 x 8 x 8\n}\n", tmp_path)
    assert err.code == "E212" and (err.span.line, err.span.col) == (3, 1)


def test_nested_bodies_are_not_called_expressions(tmp_path: Path) -> None:
    depth = LIMITS.max_nesting + 1
    body = "section s { " * depth + "}" * depth
    (err,) = _errors(f"network N() {{\n    input image: 1 x 8 x 8\n    {body}\n"
                     "    output y = image\n}\n", tmp_path)
    assert err.code == "E501" and "expression" not in err.message
    assert "`repeat` and `section` bodies nested more than" in err.message


def test_parentheses_count_towards_the_nesting_limit(tmp_path: Path) -> None:
    n = 99_000
    errors = _errors(f"network N() {{\n    input image: 1 x 8 x 8\n    output y = "
                     f"{'(' * n}image{')' * n}\n}}\n", tmp_path)
    assert [e.code for e in errors] == ["E501"]
    assert errors[0].message == f"brackets nested more than {LIMITS.max_nesting} levels deep"
    assert errors[0].span.line == 3
    ok = _errors("network N() {\n    input image: 1 x 8 x 8\n    output y = ((image))\n}\n",
                 tmp_path, "ok.mg")
    assert ok == []


def test_bad_default_is_reported_at_the_default_line(tmp_path: Path) -> None:
    errors = _errors('network N() {\n    input image: 3 x 8 x 8\n    default bn.gamma = "bogus"\n'
                     "    p = bn(image)\n    q = bn(image)\n    output y = relu(p) + relu(q)\n}\n",
                     tmp_path)
    assert [(e.code, e.span.line) for e in errors] == [("E401", 3)]
    assert "used by the call at" in errors[0].notes[-1]
