"""Both backends on every network we ship: each file in architectures/, each zoo entry and
each standard-library block (wrapped in a tiny network).

Against the IR: parameter counts, FlopCounterMode FLOPs (= 2 x MACs) and every
intermediate shape, on the meta device so that ImageNet-sized networks stay cheap. Against
each other: the emitted source, loaded with the fx module's weights, gives the same outputs
(train and eval) and the same gradients, and passes `ruff check`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from helpers import import_source
from paths import ROOT
from torch.fx.passes.shape_prop import ShapeProp
from torch.utils.flop_counter import FlopCounterMode

import mgdsl
from mgdsl.codegen.fx import to_fx
from mgdsl.codegen.source import emit_source

ARCHITECTURES = sorted((ROOT / "architectures").glob("*.mg"))
STD = ROOT / "mgdsl" / "stdlib" / "std.mg"

# how a tiny network calls a std block: an argument per parameter name (k keeps its default)
BLOCK_ARGS = {"p": "p", "image": "image", "skip": "p", "ch": "[8, 6, 4]", "levels": "3",
              "n": "1", "classes": "5"}
BLOCK_CALLS = {"mgup": "mgup(mgpool(p), p, [8, 6, 4])", "se": "se(conv(p, 8, 1), r = 2)",
               "mix_ffn": "mix_ffn(p[0])", "convnext": "convnext(conv(p[0], 8, 1))",
               "pyramid_pooling": "pyramid_pooling(p[0], 4)",
               "swin": "swin(conv(p[0], 8, 1), 2, window = 4)",
               "cbam": "cbam(conv(p[0], 8, 1), r = 2)"}


pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("one_torch_thread")]


def std_blocks() -> list[str]:
    """Names of the blocks of the standard library."""
    return [item.name for item in mgdsl.parse(STD).items if type(item).__name__ == "BlockDef"]


def block_network(name: str) -> str:
    """A tiny network applying the std block `name` to a three-grid pyramid."""
    if name in BLOCK_CALLS:
        call = BLOCK_CALLS[name]
    else:
        block = next(i for i in mgdsl.parse(STD).items if getattr(i, "name", None) == name)
        required = [p.name for p in block.params if p.default is None]
        unknown = [p for p in required if p not in BLOCK_ARGS]
        if unknown:
            pytest.fail(f"add a test value for parameter(s) {unknown} of std block `{name}`")
        call = f"{name}({', '.join(BLOCK_ARGS[p] for p in required)})"
    return f"""use "std.mg"
network T() {{
    input image: 3 x 32 x 32
    p = pyramid(image, 3)
    q = {call}
    output y = q[0]
}}"""


def small_overrides(path: Path) -> dict:
    """Parameter overrides that shrink a zoo file's network for a fast numeric test."""
    params = mgdsl.build_graph(path).graph["params"]
    out = {}
    for key, value in params.items():
        if key == "w":
            out[key] = 8
        elif key == "classes":
            out[key] = 3
        elif key in ("n", "units", "layers"):
            out[key] = tuple(1 for _ in value) if isinstance(value, tuple) else 1
    return out


def zoo_names() -> list[str]:
    """Every zoo entry, if the zoo registry exists."""
    try:
        from mgdsl.zoo import ENTRIES
    except ImportError:
        return []
    return [e.name for e in ENTRIES]


def _inputs(ir, batch: int, device: str = "cpu", seed: int = 0) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn((batch, *ir.nodes[n].shape), generator=gen).to(device)
            for n in ir.graph["inputs"].values()]


def check_against_ir(ir) -> None:
    """Params, FLOPs and every intermediate shape of the fx module equal the IR's."""
    gm = to_fx(ir, init="none").to("meta").eval()
    metas = [ir.nodes[n].meta for n in ir.nodes]
    assert sum(p.numel() for p in gm.parameters()) == sum(m.params for m in metas)
    counter = FlopCounterMode(display=False)
    with counter:
        ShapeProp(gm).propagate(*_inputs(ir, 1, "meta"))
    assert counter.get_total_flops() == 2 * sum(m.macs for m in metas)
    seen = 0
    for node in gm.graph.nodes:
        if "mg_node" in node.meta:
            assert tuple(node.meta["tensor_meta"].shape) == (1, *ir.nodes[node.meta["mg_node"]].shape), \
                ir.nodes[node.meta["mg_node"]].name
            seen += 1
    assert seen == sum(1 for n in ir.nodes if ir.nodes[n].op != "output")


def load_source(text: str, path: Path):
    return import_source(text, path, "mg_emitted")


