"""Any input size: every network of `architectures/` and `examples/`, compiled once at its
declared size, runs at two other sizes at which it checks, with fx and the emitted
source agreeing and every output shaped as the IR built at that size says; a network
tied to its declared size (a classifier that flattens a grid) refuses other sizes with
E326 naming the grid."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import import_source
from paths import ROOT

import mgdsl
from mgdsl.cli.main import main
from mgdsl.codegen.fx import to_fx
from mgdsl.codegen.source import emit_source
from mgdsl.elab.program import load_program
from mgdsl.errors import MgErrors

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("one_torch_thread")]

FILES = sorted([*ROOT.glob("architectures/*.mg"), *ROOT.glob("examples/*.mg")])
# small channel counts keep the forward passes cheap; the structure is unchanged
SMALL = {"w": 8, "n": 1, "c": 8, "width": 8, "base": 8}
# where the generic small widths do not fit the network (Swin-T's heads 3, 6, 12, 24)
SMALL_FOR = {"swin_t": {"c": 24}}
# over half a minute each on a busy 2-core machine (deep or many-branched at 224-256)
HEAVY = {"hrnet", "deeplabv3"}


def _cases():
    for path in FILES:
        for net in load_program(path).networks:
            marks = [pytest.mark.slow] if path.stem in HEAVY else []
            yield pytest.param(path, net.name, id=f"{path.parent.name}/{path.stem}:{net.name}",
                               marks=marks)


def _small_params(path: Path, network: str) -> dict:
    names = {p.name: p for p in next(n for n in load_program(path).networks
                                     if n.name == network).params}
    small = {**SMALL, **SMALL_FOR.get(path.stem, {})}
    params = {k: v for k, v in small.items() if k in names}
    if "units" in names:
        ir = mgdsl.build_graph(path, network, **params)
        units = ir.graph["params"]["units"]
        params["units"] = tuple(1 for _ in units) if isinstance(units, tuple) else 1
    return params


def _candidates(c: int, h: int, w: int) -> list[tuple[int, int, int]]:
    return [(c, h + 32, w), (c, h, w + 64), (c, h + 64, w + 32), (c, 2 * h, w + 16),
            (c, h + 16, w + 48), (c, h + 8, w + 8)]


def _other_sizes(path: Path, network: str, params: dict, declared: dict,
                 levels: dict | None = None):
    """Up to two other input sizes at which the network checks, and the errors of those it
    refused. The first input takes each candidate size; the grids of a pyramid input
    (`levels`: input -> pyramid level) follow it, halved once per level."""
    levels = levels or {}
    name, shape = next(iter(declared.items()))
    found, refused = [], []
    for size in _candidates(*shape):
        inputs = {k: size if k == name else v for k, v in declared.items()}
        for k, level in levels.items():
            if level and k != name and len(declared[k]) == 3:
                inputs[k] = (declared[k][0], -(-size[1] // 2 ** level), -(-size[2] // 2 ** level))
        try:
            found.append((inputs, mgdsl.build_graph(path, network, inputs=inputs, **params)))
        except mgdsl.MgError as exc:
            refused.append(exc)
            if exc.code == "E326":  # tied to its declared size: every other size is too
                break
        if len(found) == 2:
            break
    return found, refused


def _outputs(result) -> dict:
    return result if isinstance(result, dict) else {"": result}


@pytest.mark.parametrize(("path", "network"), list(_cases()))
def test_compiled_modules_run_at_every_size_that_checks(path, network, tmp_path):
    params = _small_params(path, network)
    ir = mgdsl.build_graph(path, network, **params)
    declared = {k: ir.nodes[n].shape for k, n in ir.graph["inputs"].items()}
    levels = {k: ir.nodes[n].level for k, n in ir.graph["inputs"].items()}
    others, refused = _other_sizes(path, network, params, declared, levels)
    if len(others) < 2:
        assert any(e.code == "E326" for e in refused), [e.code for e in refused]
    gm = to_fx(ir, seed=0).eval()
    cls = getattr(import_source(emit_source(ir), tmp_path / "net.py", "mg_sizes"),
                  ir.graph["name"])
    src = cls(init="none").eval()
    src.load_state_dict(gm.state_dict())
    torch.manual_seed(0)
    for inputs, at in [(declared, ir), *others]:
        xs = {k: torch.randn(1, *v) for k, v in inputs.items()}
        with torch.no_grad():
            a, b = _outputs(gm(**xs)), _outputs(src(**xs))
        names = list(at.graph["outputs"])
        assert list(a) == (names if len(names) > 1 else [""])
        for key, name in zip(a, names, strict=True):
            want = at.nodes[at.graph["outputs"][name]].shape
            assert tuple(a[key].shape[1:]) == want, (inputs, name)
            torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-5)


def test_check_input_option(capsys):
    assert main(["check", "architectures/unet.mg", "--set", "w=8",
                 "--input", "image=1x96x128"]) == 0
    assert "at image = 1x96x128" in capsys.readouterr().out
    assert main(["check", "architectures/mg.mg", "--set", "n=1",
                 "--input", "image=3x96x128"]) == 1
    err = capsys.readouterr().err
    assert "E326" in err and "classifier0.flatten0" in err
    assert main(["check", "architectures/unet.mg", "--input", "img=1x96x128"]) == 1
    assert "E324" in capsys.readouterr().err
    assert main(["check", "architectures/unet.mg", "--input", "image=96x128"]) == 1
    assert "E325" in capsys.readouterr().err


def test_load_inputs_and_stats_count_at_the_declared_size():
    declared = mgdsl.load("architectures/unet.mg", w=8)
    other = mgdsl.load("architectures/unet.mg", w=8, inputs={"image": (1, 96, 128)})
    assert mgdsl.stats(other).params == mgdsl.stats(declared).params
    assert mgdsl.stats(other).macs == mgdsl.stats(declared).macs * 96 * 128 // (64 * 64)
    with pytest.raises(mgdsl.MgError) as info:
        mgdsl.load("architectures/unet.mg", w=8, inputs={"image": (1, 100, 128)})
    assert info.value.code.startswith("E3")
    first = info.value.errors[0] if isinstance(info.value, MgErrors) else info.value
    assert any("1x100x128" in note for note in first.notes)
