"""The hand-written reference networks in benchmarks/reference match the paper-zoo spec.

Parameter and MAC counts must equal shared/spec/zoo-expected.csv exactly (MACs =
FlopCounterMode total / 2); outputs have the right shapes; forward + backward runs; and the
structural details that counts cannot see (concat order, missing final ReLU) are checked.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from paths import ROOT, TESTS
from torch.utils.flop_counter import FlopCounterMode

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


from benchmarks.reference import mg_cifar, pmg_mnist, rpmg_mnist, unet  # noqa: E402
from benchmarks.reference.common import MGConv  # noqa: E402

pytestmark = pytest.mark.torch  # imports torch


def _expected_csv() -> Path:
    """The copy of shared/spec/zoo-expected.csv kept with the tests."""
    return TESTS / "data" / "zoo-expected.csv"


@pytest.fixture(scope="module")
def expected() -> dict[str, dict[str, str]]:
    with open(_expected_csv(), newline="") as fh:
        return {row["model"]: row for row in csv.DictReader(fh)}


CASES = [
    ("MG-16", lambda: mg_cifar(num_classes=100, n=3), (3, 32, 32), (100,)),
    ("MG-sm-6", lambda: mg_cifar(num_classes=100, n=1, width=0.625), (3, 32, 32), (100,)),
    ("PMG-11 seg", lambda: pmg_mnist(num_classes=10), (1, 64, 64), (10, 64, 64)),
    ("PMG-11 spt", lambda: pmg_mnist(num_classes=1), (1, 64, 64), (1, 64, 64)),
    ("R-PMG-20 seg", lambda: rpmg_mnist(num_classes=10), (1, 64, 64), (10, 64, 64)),
    ("R-PMG-20 spt", lambda: rpmg_mnist(num_classes=1), (1, 64, 64), (1, 64, 64)),
    ("U-NET-11 seg", lambda: unet(num_classes=10), (1, 64, 64), (10, 64, 64)),
    ("U-NET-11 spt", lambda: unet(num_classes=1), (1, 64, 64), (1, 64, 64)),
]


@pytest.mark.parametrize("name,build,in_shape,out_shape", CASES, ids=[c[0] for c in CASES])
def test_counts_and_shapes(expected, name, build, in_shape, out_shape):
    torch.manual_seed(0)
    model = build().eval()
    params = sum(p.numel() for p in model.parameters())
    assert params == int(expected[name]["params"])
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        y = model(torch.randn(1, *in_shape))
    assert counter.get_total_flops() == 2 * int(expected[name]["macs"])
    assert tuple(y.shape) == (1, *out_shape)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize(
    "build,in_shape", [(c[1], c[2]) for c in CASES[::2]], ids=[c[0] for c in CASES[::2]]
)
def test_forward_backward(build, in_shape):
    torch.manual_seed(0)
    model = build().train()
    y = model(torch.randn(2, *in_shape))
    loss = y.float().square().mean()
    loss.backward()
    # Grid-dropping nets keep units whose output is never used (the spec counts their
    # parameters), so those get no gradient; everything else must.
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert len(grads) >= 0.8 * len(list(model.parameters()))
    assert all(torch.isfinite(g).all() for g in grads)
    first = next(model.parameters())  # the finest-grid stem / first conv weight
    assert first.grad is not None and first.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "build", [lambda: pmg_mnist(1), lambda: rpmg_mnist(1), lambda: unet(1)],
    ids=["PMG-11", "R-PMG-20", "U-NET-11"],
)
def test_no_final_relu(build):
    """The MNIST nets end in BN (+ shortcut) then sigmoid: some outputs must be below 0.5."""
    torch.manual_seed(0)
    model = build().train()  # batch statistics keep the untrained activations in range
    with torch.no_grad():
        y = model(torch.randn(2, 1, 64, 64))
    assert (y < 0.5).any() and (y > 0.5).any()
    assert ((y > 0) & (y < 1)).all()


def test_mg_conv_concat_order():
    """Grid i's unit sees [maxpool(x[i-1]), x[i], upsample(x[i+1])] in that channel order."""
    layer = MGConv([1, 1, 1], [3, 3, 3], kernels=1, eps=1e-12).eval()  # BN = identity (torch >= 2.11 rejects eps=0)
    for unit in layer.units:
        c_in = unit.conv.in_channels
        with torch.no_grad():
            unit.conv.weight.zero_()
            unit.conv.bias.zero_()
            for j in range(c_in):
                unit.conv.weight[j, j] = 1.0  # output channel j copies input channel j
    x0 = torch.rand(1, 1, 8, 8) + 1
    x1 = torch.rand(1, 1, 4, 4) + 1
    x2 = torch.rand(1, 1, 2, 2) + 1
    with torch.no_grad():
        y0, y1, y2 = layer([x0, x1, x2])
    up = lambda x, s: F.interpolate(x, size=(s, s), mode="nearest")  # noqa: E731
    torch.testing.assert_close(y0[:, :2], torch.cat([x0, up(x1, 8)], 1))
    torch.testing.assert_close(y1, torch.cat([F.max_pool2d(x0, 2), x1, up(x2, 4)], 1))
    torch.testing.assert_close(y2[:, :2], torch.cat([F.max_pool2d(x1, 2), x2], 1))


def test_mg_conv_drop_coarsest():
    """A dropping layer outputs one grid fewer and the new coarsest sees no upsampled input."""
    layer = MGConv([4, 2, 1], [5, 3], kernels=3, drop=True)
    assert [u.conv.in_channels for u in layer.units] == [6, 6]
    ys = layer([torch.randn(2, 4, 8, 8), torch.randn(2, 2, 4, 4), torch.randn(2, 1, 2, 2)])
    assert [tuple(y.shape) for y in ys] == [(2, 5, 8, 8), (2, 3, 4, 4)]
