"""The command line: exit codes, streams, and every verb of the front end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from paths import ROOT

from mgdsl.cli.main import main

MG = str(ROOT / "architectures" / "mg.mg")


def test_check_ok_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["check", MG]) == 0
    assert "ok" in capsys.readouterr().out
    bad = tmp_path / "bad.mg"
    bad.write_text("network N() {\n  input x: 1 x 4 x 4\n  y = relu(z)\n  output o = q\n}\n")
    other = tmp_path / "other.mg"
    other.write_text("network M() { p = }\n")
    assert main(["check", str(bad), str(other), MG]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:3:12: error[E200]: unknown name `z`" in err
    assert f"{bad}:4:14: error[E200]" in err and f"{other}:1:19: error[E102]" in err
    assert "\x1b[" not in err  # no colour when not a terminal
    assert "3 errors in 3 files" in err


def test_stats_text_and_json(capsys: pytest.CaptureFixture) -> None:
    assert main(["stats", MG, "--set", "n=1"]) == 0
    out = capsys.readouterr().out
    assert "8,344,164" in out and "116,754,944" in out and "multiply-accumulates" in out
    assert main(["stats", MG, "--set", "n=1", "--set", "w=40", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["total_params"], data["total_macs"]) == (3283020, 46101440)
    assert data["outputs"][0]["routing_depth"] is not None
    assert {r["section"] for r in data["by_section"]} >= {"s1", "s2", "s3", "s4", "s5"}


def test_bad_set_and_unknown_parameter(capsys: pytest.CaptureFixture) -> None:
    assert main(["stats", MG, "--set", "n"]) == 1
    assert "NAME=VALUE" in capsys.readouterr().err
    assert main(["stats", MG, "--set", "nn=2"]) == 1
    assert "did you mean `n`" in capsys.readouterr().err


def test_dump_is_stable(capsys: pytest.CaptureFixture) -> None:
    main(["dump", MG, "--set", "n=1"])
    first = capsys.readouterr().out
    main(["dump", MG, "--set", "n=1"])
    assert capsys.readouterr().out == first
    assert first.splitlines()[1].startswith("%0 = input()")


def test_fmt_check_and_rewrite(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "n.mg"
    path.write_text("network N(){input x:1 x 4 x 4 # in\noutput y=relu(x)}\n")
    assert main(["fmt", "--check", str(path)]) == 1
    assert main(["fmt", str(path)]) == 0
    assert path.read_text() == ("network N() {\n    input x: 1 x 4 x 4  # in\n"
                                "    output y = relu(x)\n}\n")
    assert main(["fmt", "--check", str(path)]) == 0
    broken = tmp_path / "broken.mg"
    broken.write_text("network N( {")
    assert main(["fmt", str(broken)]) == 1
    assert broken.read_text() == "network N( {"  # never half-written


def test_usage_errors_exit_2() -> None:
    result = subprocess.run([sys.executable, "-m", "mgdsl", "stats"], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 2
    result = subprocess.run([sys.executable, "-m", "mgdsl"], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 2


def test_internal_errors_exit_3(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import mgdsl.api

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(mgdsl.api, "load", boom)
    assert main(["stats", MG]) == 3
    assert "internal error" in capsys.readouterr().err
