"""`mgdsl export`: ONNX files that pass onnx.checker and compute what the fx module does.

The default tier exports a few representative networks; `-m slow` exports every zoo
network and every example in `examples/`, at the declared size and, with `--dynamic`, at
another size at which the network checks.
"""

from __future__ import annotations

import re
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from paths import ROOT

import mgdsl
from mgdsl.cli.main import main
from mgdsl.zoo import ENTRIES

pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.torch

EXAMPLES = sorted((ROOT / "examples").glob("*.mg"))
TOLERANCE = 1e-4  # beyond twice PyTorch's own float32 error (see `Verification`)

TINY = """\
use "std.mg"
network Tiny(c = 8) {
    input image: 1 x 16 x 16
    p = stems(image, [c, c / 2], levels = 2)
    p = mgcbr(p, [c, c])
    output y = sigmoid(cb(p[0], 1))
    output z = linear(flatten(gap(p[1])), 3)
}
"""


AXIS = re.compile(r"(\w+?)(?:\*(\d+))?(?:/(\d+))?")


def _size(axis: int | str, names: dict[str, int]) -> int:
    """An axis of a declared ONNX shape at the input sizes `names` (`height/4` -> 56)."""
    if isinstance(axis, int):
        return axis
    m = AXIS.fullmatch(axis)
    assert m and m.group(1) in names, f"axis `{axis}` names no input axis"
    value = Fraction(names[m.group(1)]) * int(m.group(2) or 1) / int(m.group(3) or 1)
    assert value.denominator == 1, axis
    return int(value)


def _check_declared(result, ir, sizes=None) -> None:
    """The declared shapes: static channels; the named axes, evaluated at the input sizes
    (the declared ones, then `sizes`), give the IR's shapes and what onnxruntime computes."""
    import onnxruntime as ort

    from mgdsl.codegen.onnx_export import example_inputs

    for name, shape in {**result.inputs, **result.outputs}.items():
        assert shape[0] == "batch" and isinstance(shape[1], int), (name, shape)
        if not result.dynamic:
            assert all(isinstance(d, int) for d in shape[1:]), (name, shape)
    for at in [None, sizes] if result.dynamic else [None]:
        inputs = example_inputs(ir, sizes=at)
        names = {"batch": 1}
        for name, shape in result.inputs.items():
            for axis, value in zip(shape, inputs[name].shape, strict=True):
                if isinstance(axis, str):
                    names[axis] = value
        session = ort.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
        got = session.run(None, {k: v.numpy() for k, v in inputs.items()})
        for (name, shape), array in zip(result.outputs.items(), got, strict=True):
            # an output axis that follows no input axis exactly (a size rounded up by strided
            # convs: FPN's P5 at 240 rows is 8, not 240/32) is a symbol of its own
            free = {f"{name}_height", f"{name}_width"}
            want = [None if d in free else _size(d, names) for d in shape]
            assert [w if w is not None else a for w, a in zip(want, array.shape, strict=True)] \
                == list(array.shape), (name, shape)
            if at is None:
                assert shape[1:] == list(ir.nodes[ir.graph["outputs"][name]].shape) or \
                    result.dynamic


def _export_and_compare(target, tmp_path: Path, *, dynamic: bool) -> None:
    """Export at the declared size (every shape static) and, with `dynamic`, with
    dynamic sizes (named axes); read the declared shapes and run both in onnxruntime."""
    from mgdsl.codegen.onnx_export import another_size, export_onnx, verify

    ir = mgdsl.load(target)
    static = export_onnx(ir, tmp_path / "static.onnx", source=target)
    _check_declared(static, ir)
    assert verify(static.path, ir, static.module).within(TOLERANCE)
    sizes = another_size(ir, target) if dynamic else None
    if sizes is None:
        return
    result = export_onnx(ir, tmp_path / "net.onnx", dynamic=True, source=target,
                         module=static.module)
    _check_declared(result, ir, sizes)
    assert verify(result.path, ir, result.module).within(TOLERANCE)
    assert verify(result.path, ir, result.module, sizes=sizes, batch=1).within(TOLERANCE)


def test_a_two_output_network_exports_with_names_and_dynamic_axes(tmp_path: Path) -> None:
    import onnx

    from mgdsl.codegen.onnx_export import export_onnx, verify

    ir = mgdsl.build_graph(TINY)
    result = export_onnx(ir, tmp_path / "tiny.onnx", dynamic=True, source=TINY)
    model = onnx.load(result.path)
    onnx.checker.check_model(model, full_check=True)
    assert result.inputs == {"image": ["batch", 1, "height", "width"]}
    assert list(result.outputs) == ["y", "z"]
    assert result.outputs["y"] == ["batch", 1, "height", "width"]
    assert result.outputs["z"] == ["batch", 3]
    assert verify(result.path, ir, result.module).within(TOLERANCE)
    assert verify(result.path, ir, result.module, sizes={"image": (1, 32, 48)}).within(TOLERANCE)


