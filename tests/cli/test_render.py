"""`mgdsl render`: arguments, outputs, and the one-line error when Graphviz is missing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from paths import ROOT

from mgdsl.cli.main import main
from mgdsl.diagrams.diagram import dot_source


def test_dot_to_stdout(capsys) -> None:
    assert main(["render", str(ROOT / "architectures/mg.mg"), "--set", "n=1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("digraph MG {") and "layout=neato" in out


def test_write_dot_file_equals_api(tmp_path: Path) -> None:
    import mgdsl

    out = tmp_path / "sub" / "unet.dot"
    assert main(["render", "U-NET-11-seg", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == dot_source(mgdsl.load("U-NET-11-seg"))


def test_collapse_and_block(capsys) -> None:
    assert main(["render", "R-PMG-44", "--collapse"]) == 0
    assert "×3" in capsys.readouterr().out
    assert main(["render", "--block", "resmg"]) == 0
    out = capsys.readouterr().out
    assert "residual" in out and "mgconv0.concat0" in out


def test_usage_errors(capsys) -> None:
    assert main(["render"]) == 1  # nothing to draw: a catalogued error (E960) with a hint
    assert "error[E960]" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["render", "MG-6", "--block", "mgconv"])
    assert exc.value.code == 2


def test_user_errors_exit_1(tmp_path: Path, capsys) -> None:
    assert main(["render", "MG-6", "-o", str(tmp_path / "x.gif")]) == 1
    assert "E962" in capsys.readouterr().err
    assert main(["render", "--block", "nosuchblock"]) == 1
    assert "E963" in capsys.readouterr().err


def test_missing_graphviz_is_one_clear_line(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "PYTHONPATH": str(ROOT)}
    out = tmp_path / "mg.svg"
    proc = subprocess.run([sys.executable, "-m", "mgdsl", "render", "MG-6", "-o", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and not out.exists()
    assert lines[0].startswith("error[E961]:") and "apt-get install graphviz" in lines[0]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_png_file(tmp_path: Path) -> None:
    out = tmp_path / "pmg.png"
    assert main(["render", "PMG-11-seg", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")


def test_render_imports_no_torch() -> None:
    code = ("import sys, mgdsl, mgdsl.cli.render, mgdsl.diagrams.diagram; "
            "mgdsl.render(mgdsl.load('SG-11-seg')); assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