def _flat(out) -> list[torch.Tensor]:
    return list(out.values()) if isinstance(out, dict) else [out]


def check_fx_vs_source(ir, tmp_path: Path) -> None:
    """The emitted class with the fx weights: same outputs (train, eval), same grads."""
    torch.manual_seed(0)
    gm = to_fx(ir, seed=0)
    text = emit_source(ir)
    mod = load_source(text, tmp_path / "model.py")
    cls = getattr(mod, gm.__class__.__name__)
    src = cls(seed=0)
    assert list(src.state_dict()) == list(gm.state_dict())
    for (k, a), b in zip(src.state_dict().items(), gm.state_dict().values(), strict=True):
        assert torch.equal(a, b), f"init differs at {k}"
    src.load_state_dict(gm.state_dict())
    xs = _inputs(ir, 2)
    for mode in ("train", "eval"):
        gm.train(mode == "train")
        src.train(mode == "train")
        xa = [x.clone().requires_grad_() for x in xs]
        xb = [x.clone().requires_grad_() for x in xs]
        outs_a, outs_b = _flat(gm(*xa)), _flat(src(*xb))
        for a, b in zip(outs_a, outs_b, strict=True):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
        gen = torch.Generator().manual_seed(1)
        weights = [torch.randn(a.shape, generator=gen) for a in outs_a]
        sum((a * w).sum() for a, w in zip(outs_a, weights, strict=True)).backward()
        sum((b * w).sum() for b, w in zip(outs_b, weights, strict=True)).backward()
        for (name, pa), pb in zip(gm.named_parameters(), src.parameters(), strict=True):
            assert (pa.grad is None) == (pb.grad is None), name
            if pa.grad is not None:
                torch.testing.assert_close(pa.grad, pb.grad, atol=1e-5, rtol=1e-5)
        for a, b in zip(xa, xb, strict=True):
            torch.testing.assert_close(a.grad, b.grad, atol=1e-5, rtol=1e-5)
        gm.zero_grad()
        src.zero_grad()
    for (k, a), b in zip(gm.state_dict().items(), src.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5, msg=k)  # running stats too


@pytest.mark.parametrize("path", ARCHITECTURES, ids=[p.stem for p in ARCHITECTURES])
def test_architecture_counts_and_shapes(path):
    check_against_ir(mgdsl.build_graph(path))


@pytest.mark.parametrize("name", zoo_names())
def test_zoo_counts_and_shapes(name):
    check_against_ir(mgdsl.load(name))


@pytest.mark.parametrize("block", std_blocks())
def test_std_block_counts_and_shapes(block):
    check_against_ir(mgdsl.build_graph(block_network(block)))


def _numeric_cases() -> list:
    """Every architecture file; those with ImageNet-sized inputs are marked slow."""
    cases = []
    for path in ARCHITECTURES:
        ir = mgdsl.build_graph(path)
        big = max(ir.nodes[n].shape[-1] for n in ir.graph["inputs"].values()) > 64
        cases.append(pytest.param(path, id=path.stem, marks=[pytest.mark.slow] if big else []))
    return cases


@pytest.mark.parametrize("path", _numeric_cases())
def test_architecture_fx_equals_source(path, tmp_path):
    check_fx_vs_source(mgdsl.build_graph(path, **small_overrides(path)), tmp_path)


@pytest.mark.parametrize("block", std_blocks())
def test_std_block_fx_equals_source(block, tmp_path):
    check_fx_vs_source(mgdsl.build_graph(block_network(block)), tmp_path)


def test_emitted_sources_pass_ruff(tmp_path):
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    for path in ARCHITECTURES:
        text = emit_source(mgdsl.build_graph(path, **small_overrides(path)))
        (tmp_path / f"{path.stem.replace('-', '_')}.py").write_text(text, encoding="utf-8")
        text = emit_source(mgdsl.build_graph(path, **small_overrides(path)), fold_bn=True)
        (tmp_path / f"{path.stem.replace('-', '_')}_folded.py").write_text(text, encoding="utf-8")
    for block in std_blocks():
        (tmp_path / f"block_{block}.py").write_text(
            emit_source(mgdsl.build_graph(block_network(block))), encoding="utf-8")
    result = subprocess.run([ruff, "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"),
                             str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", zoo_names())
def test_zoo_forward_backward_full_size(name):
    ir = mgdsl.load(name)
    gm = to_fx(ir, seed=0)
    out = _flat(gm(*_inputs(ir, 2)))
    sum(o.float().square().mean() for o in out).backward()
    assert all(torch.isfinite(o).all() for o in out)
    assert any(p.grad is not None for p in gm.parameters())
