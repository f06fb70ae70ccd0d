"""Language semantics: one test per construct, and the errors each can raise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import build, codes

import mgdsl
from mgdsl.errors import MgError, MgErrors, flatten_errors
from mgdsl.limits import LIMITS


def out_shape(ir, name: str = "y"):
    return ir.nodes[ir.graph["outputs"][name]].shape


def test_parameters_defaults_overrides_and_arithmetic() -> None:
    ir = build("input x: 1 x 8 x 8\noutput y = conv(x, 2 * c + c // 3 - 1, k = k)",
               "network N(c = 6, k = 1)", c=9)
    assert out_shape(ir) == (20, 8, 8)
    assert ir.graph["params"] == {"c": 9, "k": 1}


def test_non_integer_division_is_an_error_not_truncation() -> None:
    assert codes("input x: 1 x 8 x 8\noutput y = conv(x, c / 4)", "network N(c = 6)") == ["E402"]
    assert codes("input x: 1 x 8 x 8\noutput y = conv(x, 1.5)") == ["E402"]


def test_unknown_override_has_did_you_mean() -> None:
    with pytest.raises(MgError) as info:
        build("input x: 1 x 8 x 8\noutput y = x", "network N(depth = 1)", dpeth=2)
    assert "depth" in info.value.hint


def test_repeat_with_index_and_zero_count() -> None:
    ir = build("input x: 1 x 8 x 8\np = x\nrepeat 3 as i { p = conv(p, i + 1) }\n"
               "repeat 0 { p = conv(p, 99) }\noutput y = p")
    assert out_shape(ir) == (3, 8, 8)
    assert [d.name for _, d in ir.nodes(data=True) if d.op == "conv"] == [
        "conv0.g0", "conv1.g0", "conv2.g0"]


def test_blocks_defaults_keywords_and_scoped_names() -> None:
    text = ('use "std.mg"\nblock twice(p, ch, k = 3) { return cbr(cbr(p, ch, k), ch, k) }\n'
            "network N() {\n input x: 1 x 8 x 8\n section s1 { p = twice(x, 4, k = 1) }\n"
            " output y = p\n}\n")
    ir = mgdsl.build_graph(text)
    names = [d.name for _, d in ir.nodes(data=True) if d.op == "conv"]
    assert names == ["s1.twice0.cbr0.conv0.g0", "s1.twice0.cbr1.conv0.g0"]
    assert {d.args["k"] for _, d in ir.nodes(data=True) if d.op == "conv"} == {1}
    assert all(d.section == "s1" for _, d in ir.nodes(data=True) if d.op == "conv")


def test_pyramid_slicing_and_slice_assignment() -> None:
    ir = build("input x: 1 x 16 x 16\np = stems(x, [8, 4, 2], levels = 3)\n"
               "p[2:] = cbr(p[2:], 5)\np[1:] = mgcbr(p[1:], [6, 7])\n"
               "output y = p[-1]\noutput z = p[:1]")
    assert out_shape(ir) == (7, 4, 4)
    assert out_shape(ir, "z") == (8, 16, 16)


def test_slice_assignment_must_keep_levels() -> None:
    assert codes("input x: 1 x 16 x 16\np = stems(x, [8, 4], levels = 2)\n"
                 "p[1:] = maxpool(p[1:])\noutput y = p[0]") == ["E304"]


def test_mgconv_channels_follow_the_paper() -> None:
    ir = build("input x: 3 x 32 x 32\np = stems(x, [64, 32, 16], levels = 3)\n"
               "p = mgconv(p, [64, 32, 16])\noutput y = p[0]")
    convs = [d for _, d in ir.nodes(data=True) if d.op == "conv" and "mgconv" in d.name]
    in_ch = [ir.nodes[d.inputs[0]].shape[0] for d in convs]
    assert in_ch == [64 + 32, 64 + 32 + 16, 32 + 16]


def test_edges_are_labelled_by_kind() -> None:
    ir = build("input x: 1 x 16 x 16\np = stems(x, [4, 4], levels = 2)\n"
               "q = resmg(p, [4, 4])\noutput y = q[0]")
    kinds = {d["kind"] for _, _, d in ir.edges(data=True)}
    assert kinds == {"same", "down", "up", "skip"}


def test_merge_pooling_concatenates_the_two_coarsest() -> None:
    ir = build("input x: 1 x 8 x 8\np = stems(x, [4, 3, 2], levels = 3)\n"
               "p = mgpool_merge(p)\noutput y = p[-1]\noutput z = p[0]")
    assert out_shape(ir) == (5, 2, 2) and out_shape(ir, "z") == (4, 4, 4)


def test_concat_aligns_levels_and_passes_unpartnered_grids() -> None:
    ir = build("input x: 1 x 16 x 16\na = stems(x, [4, 4, 4], levels = 3)\n"
               "b = relu(a[:2])\nc = concat(a, b)\noutput y = c[0]\noutput z = c[2]")
    assert out_shape(ir) == (8, 16, 16) and out_shape(ir, "z") == (4, 4, 4)


def test_default_statement_sets_op_arguments_dynamically() -> None:
    ir = build("default bn.eps = 1e-3\ninput x: 1 x 8 x 8\noutput y = cbr(x, 2)")
    assert [d.args["eps"] for _, d in ir.nodes(data=True) if d.op == "bn"] == [1e-3]
    assert codes("default bn.epsilon = 1\ninput x: 1 x 8 x 8\noutput y = x") == ["E202"]


def test_several_outputs_and_dead_nodes() -> None:
    ir = build("input x: 1 x 8 x 8\na = conv(x, 2)\nb = conv(a, 3)\nunused = conv(a, 5)\n"
               "output y = b\noutput z = gap(a)")
    assert list(ir.graph["outputs"]) == ["y", "z"]
    live = {d.name: d.meta.live for _, d in ir.nodes(data=True)}
    assert live["conv2.g0"] is False and live["conv1.g0"] is True


def test_deconv_and_unet_shapes() -> None:
    ir = build("input x: 1 x 16 x 16\na = maxpool(x, ceil = false)\n"
               "output y = deconv(a, 2)")
    assert out_shape(ir) == (2, 16, 16)


@pytest.mark.parametrize("body,code", [
    ("input x: 1 x 8 x 8\noutput y = linear(x, 3)", "E306"),
    ("input x: 1 x 8 x 8\noutput y = conv(x, 0)", "E403"),
    ("input x: 1 x 8 x 8\noutput y = conv(x, -2)", "E403"),
    ("input x: 1 x 8 x 8\noutput y = conv(x, 4, k = 9, pad = 0)", "E302"),
    ("input x: 1 x 8 x 8\noutput y = pyramid(x, levels = 5)", "E302"),
    ("input x: 1 x 8 x 8\noutput y = pad(conv(x, 4), 2)", "E301"),
    ("input x: 1 x 8 x 8\noutput y = conv(x, [1, 2])", "E307"),
    ("input x: 1 x 8 x 8\noutput y = relu(3)", "E404"),
    ("input x: 1 x 8 x 8\noutput y = stems(x, [2, 2], levels = 2)", "E307"),
    ("input x: 1 x 8 x 8\noutput y = conv(x, 2, 3, 1, 1, true, 1, 1, false, 9)", "E408"),
    ("input x: 1 x 8 x 8\noutput y = conv(x)", "E409"),
    ("input x: 1 x 8 x 8\noutput y = x\ninput x: 1 x 8 x 8", "E206"),
    ("input x: 1 x 0 x 8\noutput y = x", "E403"),
    ("input x: 1 x 99999999 x 8\noutput y = x", "E504"),
    ("input x: 1 x 8 x 8\nz = 1 / 0\noutput y = x", "E407"),
    ("input x: 1 x 8 x 8\noutput y = bn(x, eps = 2)", "E403"),
    ("input x: 1 x 8 x 8\noutput y = bn(x, gamma = \"random\")", "E401"),
])
def test_bad_programs_raise_the_right_code(body: str, code: str) -> None:
    assert code in codes(body)


def test_no_output_and_no_input() -> None:
    assert set(codes("x = 1")) == {"E212", "E213"}


def test_errors_are_all_reported_and_poison_does_not_cascade() -> None:
    found = codes("input x: 1 x 8 x 8\na = conv(x, nope)\nb = relu(a)\nc = conv(b, 2)\n"
                  "d = cbrr(x, 2)\noutput y = x")
    assert found == ["E200", "E201"]


def test_limits_are_checked_before_building() -> None:
    with LIMITS.override(max_nodes=50):
        assert "E503" in codes("input x: 1 x 8 x 8\np = x\nrepeat 100 { p = relu(p) }\noutput y = p")
    assert "E504" in codes("input x: 1 x 8 x 8\nrepeat 10000000 { p = x }\noutput y = x")
    with LIMITS.override(max_steps=1000):
        assert "E508" in codes("input x: 1 x 8 x 8\nrepeat 1000 { repeat 1000 { z = 1 } }\n"
                               "output y = x")
    assert "E509" in codes("input x: 1 x 8 x 8\nc = 2\nrepeat 100 { c = c * c }\noutput y = x")
    parens = "(" * 500 + "1" + ")" * 500  # parentheses count towards the nesting limit
    assert "E501" in codes(f"input x: 1 x 8 x 8\nc = {parens}\noutput y = x")
    assert len(build("input x: 1 x 8 x 8\nc = ((1))\noutput y = x")) == 2
    deep = "relu(" * 300 + "x" + ")" * 300
    assert "E501" in codes(f"input x: 1 x 8 x 8\nc = {deep}\noutput y = x")
    negs = "-" * 3000 + "1"
    assert "E501" in codes(f"input x: 1 x 8 x 8\nc = {negs}\noutput y = x")
    long_sum = "+".join(["1"] * 5000)
    assert "E501" in codes(f"input x: 1 x 8 x 8\nc = {long_sum}\noutput y = x")


def test_recursive_blocks_are_rejected() -> None:
    text = ("block a(p) { return b(p) }\nblock b(p) { return a(p) }\n"
            "network N() { input x: 1 x 4 x 4  output y = a(x) }")
    with pytest.raises(MgError) as info:
        mgdsl.build_graph(text)
    assert flatten_errors(info.value)[0].code == "E209"


def test_use_relative_files_cycles_and_bad_files(tmp_path: Path) -> None:
    (tmp_path / "lib.mg").write_text("block twice(p) { return relu(relu(p)) }\n")
    (tmp_path / "net.mg").write_text('use "lib.mg"\nnetwork N() { input x: 1 x 4 x 4  '
                                     "output y = twice(x) }\n")
    assert len(mgdsl.load(tmp_path / "net.mg")) == 4
    (tmp_path / "a.mg").write_text('use "b.mg"\n')
    (tmp_path / "b.mg").write_text('use "a.mg"\n')
    with pytest.raises(MgErrors) as info:
        mgdsl.load(tmp_path / "a.mg")
    assert info.value.errors[0].code == "E605"
    (tmp_path / "bin.mg").write_bytes(b"\x00\x01\x02")
    (tmp_path / "latin.mg").write_bytes("network N() { }  # caf\xe9".encode("latin-1"))
    (tmp_path / "dir.mg").mkdir()
    for name, code in [("bin.mg", "E604"), ("latin.mg", "E604"), ("dir.mg", "E621"),
                       ("missing.mg", "E601")]:
        with pytest.raises(MgError) as info:
            mgdsl.load(tmp_path / name)
        assert flatten_errors(info.value)[0].code == code
    (tmp_path / "uses_missing.mg").write_text('use "nowhere.mg"\nnetwork N() { }\n')
    with pytest.raises(MgError) as info:
        mgdsl.load(tmp_path / "uses_missing.mg")
    err = flatten_errors(info.value)[0]
    assert err.code == "E601" and err.span.line == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read unreadable files")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.mg"
    path.write_text("network N() { }")
    path.chmod(0)
    with pytest.raises(MgError) as info:
        mgdsl.load(path)
    assert flatten_errors(info.value)[0].code == "E603"


def test_names_are_never_evaluated(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = (f'network __import__(os = 1) {{ input system: 1 x 4 x 4  '
            f'section exec {{ eval = relu(system) }}  output open = eval }}\n'
            f'# __import__("os").system("touch {marker}")\n')
    ir = mgdsl.build_graph(text)
    assert ir.graph["name"] == "__import__" and not marker.exists()
