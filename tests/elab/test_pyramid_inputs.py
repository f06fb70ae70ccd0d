"""Pyramid inputs (`input feats: pyramid [...]`): grids on levels 0, 1, ..., one network
input per grid (finest first) in the IR, the fx module, emitted source and ONNX."""

from __future__ import annotations

import pytest
import torch
from helpers import import_source
from paths import ROOT

import mgdsl
from mgdsl.codegen.fx import to_fx
from mgdsl.codegen.source import emit_source
from mgdsl.syntax.fmt import format_source

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("one_torch_thread")]

NECK = """\
network Neck(c = 8) {
    input feats: pyramid [16 x 32 x 32, 24 x 16 x 16, 32 x 8 x 8, 40 x 4 x 4]
    lat = conv(feats, c, 1)
    top = lat[3]
    repeat 3 as i {
        top = lat[2 - i] + upsample(top, like = lat[2 - i])
    }
    output p2 = conv(top, c, 3)
    output p5 = lat[3]
}
"""


def reference_neck(gm, xs):
    """FPN's top-down path (Lin et al. 2017) written in torch, on the module's layers."""
    convs = [m for m in gm.modules() if isinstance(m, torch.nn.Conv2d)]
    lats = [conv(x) for conv, x in zip(convs[:4], xs, strict=True)]
    top = lats[3]
    for lat in reversed(lats[:3]):
        top = lat + torch.nn.functional.interpolate(top, size=lat.shape[-2:])
    return convs[4](top), lats[3]


def test_pyramid_grids_are_inputs_on_consecutive_levels():
    ir = mgdsl.build_graph(NECK)
    inputs = ir.graph["inputs"]
    assert list(inputs) == ["feats_0", "feats_1", "feats_2", "feats_3"]
    assert [ir.nodes[n].level for n in inputs.values()] == [0, 1, 2, 3]
    assert [ir.nodes[n].shape for n in inputs.values()] == [
        (16, 32, 32), (24, 16, 16), (32, 8, 8), (40, 4, 4)]
    assert mgdsl.stats(ir).params == sum(c * 8 + 8 for c in (16, 24, 32, 40)) + 8 * 8 * 9 + 8


def test_fx_and_source_take_one_tensor_per_grid_finest_first(tmp_path):
    ir = mgdsl.build_graph(NECK)
    gm = to_fx(ir, seed=0).double()
    text = emit_source(ir)
    assert "def forward(self, feats_0, feats_1, feats_2, feats_3):" in text
    src = import_source(text, tmp_path / "neck.py", "mg_neck").Neck(init="torch").double()
    src.load_state_dict(gm.state_dict())
    for scale in (1, 2):  # the declared size and twice it
        xs = [torch.randn(2, c, 32 * scale >> i, 32 * scale >> i, dtype=torch.float64)
              for i, c in enumerate((16, 24, 32, 40))]
        out = gm(*xs)
        assert set(out) == {"p2", "p5"}
        for key, want in zip(("p2", "p5"), reference_neck(gm, xs), strict=True):
            assert torch.allclose(out[key], want, atol=1e-12)
            assert torch.equal(out[key], src(*xs)[key])


def test_onnx_takes_the_grids_with_dynamic_sizes(tmp_path):
    pytest.importorskip("onnxruntime")
    from mgdsl.codegen.onnx_export import another_size, export_onnx, verify

    ir = mgdsl.build_graph(NECK)
    sizes = another_size(ir, NECK)
    assert sizes == {"feats_0": (16, 64, 96), "feats_1": (24, 32, 48),
                     "feats_2": (32, 16, 24), "feats_3": (40, 8, 12)}
    result = export_onnx(ir, tmp_path / "neck.onnx", dynamic=True, source=NECK)
    assert list(result.inputs) == ["feats_0", "feats_1", "feats_2", "feats_3"]
    assert result.inputs["feats_2"] == ["batch", 32, "feats_2_height", "feats_2_width"]
    assert verify(result.path, ir, result.module).within(1e-4)
    assert verify(result.path, ir, result.module, sizes=sizes, batch=1).within(1e-4)


@pytest.mark.parametrize("sizes", ["16 x 7 x 9, 16 x 4 x 5, 16 x 2 x 2",
                                   "16 x 7 x 9, 16 x 3 x 4, 16 x 1 x 2"])
def test_odd_sizes_halve_rounded_either_way(sizes):
    ir = mgdsl.build_graph(f"network N() {{\n    input f: pyramid [{sizes}]\n"
                           f"    output y = concat(f, f)[2]\n}}\n")
    assert [ir.nodes[n].level for n in ir.graph["inputs"].values()] == [0, 1, 2]


@pytest.mark.parametrize(("decl", "code", "col"), [
    ("pyramid [16 x 32 x 32, 32 x 8 x 8]", "E354", 41),
    ("pyramid [16 x 32 x 32, 32 x 16 x 15]", "E354", 41),
    ("pyramid [16 x 32 x 32, 0 x 16 x 16]", "E403", 41),
    ("pyramid [16 x 32 x 32, 32 x 16 x 16, 8 x 16 x 16]", "E354", 55),
])
def test_wrong_pyramid_sizes_are_located_errors(decl, code, col):
    with pytest.raises(mgdsl.MgError) as info:
        mgdsl.build_graph(f"network N() {{\n    input feats: {decl}\n    output y = feats[0]\n}}\n")
    assert info.value.code == code
    assert (info.value.span.line, info.value.span.col) == (2, col)


def test_another_size_of_one_grid_is_checked_against_the_others():
    odd = {"feats_0": (16, 31, 33), "feats_1": (24, 16, 17), "feats_2": (32, 8, 9),
           "feats_3": (40, 4, 5)}
    ok = mgdsl.build_graph(NECK, inputs=odd)
    assert ok.nodes[ok.graph["inputs"]["feats_3"]].shape == (40, 4, 5)
    with pytest.raises(mgdsl.MgError) as info:
        mgdsl.build_graph(NECK, inputs={"feats_1": (24, 12, 12)})
    assert info.value.code == "E354"
    with pytest.raises(mgdsl.MgError) as info:
        mgdsl.build_graph(NECK, inputs={"feats": (16, 32, 32)})
    assert info.value.code == "E324" and "feats_1" in (info.value.hint or "")


def test_formatting_keeps_the_pyramid_input():
    text = "network N(){input f:pyramid[8 x 8 x 8,8 x 4 x 4,]\noutput y=f[1]}"
    assert "    input f: pyramid [8 x 8 x 8, 8 x 4 x 4]\n" in format_source(text)
    assert format_source(format_source(text)) == format_source(text)


def test_the_guides_neck_runs_on_a_backbone_written_in_plain_pytorch(capsys):
    import re

    text = (ROOT / "docs" / "language.md").read_text()
    section = text.split("## Necks and heads: pyramid inputs", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    exec(compile(code, "docs/language.md", "exec"), {"__name__": "guide"})  # noqa: S102
    assert capsys.readouterr().out.splitlines() == ["torch.Size([1, 64, 56, 56])",
                                                    "torch.Size([1, 64, 80, 64])"]
