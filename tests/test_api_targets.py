"""The API and CLI verbs take a zoo name or a path as `load` does, and `--input`; the
parameters a person reads are printed in `.mg` syntax."""

from __future__ import annotations

import pytest
from paths import ROOT

import mgdsl
from mgdsl.cli.main import main


def test_stats_render_dump_take_a_name_or_a_path() -> None:
    ir = mgdsl.load("PMG-11-seg")
    assert mgdsl.stats("PMG-11-seg").params == mgdsl.stats(ir).params
    assert mgdsl.render("PMG-11-seg") == mgdsl.render(ir)
    assert mgdsl.dump("PMG-11-seg") == mgdsl.dump(ir)
    path = ROOT / "architectures" / "unet.mg"
    assert mgdsl.stats(path).params == mgdsl.stats(mgdsl.load(path)).params
    assert mgdsl.dump(str(path)).startswith("network ")
    small = mgdsl.stats("PMG-11-seg", inputs={"image": (1, 32, 32)})
    assert small.params == mgdsl.stats(ir).params and small.macs < mgdsl.stats(ir).macs


def test_a_built_ir_takes_no_load_options() -> None:
    with pytest.raises(TypeError):
        mgdsl.stats(mgdsl.load("MG-16"), "MG")


@pytest.mark.torch
def test_to_fx_takes_a_name() -> None:
    gm = mgdsl.to_fx("PMG-11-seg")
    assert sum(p.numel() for p in gm.parameters()) == mgdsl.stats("PMG-11-seg").params


def test_stats_and_render_take_input(capsys) -> None:
    assert main(["stats", "PMG-11-seg", "--input", "image=1x32x32"]) == 0
    out = capsys.readouterr().out
    assert "output" in out and "x32x32" in out
    assert main(["render", "PMG-11-seg", "--input", "image=1x32x32"]) == 0
    assert capsys.readouterr().out.startswith("digraph")
    assert main(["stats", "PMG-11-seg", "--input", "image"]) != 0
    assert "E325" in capsys.readouterr().err


def test_parameters_are_printed_in_mg_syntax(capsys, tmp_path) -> None:
    src = tmp_path / "p.mg"
    src.write_text("network P(units = [3, 4], se = true, eps = 1e-5) {\n"
                   "    input x: 1 x 8 x 8\n    output y = relu(x)\n}\n")
    assert main(["stats", str(src)]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    assert "P(units=[3, 4], se=true, eps=1e-5)" in head, head
    title = mgdsl.render(src).scene.graph["label"]
    assert title == "P (units=[3, 4], se=true, eps=1e-5)", title