LIKE = """\
network Like() {
    input image: 3 x 32 x 48
    a = conv(image, 8, 3)
    b = conv(maxpool(maxpool(a)), 8, 3)
    c = conv(maxpool(b), 5, 1, stride = 2)
    output up = conv(a + upsample(b, like = a, mode = "bilinear"), 4, 1)
    output quarter = upsample(c, like = b)
    output odd = c
    output v = linear(flatten(gap(b)), 3)
}
"""


def test_declared_shapes_after_a_resize_to_another_grid(tmp_path: Path) -> None:
    """`upsample(like = ...)` lost every size, channels included (`Resizeup_dim_1`);
    each axis is now a number, or named after the input axis it follows."""
    from mgdsl.codegen.onnx_export import export_onnx

    ir = mgdsl.build_graph(LIKE)
    static = export_onnx(ir, tmp_path / "s.onnx")
    assert static.outputs == {"up": ["batch", 4, 32, 48], "quarter": ["batch", 5, 8, 12],
                              "odd": ["batch", 5, 2, 3], "v": ["batch", 3]}
    _check_declared(static, ir)
    dynamic = export_onnx(ir, tmp_path / "d.onnx", dynamic=True, source=LIKE)
    assert dynamic.inputs == {"image": ["batch", 3, "height", "width"]}
    assert dynamic.outputs["up"] == ["batch", 4, "height", "width"]
    assert dynamic.outputs["quarter"] == ["batch", 5, "height/4", "width/4"]
    assert dynamic.outputs["odd"][:2] == ["batch", 5]  # rounds: named after itself
    assert dynamic.outputs["v"] == ["batch", 3]
    _check_declared(dynamic, ir, {"image": (3, 64, 112)})


@pytest.mark.parametrize("name", ["PMG-11-seg", "R-MG-sm-12"])
def test_representative_networks_match_onnxruntime(name: str, tmp_path: Path) -> None:
    _export_and_compare(name, tmp_path, dynamic=True)


def test_verification_sees_a_wrong_file_and_pytorchs_own_rounding(tmp_path: Path) -> None:
    """A file whose weights differ from the module's fails the check; R-PMG-20 at its
    initialisation shows why the check allows for PyTorch's own float32 error."""
    import torch

    from mgdsl.codegen.onnx_export import export_onnx, verify

    ir = mgdsl.build_graph(TINY)
    result = export_onnx(ir, tmp_path / "tiny.onnx")
    assert verify(result.path, ir, result.module).within(TOLERANCE)
    with torch.no_grad():
        next(result.module.parameters()).add_(0.05)
    assert not verify(result.path, ir, result.module).within(TOLERANCE)

    deep = mgdsl.load("R-PMG-20-seg")
    exported = export_onnx(deep, tmp_path / "deep.onnx")
    check = verify(exported.path, deep, exported.module)
    assert check.torch32 > TOLERANCE and check.within(TOLERANCE), check


def test_dynamic_export_is_refused_where_no_other_size_checks(tmp_path: Path) -> None:
    from mgdsl.codegen.onnx_export import MgExportError, export_onnx

    flat = "network F() { input x: 1 x 4 x 4  output y = linear(flatten(x), 2) }"
    ir = mgdsl.build_graph(flat)
    with pytest.raises(MgExportError) as info:
        export_onnx(ir, tmp_path / "f.onnx", dynamic=True, source=flat)
    assert info.value.code == "E941" and not (tmp_path / "f.onnx").exists()
    assert export_onnx(ir, tmp_path / "f.onnx").inputs == {"x": ["batch", 1, 4, 4]}


@pytest.mark.slow
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_every_zoo_network_matches_onnxruntime(entry, tmp_path: Path) -> None:
    _export_and_compare(entry.name, tmp_path, dynamic=True)


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_matches_onnxruntime(path: Path, tmp_path: Path) -> None:
    _export_and_compare(path, tmp_path, dynamic=True)


def test_cli_writes_a_checked_file_and_reports_it(tmp_path: Path, capsys) -> None:
    net = tmp_path / "tiny.mg"
    net.write_text(TINY)
    out = tmp_path / "tiny.onnx"
    assert main(["export", str(net), "-o", str(out), "--dynamic", "--verify"]) == 0
    err = capsys.readouterr().err
    assert out.is_file() and "passes onnx.checker" in err
    assert "input  image: batch x 1 x height x width" in err
    assert "onnxruntime matches PyTorch" in err


def test_missing_exporter_package_is_a_clear_error(tmp_path: Path, capsys, monkeypatch) -> None:
    net = tmp_path / "tiny.mg"
    net.write_text(TINY)
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx -> ImportError
    assert main(["export", str(net), "-o", str(tmp_path / "x.onnx")]) == 1
    err = capsys.readouterr().err
    assert "E940" in err and "pip install 'mgdsl[export]'" in err
    assert not (tmp_path / "x.onnx").exists()
