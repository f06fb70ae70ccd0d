"""Inputs that used to slip through or drown the reader: a library of blocks with undefined
names, files with classic Mac (CR-only) line endings, and huge values quoted in messages."""

from __future__ import annotations

from pathlib import Path

import pytest

import mgdsl
from mgdsl.cli.main import main
from mgdsl.errors import MAX_LINE, MgError, flatten_errors, format_diagnostic

NET = "network N() {\n    input x: 1 x 8 x 8\n    output y = relu(x)\n}\n"


@pytest.fixture
def here(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _check(capsys, *files: str) -> tuple[int, str]:
    code = main(["check", *files])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


# --------------------------------------------------------------- a library of blocks


def test_check_finds_undefined_names_in_a_library(here: Path, capsys) -> None:
    Path("lib.mg").write_text(
        "block head(p, k = 3, width = k * 2) {\n"
        "    if k > 2 { q = p } else { q = relu(p) }\n"
        "    repeat 2 as i { q = conv(q, width, k) }\n"
        "    return q + i\n"
        "}\n"
        "block tail(p) {\n"
        "    return cbr(missing(p), 3) + r + head\n"
        "}\n", encoding="utf-8")
    code, err = _check(capsys, "lib.mg")
    assert code == 1
    assert "lib.mg:7:12: error[E201]: unknown function `cbr`" in err
    assert 'add `use "std.mg"`' in err
    assert "lib.mg:7:16: error[E201]: unknown function `missing`" in err
    assert "lib.mg:7:33: error[E200]: unknown name `r`" in err
    assert "lib.mg:7:37: error[E200]: unknown name `head`" in err
    assert "`head` is a function: call it as `head(...)`" in err
    assert "4 errors in 1 file" in err


def test_check_finds_them_in_used_files_too(here: Path, capsys) -> None:
    Path("inner.mg").write_text("block inner(p) {\n    return relu(p) + oops\n}\n",
                                encoding="utf-8")
    Path("outer.mg").write_text('use "inner.mg"\nuse "std.mg"\n'
                                "block outer(p) {\n    return inner(cbr(p, 4))\n}\n",
                                encoding="utf-8")
    code, err = _check(capsys, "outer.mg")
    assert code == 1 and "inner.mg:2:22: error[E200]: unknown name `oops`" in err
    assert err.count("error[") == 1  # the standard library is not judged, outer is clean


def test_a_clean_library_still_passes(here: Path, capsys) -> None:
    Path("lib.mg").write_text('use "std.mg"\nblock b(p, c) {\n    section s { q = cbr(p, c) }\n'
                              "    q[0:1] = relu(q[0:1])\n    return q\n}\n", encoding="utf-8")
    assert _check(capsys, "lib.mg") == (0, "")


# ----------------------------------------------------------------- CR-only line ends


def test_cr_only_files_read_like_lf_files(here: Path, capsys) -> None:
    Path("lf.mg").write_text("# a comment\n" + NET.replace("relu", "rellu"), encoding="utf-8")
    Path("cr.mg").write_bytes(Path("lf.mg").read_bytes().replace(b"\n", b"\r"))
    code_lf, err_lf = _check(capsys, "lf.mg")
    code_cr, err_cr = _check(capsys, "cr.mg")
    assert code_lf == code_cr == 1
    assert err_cr == err_lf.replace("lf.mg", "cr.mg")
    assert "cr.mg:4:16: error[E201]: unknown function `rellu`" in err_cr
    good = Path("good.mg")
    good.write_bytes(NET.replace("\n", "\r").encode())
    assert mgdsl.stats(mgdsl.load(good)).params == 0


def test_fmt_writes_a_cr_only_file_with_line_feeds(here: Path, capsys) -> None:
    Path("cr.mg").write_bytes(b"network N(){\r  input x: 1 x 8 x 8\r output y = relu(x)}\r")
    assert main(["fmt", "cr.mg"]) == 0
    assert Path("cr.mg").read_text(encoding="utf-8") == NET


# ---------------------------------------------------------------------- huge values


@pytest.mark.parametrize("body", [
    'output y = conv(x, "{big}")',               # a value in the message
    'output y = upsample(x, mode = "{big}")',
    'output y = upsample(x, mode = "{big}") + {name}(x)',  # and another error
    "output y = {name}(x)",                      # a name in the message
    "output y = relu(x) + {name}",
])
def test_messages_quote_a_few_hundred_characters(here: Path, capsys, body: str) -> None:
    big, name = "a" * 150_000, "b" * 150_000
    Path("big.mg").write_text("network N() {\n    input x: 1 x 8 x 8\n    "
                              + body.format(big=big, name=name) + "\n}\n", encoding="utf-8")
    code, err = _check(capsys, "big.mg")
    assert code == 1 and len(err) < 1500, len(err)
    assert max(len(line) for line in err.splitlines()) <= 450


def test_the_quoted_line_is_a_window_around_the_span() -> None:
    text = ("network N() {\n    input x: 1 x 8 x 8\n    z = [" + "1, " * 400
            + "nope]\n    output y = relu(x)\n}\n")
    with pytest.raises(MgError) as info:
        mgdsl.build_graph(text)
    (error,) = flatten_errors(info.value)
    shown = format_diagnostic(error).splitlines()
    line, caret = shown[2], shown[3]
    assert line.startswith("3 | …") and line.endswith("nope]")
    assert len(line) <= MAX_LINE + 8
    assert caret.index("^") == line.index("nope") and caret.endswith("^^^^")
