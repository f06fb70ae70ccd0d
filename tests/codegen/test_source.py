"""The source emitter and `mgdsl compile`: deterministic, torch-only, foldable, runnable."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from helpers import import_source
from paths import ROOT

import mgdsl
from mgdsl.cli.main import main
from mgdsl.codegen.fx import to_fx
from mgdsl.codegen.source import emit_source, literal

MG = ROOT / "architectures" / "mg.mg"


pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("one_torch_thread")]


def _load(text: str, path: Path):
    return import_source(text, path, "mg_src")


def test_output_is_byte_identical_across_runs_and_processes():
    ir = mgdsl.build_graph("architectures/mg.mg", n=1)
    text = emit_source(ir)
    assert text == emit_source(mgdsl.build_graph("architectures/mg.mg", n=1))
    code = ("import sys, mgdsl; sys.stdout.write(mgdsl.emit_source("
            "mgdsl.build_graph('architectures/mg.mg', n=1)))")
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed}, check=True)
        assert out.stdout == text


def test_source_depends_on_torch_alone_and_reads_like_the_text():
    text = emit_source(mgdsl.build_graph(MG, n=1))
    tree = ast.parse(text)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported == {"math", "torch"}
    assert "# (B, 64, 32, 32)" in text
    assert "mg.mg:13" in text
    network = [n for n in tree.body if isinstance(n, ast.ClassDef)][-1]  # after the support layers
    forward = next(n for n in network.body if isinstance(n, ast.FunctionDef) and n.name == "forward")
    ir = mgdsl.build_graph(MG, n=1)
    statements = [s for s in forward.body if not isinstance(s, ast.Delete)]  # frees
    assert len(statements) == sum(1 for n in ir.nodes if ir.nodes[n].op not in ("input", "output")) + 1


def test_fold_bn_source_matches_folded_fx(tmp_path):
    ir = mgdsl.build_graph(MG, n=1, w=8)
    gm = to_fx(ir, seed=0)
    with torch.no_grad():
        for m in gm.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-1, 1)
                m.running_var.uniform_(0.5, 2)
    folded = to_fx(ir, fold_bn=True, state_dict=gm.state_dict())
    mod = _load(emit_source(ir, fold_bn=True), tmp_path / "folded.py")
    src = mod.MG(seed=1)
    assert list(src.state_dict()) == list(folded.state_dict())
    src.load_state_dict(folded.state_dict())
    x = torch.randn(2, 3, 32, 32)
    ref = gm.eval()(x)
    torch.testing.assert_close(src.eval()(x), ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(folded.eval()(x), ref, rtol=1e-5, atol=1e-5)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in src.modules())


def test_emitted_init_matches_fx_init_and_torch_init_is_default(tmp_path):
    ir = mgdsl.build_graph(MG, n=1, w=8)
    mod = _load(emit_source(ir), tmp_path / "m.py")
    a, b = mod.MG(seed=7).state_dict(), to_fx(ir, seed=7).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    plain = mod.MG(init="torch")
    assert plain.s1.stems0.cbr0.conv0.g0.bias.abs().max() > 0


def test_literal_refuses_anything_but_plain_values():
    assert literal((16, 16)) == "(16, 16)"
    assert literal("uniform") == '"uniform"'
    assert literal(1e-05) == "1e-05"
    for bad in ('x"); import os; ("', "Uniform", {"a": 1}, ""):
        with pytest.raises(ValueError):
            literal(bad)


def test_cli_compile_stdout_file_and_options(tmp_path, capsys):
    assert main(["compile", str(MG), "--set", "n=1"]) == 0
    out = capsys.readouterr().out
    assert out == emit_source(mgdsl.build_graph(MG, n=1))
    target = tmp_path / "sub" / "model.py"
    assert main(["compile", str(MG), "--set", "n=1", "-o", str(target), "--class-name", "Net",
                 "--fold-bn"]) == 0
    text = target.read_text(encoding="utf-8")
    assert "class Net(nn.Module):" in text and "BatchNorm(" not in text.split("class Net")[1]
    assert capsys.readouterr().out == ""
    assert main(["compile", str(tmp_path / "missing.mg")]) == 1


def test_cli_compile_zoo_name():
    pytest.importorskip("mgdsl.zoo")
    proc = subprocess.run([sys.executable, "-m", "mgdsl", "compile", "PMG-11-seg"],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    assert "class PMG11(nn.Module):" in proc.stdout
