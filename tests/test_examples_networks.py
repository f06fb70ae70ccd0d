"""The networks of other papers in examples/ equal independent plain-PyTorch implementations.

Each reference below is written from its paper (and the layout of the code its authors
released), not generated from mgdsl. For every example the test checks the parameter count
(the IR's, the compiled module's and the reference's are equal, and equal to the published
count where one exists), then copies the reference's weights into the module compiled by
`mgdsl.to_fx` and compares outputs in eval mode (atol 1e-5).

Weight mapping: `layers(module)` lists a module's conv, transposed-conv, BN and linear
layers in registration order. The compiled module registers them in the order the `.mg`
file creates them, and the references are written to register theirs in that same order,
except where a reference's `mg_order()` says otherwise (HRNet applies one block to all
branches at once). Layers are copied pairwise; their types and shapes must agree.

BN statistics are random but realistic: random affine weights, running statistics measured
on a random batch, then jittered, so that activations stay near unit scale and a 1e-5
agreement means something.
"""

from __future__ import annotations

import functools
import math

import pytest
import torch
import torch.nn.functional as F
from paths import ROOT
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

import mgdsl

pytestmark = pytest.mark.torch  # imports torch

EXAMPLES = ROOT / "examples"


def _agree_at_sizes(ref, gm, example: str, sizes, *, channels: int = 3,
                    input_name: str = "image", out=None, **params) -> None:
    """`gm` computes what the reference `ref` does (float64, to 1e-5) at every (h, w) of
    `sizes`, each size also checked by the front end (`inputs=`); `out(h, w)`, when given,
    is the output shape both must have."""
    for h, w in sizes:
        mgdsl.load(EXAMPLES / example, **params, inputs={input_name: (channels, h, w)})
        x = torch.randn(2, channels, h, w, dtype=torch.float64)
        with torch.no_grad():
            want, got = ref(x), gm(x)
        if out is not None:
            assert got.shape == want.shape == out(h, w)
        assert want.std() > 0.05
        torch.testing.assert_close(got, want, atol=1e-5, rtol=0)


LAYER_TYPES = (nn.Conv2d, nn.ConvTranspose2d, _BatchNorm, nn.Linear)


def layers(module: nn.Module) -> list[nn.Module]:
    """The conv, transposed-conv, BN and linear layers of `module`, in registration order."""
    return [m for m in module.modules() if isinstance(m, LAYER_TYPES)]


def kind(layer: nn.Module) -> type:
    """Which of LAYER_TYPES `layer` is (mgdsl's batch norm is its own subclass)."""
    return next(t for t in LAYER_TYPES if isinstance(layer, t))


def param_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def conv_bn(cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1,
            dilation: int = 1) -> nn.Sequential:
    """Conv without bias ("same" padding at stride 1) and batch norm; no ReLU."""
    conv = nn.Conv2d(cin, cout, k, stride, dilation * (k // 2), dilation, groups, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(cout))


# ------------------------------------------------------------------------------ ResNet


class BasicBlock(nn.Module):
    """He et al. 2016, Figure 2 left: two 3x3 convs; projection shortcut when the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = conv_bn(cin, cout, 3, stride)
        self.conv2 = conv_bn(cout, cout, 3)
        self.shortcut = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.conv2(F.relu(self.conv1(x)))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class ResNet18Trunk(nn.Module):
    """ResNet-18 up to stage 5 (He et al. 2016, Table 1); `forward` returns C2..C5."""

    def __init__(self):
        super().__init__()
        self.stem = conv_bn(3, 64, 7, 2)
        widths = [64, 128, 256, 512]
        self.stages = nn.ModuleList()
        cin = 64
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            self.stages.append(nn.Sequential(BasicBlock(cin, w, stride), BasicBlock(w, w)))
            cin = w

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 3, 2, 1)
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats


class ResNet18(nn.Module):
    def __init__(self, classes: int = 1000):
        super().__init__()
        self.trunk = ResNet18Trunk()
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.trunk(x)[-1], 1), 1))


class FPN(nn.Module):
    """Lin et al. 2017 on ResNet-18: 1x1 laterals, nearest top-down sum, 3x3 outputs, P6."""

    def __init__(self, ch: int = 256):
        super().__init__()
        self.trunk = ResNet18Trunk()
        widths = [64, 128, 256, 512]
        self.lateral = nn.ModuleList(nn.Conv2d(w, ch, 1) for w in widths)
        self.smooth = nn.ModuleList(nn.Conv2d(ch, ch, 3, padding=1) for _ in widths)

    def forward(self, x):
        c = self.trunk(x)
        top = self.lateral[3](c[3])
        merged = [top]
        for i in (2, 1, 0):
            lateral = self.lateral[i](c[i])
            top = lateral + F.interpolate(top, size=lateral.shape[-2:], mode="nearest")
            merged.insert(0, top)
        p = [conv(m) for conv, m in zip(self.smooth, merged, strict=True)]
        p.append(F.max_pool2d(p[-1], 1, 2))
        return dict(zip(["p2", "p3", "p4", "p5", "p6"], p, strict=True))


# ------------------------------------------------------------------------------ U-Net


class DoubleConv(nn.Sequential):
    def __init__(self, cin: int, cout: int):
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU())


class UNet(nn.Module):
    """Ronneberger et al. 2015 as in milesial/Pytorch-UNet (bilinear=False): padded convs
    with BN, transposed-conv upsampling, skip concatenated first."""

    def __init__(self, classes: int = 3):
        super().__init__()
        widths = [64, 128, 256, 512, 1024]
        self.down = nn.ModuleList([DoubleConv(3, 64)] + [DoubleConv(a, b) for a, b in
                                                          zip(widths, widths[1:], strict=False)])
        self.ups = nn.ModuleList()
        for a, b in zip(widths[:0:-1], widths[-2::-1], strict=True):
            self.ups.append(nn.ModuleDict({"deconv": nn.ConvTranspose2d(a, b, 2, 2),
                                           "conv": DoubleConv(2 * b, b)}))
        self.out = nn.Conv2d(64, classes, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        x = skips.pop()
        for up in self.ups:
            x = up["conv"](torch.cat([skips.pop(), up["deconv"](x)], 1))
        return self.out(x)


# ------------------------------------------------------------------------------ HRNet


class Bottleneck(nn.Module):
    """1x1, 3x3, 1x1 (x4) with an identity or 1x1 projection shortcut."""

    def __init__(self, cin: int, ch: int):
        super().__init__()
        self.conv1 = conv_bn(cin, ch, 1)
        self.conv2 = conv_bn(ch, ch)
        self.conv3 = conv_bn(ch, 4 * ch, 1)
        self.shortcut = conv_bn(cin, 4 * ch, 1) if cin != 4 * ch else None

    def forward(self, x):
        y = self.conv3(F.relu(self.conv2(F.relu(self.conv1(x)))))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class HRModule(nn.Module):
    """Wang et al. 2020, Figure 2: four basic blocks per branch, then the exchange unit
    (strided 3x3 convs down, 1x1 conv + nearest upsampling up, summed, ReLU)."""

    def __init__(self, widths: list[int]):
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Sequential(*(BasicBlock(w, w) for _ in range(4))) for w in widths)
        self.fuse = nn.ModuleList()
        for i, wi in enumerate(widths):
            row = nn.ModuleList()
            for j, wj in enumerate(widths):
                if j > i:
                    row.append(conv_bn(wj, wi, 1))
                elif j < i:
                    steps = [nn.Sequential(conv_bn(wj, wj, 3, 2), nn.ReLU())
                             for _ in range(i - j - 1)]
                    row.append(nn.Sequential(*steps, conv_bn(wj, wi, 3, 2)))
                else:
                    row.append(nn.Identity())
            self.fuse.append(row)

    def forward(self, xs):
        xs = [branch(x) for branch, x in zip(self.branches, xs, strict=True)]
        out = []
        for i, row in enumerate(self.fuse):
            y = xs[i]
            for j, f in enumerate(row):
                if j < i:
                    y = y + f(xs[j])
                elif j > i:
                    y = y + F.interpolate(f(xs[j]), scale_factor=2 ** (j - i), mode="nearest")
            out.append(F.relu(y))
        return out

    def mg_order(self) -> list[nn.Module]:
        """The .mg file applies each basic block to every branch at once (block-major,
        then layer, then branch), then builds the exchange unit row by row."""
        order = []
        for k in range(4):
            for part in ("conv1", "conv2"):
                for layer in (0, 1):  # conv, then BN
                    order += [getattr(b[k], part)[layer] for b in self.branches]
        return order + layers(self.fuse)


class HRNetV2W18(nn.Module):
    """HRNet-W18 and the HRNetV2 representation (all branches upsampled bilinearly to the
    finest, concatenated)."""

    def __init__(self):
        super().__init__()
        w = [18, 36, 72, 144]
        self.stem = nn.Sequential(conv_bn(3, 64, 3, 2), nn.ReLU(), conv_bn(64, 64, 3, 2), nn.ReLU())
        self.layer1 = nn.Sequential(Bottleneck(64, 64), *(Bottleneck(256, 64) for _ in range(3)))
        self.transition1 = nn.ModuleList([nn.Sequential(conv_bn(256, w[0]), nn.ReLU()),
                                          nn.Sequential(conv_bn(256, w[1], 3, 2), nn.ReLU())])
        self.stage2 = nn.ModuleList([HRModule(w[:2])])
        self.transition2 = nn.Sequential(conv_bn(w[1], w[2], 3, 2), nn.ReLU())
        self.stage3 = nn.ModuleList(HRModule(w[:3]) for _ in range(4))
        self.transition3 = nn.Sequential(conv_bn(w[2], w[3], 3, 2), nn.ReLU())
        self.stage4 = nn.ModuleList(HRModule(w) for _ in range(3))

    def forward(self, x):
        x = self.layer1(self.stem(x))
        xs = [t(x) for t in self.transition1]
        for stage, transition in ((self.stage2, None), (self.stage3, self.transition2),
                                  (self.stage4, self.transition3)):
            if transition is not None:
                xs = xs + [transition(xs[-1])]
            for module in stage:
                xs = module(xs)
        size = xs[0].shape[-2:]
        ups = [F.interpolate(x, size=size, mode="bilinear", align_corners=False) for x in xs[1:]]
        return torch.cat([xs[0], *ups], 1)

    def mg_order(self) -> list[nn.Module]:
        order = layers(self.stem) + layers(self.layer1) + layers(self.transition1)
        for stage, transition in ((self.stage2, None), (self.stage3, self.transition2),
                                  (self.stage4, self.transition3)):
            order += layers(transition) if transition is not None else []
            for module in stage:
                order += module.mg_order()
        return order


# ------------------------------------------------------------------------------ OctConv


class OctConv(nn.Module):
    """Chen et al. 2019, Eq. (2)-(3): Y_H = f(X_H; W_HH) + upsample(f(X_L; W_LH)),
    Y_L = f(X_L; W_LL) + f(pool(X_H); W_HL), with BN on each output. `a_in` / `a_out` are
    the low-frequency shares; a stride of 2 is a 2x2 average pool of the inputs first (the
    low input then feeds the high output without upsampling)."""

    def __init__(self, cin: int, cout: int, k: int, a_in: float = 0.5, a_out: float = 0.5,
                 stride: int = 1):
        super().__init__()
        lo_in, lo_out = int(a_in * cin), int(a_out * cout)
        hi_in, hi_out = cin - lo_in, cout - lo_out

        def conv(i, o):
            return nn.Conv2d(i, o, k, 1, k // 2, bias=False) if i and o else None

        self.stride = stride
        self.hh, self.lh = conv(hi_in, hi_out), conv(lo_in, hi_out)
        self.ll, self.hl = conv(lo_in, lo_out), conv(hi_in, lo_out)
        self.bn_h = nn.BatchNorm2d(hi_out)
        self.bn_l = nn.BatchNorm2d(lo_out) if lo_out else None

    def forward(self, xh, xl=None):
        if self.stride == 2:
            xh = F.avg_pool2d(xh, 2)
        yh = self.hh(xh)
        if self.lh is not None:
            lh = self.lh(xl)
            if self.stride == 1:
                lh = F.interpolate(lh, scale_factor=2, mode="nearest")
            yh = yh + lh
        if self.bn_l is None:
            return self.bn_h(yh), None
        yl = self.hl(F.avg_pool2d(xh, 2))
        if self.ll is not None:
            yl = self.ll(F.avg_pool2d(xl, 2) if self.stride == 2 else xl) + yl
        return self.bn_h(yh), self.bn_l(yl)


def oct_relu(pair):
    return tuple(None if x is None else F.relu(x) for x in pair)


class OctBottleneck(nn.Module):
    """A ResNet-50 bottleneck of octave convs (stride on the 3x3), with a projection
    shortcut when the shape changes. `a_in` / `a_out` are the first / last layer's shares."""

    def __init__(self, cin: int, ch: int, stride: int = 1, a_in: float = 0.5, a_out: float = 0.5):
        super().__init__()
        mid = a_out  # the 3x3 and the last 1x1 stay in the output representation
        self.conv1 = OctConv(cin, ch, 1, a_in, a_out)
        self.conv2 = OctConv(ch, ch, 3, mid, mid, stride)
        self.conv3 = OctConv(ch, 4 * ch, 1, mid, mid)
        project = stride != 1 or cin != 4 * ch or a_in != a_out
        self.shortcut = OctConv(cin, 4 * ch, 1, a_in, a_out, stride) if project else None

    def forward(self, x):
        y = self.conv3(*oct_relu(self.conv2(*oct_relu(self.conv1(*x)))))
        s = x if self.shortcut is None else self.shortcut(*x)
        return oct_relu((y[0] + s[0], None if y[1] is None else y[1] + s[1]))


class OctResNet50(nn.Module):
    """Oct-ResNet-50 (alpha 0.5): plain stem, octave layer1-3, layer4 back to one grid."""

    def __init__(self, classes: int = 1000):
        super().__init__()
        self.stem = conv_bn(3, 64, 7, 2)
        blocks, cin = [], 64
        for i, (ch, n) in enumerate(zip([64, 128, 256, 512], [3, 4, 6, 3], strict=True)):
            for b in range(n):
                a_in = 0.0 if (i == 0 and b == 0) or (i == 3 and b > 0) else 0.5
                a_out = 0.0 if i == 3 else 0.5
                blocks.append(OctBottleneck(cin, ch, 2 if i and not b else 1, a_in, a_out))
                cin = 4 * ch
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(2048, classes)

    def forward(self, x):
        x = (F.max_pool2d(F.relu(self.stem(x)), 3, 2, 1), None)
        for block in self.blocks:
            x = block(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x[0], 1), 1))


# ------------------------------------------------------------------------------ MobileNetV2


class InvertedResidual(nn.Module):
    """Sandler et al. 2018, Table 1: 1x1 expansion by t, 3x3 depthwise conv (stride), 1x1
    linear projection; an identity shortcut when the stride is 1 and the width is kept."""

    def __init__(self, cin: int, cout: int, stride: int, t: int):
        super().__init__()
        hidden = cin * t
        self.expand = conv_bn(cin, hidden, 1) if t != 1 else None
        self.depthwise = conv_bn(hidden, hidden, 3, stride, groups=hidden)
        self.project = conv_bn(hidden, cout, 1)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = x if self.expand is None else F.relu6(self.expand(x))
        y = self.project(F.relu6(self.depthwise(y)))
        return x + y if self.residual else y


class MobileNetV2(nn.Module):
    """Sandler et al. 2018, Table 2 (width 1.0), with torchvision's dropout 0.2."""

    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]  # t, c, n, s

    def __init__(self, classes: int = 1000):
        super().__init__()
        self.stem = conv_bn(3, 32, 3, 2)
        blocks, cin = [], 32
        for t, c, n, s in self.SETTINGS:
            for i in range(n):
                blocks.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        self.blocks = nn.Sequential(*blocks)
        self.last = conv_bn(320, 1280, 1)
        self.fc = nn.Linear(1280, classes)

    def forward(self, x):
        x = F.relu6(self.last(self.blocks(F.relu6(self.stem(x)))))
        x = F.dropout(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1), 0.2, self.training)
        return self.fc(x)


# ------------------------------------------------------------------------------ DeepLabv3


class DilatedBottleneck(Bottleneck):
    """A ResNet-50 bottleneck with stride and dilation on its 3x3 conv."""

    def __init__(self, cin: int, ch: int, stride: int = 1, dilation: int = 1):
        super().__init__(cin, ch)
        self.conv2 = conv_bn(ch, ch, 3, stride, dilation=dilation)
        if stride != 1:
            self.shortcut = conv_bn(cin, 4 * ch, 1, stride)


def dilated_resnet50_stages() -> list[nn.Sequential]:
    """ResNet-50's four stages at output stride 8: layer3 and layer4 keep the size and
    dilate their 3x3 convs by 2 and 4 (their first block by 1 and 2), as torchvision's
    `replace_stride_with_dilation=[False, True, True]`."""
    stages, cin = [], 64
    for width, n, stride, first, dilation in [(64, 3, 1, 1, 1), (128, 4, 2, 1, 1),
                                              (256, 6, 1, 1, 2), (512, 3, 1, 2, 4)]:
        blocks = [DilatedBottleneck(cin, width, stride, first)]
        blocks += [DilatedBottleneck(4 * width, width, 1, dilation) for _ in range(n - 1)]
        stages.append(nn.Sequential(*blocks))
        cin = 4 * width
    return stages


class DeepLabV3(nn.Module):
    """Chen et al. 2017 as torchvision's deeplabv3_resnet50 (with the auxiliary head): a
    ResNet-50 of output stride 8 (layer3 and layer4 dilated by 2 and 4), ASPP (1x1, three
    3x3 at rates 12/24/36, image pooling; projection, dropout 0.5), a 3x3 conv and a 1x1
    classifier; the auxiliary FCN head on layer3; both upsampled bilinearly."""

    def __init__(self, classes: int = 21, rates=(12, 24, 36), ch: int = 256):
        super().__init__()
        self.stem = conv_bn(3, 64, 7, 2)
        self.stages = nn.ModuleList(dilated_resnet50_stages())
        self.aspp = nn.ModuleList([conv_bn(2048, ch, 1)] +
                                  [conv_bn(2048, ch, 3, dilation=r) for r in rates])
        self.aspp_pool = conv_bn(2048, ch, 1)
        self.aspp_project = conv_bn(5 * ch, ch, 1)
        self.head = conv_bn(ch, ch, 3)
        self.classifier = nn.Conv2d(ch, classes, 1)
        self.aux = conv_bn(1024, ch, 3)
        self.aux_classifier = nn.Conv2d(ch, classes, 1)

    def forward(self, x):
        size = x.shape[-2:]
        y = F.max_pool2d(F.relu(self.stem(x)), 3, 2, 1)
        feats = []
        for stage in self.stages:
            y = stage(y)
            feats.append(y)
        c3, c4 = feats[2], feats[3]
        branches = [F.relu(b(c4)) for b in self.aspp]
        pooled = F.relu(self.aspp_pool(F.adaptive_avg_pool2d(c4, 1)))
        branches.append(F.interpolate(pooled, size=c4.shape[-2:], mode="bilinear",
                                      align_corners=False))
        y = F.dropout(F.relu(self.aspp_project(torch.cat(branches, 1))), 0.5, self.training)
        out = self.classifier(F.relu(self.head(y)))
        aux = self.aux_classifier(F.dropout(F.relu(self.aux(c3)), 0.1, self.training))
        return {name: F.interpolate(t, size=size, mode="bilinear", align_corners=False)
                for name, t in (("out", out), ("aux", aux))}


# ------------------------------------------------------------------------------ R-MG + gates


class ResMGUnit(nn.Module):
    """Ke et al. 2017, Figure 2 right: two mg-convs (each grid sees its finer neighbour
    max-pooled, itself and its coarser neighbour upsampled, in that order), BN (+ ReLU
    after the first), a zero-padded identity shortcut, ReLU."""

    def __init__(self, cins: list[int], couts: list[int]):
        super().__init__()

        def fan_in(cs):
            return [sum(cs[max(i - 1, 0):i + 2]) for i in range(len(cs))]

        self.conv1 = nn.ModuleList(nn.Conv2d(a, b, 3, padding=1)
                                   for a, b in zip(fan_in(cins), couts, strict=True))
        self.bn1 = nn.ModuleList(nn.BatchNorm2d(c) for c in couts)
        self.conv2 = nn.ModuleList(nn.Conv2d(a, b, 3, padding=1)
                                   for a, b in zip(fan_in(couts), couts, strict=True))
        self.bn2 = nn.ModuleList(nn.BatchNorm2d(c) for c in couts)

    @staticmethod
    def mgconv(convs, xs):
        out = []
        for i, conv in enumerate(convs):
            parts = ([F.max_pool2d(xs[i - 1], 2)] if i else []) + [xs[i]]
            if i + 1 < len(xs):
                parts.append(F.interpolate(xs[i + 1], size=xs[i].shape[-2:], mode="nearest"))
            out.append(conv(torch.cat(parts, 1)))
        return out

    def forward(self, xs):
        ys = [F.relu(bn(y)) for bn, y in zip(self.bn1, self.mgconv(self.conv1, xs), strict=True)]
        ys = [bn(y) for bn, y in zip(self.bn2, self.mgconv(self.conv2, ys), strict=True)]
        return [F.relu(y + F.pad(x, (0, 0, 0, 0, 0, y.shape[1] - x.shape[1])))
                for x, y in zip(xs, ys, strict=True)]


class AttentionGates(nn.Module):
    """Oktay et al. 2018, Figure 2: grid x_i times sigmoid(psi(relu(theta(x_i) +
    phi(x_{i+1})))), theta a 2x2 stride-2 conv without bias, phi and psi 1x1 convs; the
    one-channel map is upsampled bilinearly. The coarsest grid passes unchanged."""

    def __init__(self, chs: list[int]):
        super().__init__()
        inters = [c // 2 for c in chs[:-1]]
        self.theta = nn.ModuleList(nn.Conv2d(c, m, 2, 2, bias=False)
                                   for c, m in zip(chs, inters, strict=False))
        self.phi = nn.ModuleList(nn.Conv2d(c, m, 1) for c, m in zip(chs[1:], inters, strict=True))
        self.psi = nn.ModuleList(nn.Conv2d(m, 1, 1) for m in inters)

    def forward(self, xs):
        out = []
        for i, x in enumerate(xs[:-1]):
            a = self.psi[i](F.relu(self.theta[i](x) + self.phi[i](xs[i + 1])))
            a = F.interpolate(torch.sigmoid(a), size=x.shape[-2:], mode="bilinear",
                              align_corners=False)
            out.append(x * a)
        return out + [xs[-1]]


class RMGAttention(nn.Module):
    """Three grids: input pyramid with a conv unit each, three (res-mg-unit, gates) stages
    with a 2x2 max-pool between them, global pooling of the finest grid, a linear layer."""

    def __init__(self, w: int = 32, classes: int = 100):
        super().__init__()
        widths = [[w, w // 2, w // 4], [2 * w, w, w // 2], [4 * w, 2 * w, w]]
        self.stems = nn.ModuleList(nn.Conv2d(3, c, 3, padding=1) for c in widths[0])
        self.stem_bns = nn.ModuleList(nn.BatchNorm2d(c) for c in widths[0])
        self.stages = nn.ModuleList()
        for cin, cout in zip([widths[0]] + widths, widths, strict=False):
            self.stages.append(nn.Sequential(ResMGUnit(cin, cout), AttentionGates(cout)))
        self.fc = nn.Linear(4 * w, classes)

    def forward(self, x):
        xs = [x] + [F.avg_pool2d(x, 2 ** i) for i in (1, 2)]
        pairs = zip(self.stems, self.stem_bns, xs, strict=True)
        xs = [F.relu(bn(conv(g))) for conv, bn, g in pairs]
        for i, stage in enumerate(self.stages):
            xs = stage(xs)
            if i < 2:
                xs = [F.max_pool2d(g, 2) for g in xs]
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(xs[0], 1), 1))


# ------------------------------------------------------------------------------ the checks


def randomise(model: nn.Module, x: torch.Tensor) -> None:
    """Random BN affine weights; running statistics from a batch, jittered; then eval mode."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for m in bns:
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
            m.reset_running_stats()
            m.momentum = None  # a cumulative average: the statistics of the one batch
        model.train()
        model(x)
        for m in bns:
            m.running_mean.add_(0.05 * torch.randn_like(m.running_mean))
            m.running_var.mul_(torch.empty_like(m.running_var).uniform_(0.8, 1.25))
    model.eval()


def copy_weights(src: list[nn.Module], dst: list[nn.Module]) -> None:
    """Copy layer i of `src` into layer i of `dst`; types and shapes must agree."""
    assert len(src) == len(dst), f"{len(src)} reference layers, {len(dst)} compiled layers"
    for i, (a, b) in enumerate(zip(src, dst, strict=True)):
        assert kind(a) is kind(b), f"layer {i}: {a} vs {b}"
        shapes = [{k: tuple(v.shape) for k, v in m.state_dict().items()} for m in (a, b)]
        assert shapes[0] == shapes[1], f"layer {i}: {a} vs {b}"
        b.load_state_dict(a.state_dict())


CASES = {
    # name: (file, network parameters, reference, input size, published parameter count)
    "ResNet-18": ("resnet18.mg", {}, ResNet18, 224, 11_689_512),
    "U-Net": ("unet.mg", {"size": 64}, UNet, 64, 31_037_763),
    "FPN-ResNet-18": ("fpn.mg", {"size": 64}, FPN, 64, None),
    "Oct-ResNet-50": ("octresnet.mg", {"size": 64}, OctResNet50, 64, 25_557_032),
    "HRNetV2-W18": ("hrnet.mg", {"size": 64}, HRNetV2W18, 64, 9_562_260),
    "MobileNetV2": ("mobilenetv2.mg", {"size": 96}, MobileNetV2, 96, 3_504_872),
    "DeepLabv3-ResNet-50": ("deeplabv3.mg", {"size": 64}, DeepLabV3, 64, 42_004_074),
    "R-MG-attention": ("mg_attention.mg", {}, RMGAttention, 32, None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_example_equals_its_reference(name, one_torch_thread):
    file, params, build, size, published = CASES[name]
    torch.manual_seed(0)
    ref = build()
    ir = mgdsl.load(EXAMPLES / file, **params)
    gm = mgdsl.to_fx(ir)

    count = param_count(ref)
    assert mgdsl.stats(ir).params == param_count(gm) == count
    if published is not None:
        assert count == published

    x = torch.randn(2, 3, size, size)
    randomise(ref, x)
    copy_weights(ref.mg_order() if hasattr(ref, "mg_order") else layers(ref), layers(gm))
    gm.eval()
    with torch.no_grad():
        want, got = ref(x), gm(x)
    if not isinstance(want, dict):  # one output: compare it whatever its name
        want, got = {"out": want}, {"out": got if torch.is_tensor(got) else got.popitem()[1]}
    assert want.keys() == got.keys()
    for key in want:
        assert got[key].shape == want[key].shape, key
        assert want[key].std() > 0.05, f"{key}: a degenerate output proves nothing"
        torch.testing.assert_close(got[key], want[key], atol=1e-5, rtol=0, msg=key)


# ------------------------------------------- attention, pyramid inputs, shared weights
# These compare in float64 (atol 1e-5) at the declared input size and at another one.


class RetinaNetHead(nn.Module):
    """Lin et al. 2017, Figure 3 (c, d): a classification and a box subnet, each four 3x3
    convs of `c` channels with ReLU and a 3x3 output conv (anchors x classes logits, 4 x
    anchors offsets); one set of weights per subnet, applied to every level (torchvision's
    `RetinaNetHead` without norm layers). `forward` takes P3..P7 and returns a dict."""

    def __init__(self, c: int = 256, anchors: int = 9, classes: int = 80):
        super().__init__()

        def tower(out: int) -> nn.ModuleList:
            return nn.ModuleList([*(nn.Conv2d(c, c, 3, padding=1) for _ in range(4)),
                                  nn.Conv2d(c, out, 3, padding=1)])

        self.cls = tower(anchors * classes)
        self.box = tower(4 * anchors)

    def forward(self, *feats):
        out = {}
        for key, tower in (("cls", self.cls), ("box", self.box)):
            for level, t in enumerate(feats, start=3):
                for conv in tower[:-1]:
                    t = F.relu(conv(t))
                out[f"{key}{level}"] = tower[-1](t)
        return out


class NonLocal(nn.Module):
    """Wang et al. 2018, Figure 2 (embedded Gaussian): theta, phi, g 1x1 convs to half the
    channels, y = softmax(theta^T phi) g over all positions, x + BN(W y)."""

    def __init__(self, c: int):
        super().__init__()
        self.theta, self.phi, self.g = (nn.Conv2d(c, c // 2, 1) for _ in range(3))
        self.w = nn.Conv2d(c // 2, c, 1)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        b, c, h, w = x.shape
        theta = self.theta(x).flatten(2).transpose(1, 2)          # (B, N, C/2)
        phi = self.phi(x).flatten(2)                              # (B, C/2, N)
        g = self.g(x).flatten(2).transpose(1, 2)                  # (B, N, C/2)
        y = (torch.softmax(theta @ phi, -1) @ g).transpose(1, 2).reshape(b, c // 2, h, w)
        return x + self.bn(self.w(y))


class MGNonLocal(nn.Module):
    """Three grids: an input pyramid with a conv unit each, three res-mg-units (Ke et al.
    2017) with a 2x2 max-pool between them, a non-local block on the coarsest grid before
    the last unit, global pooling of the finest grid, a linear layer."""

    def __init__(self, w: int = 32, classes: int = 100):
        super().__init__()
        widths = [[w, w // 2, w // 4], [2 * w, w, w // 2], [4 * w, 2 * w, w]]
        self.stems = nn.ModuleList(nn.Conv2d(3, c, 3, padding=1) for c in widths[0])
        self.stem_bns = nn.ModuleList(nn.BatchNorm2d(c) for c in widths[0])
        self.units = nn.ModuleList(ResMGUnit(cin, cout) for cin, cout
                                   in zip([widths[0]] + widths, widths, strict=False))
        self.non_local = NonLocal(w // 2)
        self.fc = nn.Linear(4 * w, classes)

    def mg_order(self) -> list[nn.Module]:
        """Layers in the order of the `.mg` file: the non-local block before the last unit."""
        return [*layers(self.stems), *layers(self.stem_bns), *layers(self.units[:2]),
                *layers(self.non_local), *layers(self.units[2]), self.fc]

    def forward(self, x):
        xs = [x] + [F.avg_pool2d(x, 2 ** i) for i in (1, 2)]
        xs = [F.relu(bn(conv(g))) for conv, bn, g in zip(self.stems, self.stem_bns, xs,
                                                          strict=True)]
        for i, unit in enumerate(self.units):
            if i == 2:
                xs[2] = self.non_local(xs[2])
            xs = unit(xs)
            if i < 2:
                xs = [F.max_pool2d(g, 2) for g in xs]
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(xs[0], 1), 1))


def check_in_float64(file: str, params: dict, ref: nn.Module, sizes: list[list[tuple]],
                     published: int | None = None) -> None:
    """Parameter counts equal (and the published one); with the reference's weights copied,
    the compiled module's outputs equal the reference's to 1e-5 in float64 for each input
    list of `sizes` (shapes without the batch; the first is the declared size, where BN
    statistics are measured)."""
    ir = mgdsl.load(EXAMPLES / file, **params)
    assert not [w for w in ir.graph["warnings"] if w.code == "W103"], "every layer is checked"
    declared = [ir.nodes[n].shape for n in ir.graph["inputs"].values()]
    assert [tuple(s) for s in sizes[0]] == declared
    gm = mgdsl.to_fx(ir)
    count = param_count(ref)
    assert mgdsl.stats(ir).params == param_count(gm) == count
    if published is not None:
        assert count == published
    ref, gm = ref.double(), gm.double()
    xs = [torch.randn(2, *s, dtype=torch.float64) for s in sizes[0]]

    randomise_inputs(ref, xs)
    copy_weights(ref.mg_order() if hasattr(ref, "mg_order") else layers(ref), layers(gm))
    gm.eval()
    for shapes in sizes:
        if shapes is not sizes[0]:  # the network checks at this size too
            named = dict(zip(ir.graph["inputs"], (tuple(s) for s in shapes), strict=True))
            mgdsl.load(EXAMPLES / file, inputs=named, **params)
        xs = [torch.randn(2, *s, dtype=torch.float64) for s in shapes]
        with torch.no_grad():
            want, got = ref(*xs), gm(*xs)
        if not isinstance(want, dict):
            want, got = {"out": want}, {"out": got if torch.is_tensor(got) else got.popitem()[1]}
        assert want.keys() == got.keys()
        for key in want:
            assert got[key].shape == want[key].shape, key
            assert want[key].std() > 0.05, f"{key}: a degenerate output proves nothing"
            torch.testing.assert_close(got[key], want[key], atol=1e-5, rtol=0, msg=key)


def pyramid_sizes(c: int, h: int, w: int, levels: int) -> list[tuple[int, int, int]]:
    """The grids of a backbone's pyramid: each half the one before, rounded up."""
    out = [(c, h, w)]
    for _ in range(levels - 1):
        out.append((c, -(-out[-1][1] // 2), -(-out[-1][2] // 2)))
    return out


@pytest.mark.parametrize("c", [16, pytest.param(256, marks=pytest.mark.slow)])
def test_retinanet_head_shared_across_p3_p7(c, one_torch_thread):
    classes = 80 if c == 256 else 3
    published = 6_463_220 if c == 256 else None  # torchvision's RetinaNetHead, 80 classes
    torch.manual_seed(0)
    ref = RetinaNetHead(c, 9, classes)
    for conv in layers(ref):  # He init keeps a BN-free tower's outputs at unit scale
        nn.init.kaiming_normal_(conv.weight)
        nn.init.uniform_(conv.bias, -0.1, 0.1)
    check_in_float64("retinanet_head.mg", {"c": c, "classes": classes}, ref,
                     [pyramid_sizes(c, 64, 64, 5), pyramid_sizes(c, 40, 52, 5)], published)


def test_multigrid_network_with_a_non_local_block(one_torch_thread):
    torch.manual_seed(0)
    check_in_float64("mg_nonlocal.mg", {}, MGNonLocal(), [[(3, 64, 64)], [(3, 96, 80)]])
# ------------------------------------------------------- networks of issue 23 (float64)
#
# These use layer norm and learned tensors, which the layer mapping above does not know:
# their weights are copied parameter by parameter in registration order (a linear layer
# on channels-last features is a 1x1 conv, layer scale's (C, 1, 1) is mgdsl's (C,): the
# values are reshaped when the shapes differ only there), and outputs are compared in
# float64 at the declared size and at another one.


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an NCHW tensor (ConvNeXt, Liu et al. 2022, §2.6)."""

    def forward(self, x):
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class LayerScale(nn.Module):
    """A learned scale per channel, starting at `init` (Touvron et al. 2021; ConvNeXt's 1e-6)."""

    def __init__(self, dim: int, init: float = 1e-6):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dim, 1, 1), init))

    def forward(self, x):
        return self.gamma * x


class CNBlock(nn.Module):
    """ConvNeXt block (Liu et al. 2022, Figure 4): dwconv 7x7, LN, Linear 4C, GELU,
    Linear C, layer scale 1e-6, identity shortcut; on channels-last features as the
    authors' code does."""

    def __init__(self, dim: int):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.layer_scale = LayerScale(dim)

    def forward(self, x):
        y = self.dwconv(x).permute(0, 2, 3, 1)
        y = self.pwconv2(F.gelu(self.pwconv1(self.norm(y)))).permute(0, 3, 1, 2)
        return x + self.layer_scale(y)


class ConvNeXtT(nn.Module):
    """ConvNeXt-T (Liu et al. 2022, Table 9): 4x4 stride-4 stem + LN, stages of
    (3, 3, 9, 3) blocks of (96, 192, 384, 768) channels, LN + 2x2 stride-2 conv between
    stages, global average pooling, LN, linear."""

    def __init__(self, classes: int = 1000):
        super().__init__()
        dims, depths = (96, 192, 384, 768), (3, 3, 9, 3)
        parts: list[nn.Module] = [nn.Conv2d(3, dims[0], 4, stride=4), LayerNorm2d(dims[0], eps=1e-6)]
        for i, (dim, depth) in enumerate(zip(dims, depths, strict=True)):
            if i:
                parts += [LayerNorm2d(dims[i - 1], eps=1e-6), nn.Conv2d(dims[i - 1], dim, 2, stride=2)]
            parts += [CNBlock(dim) for _ in range(depth)]
        self.features = nn.Sequential(*parts)
        self.norm = LayerNorm2d(dims[-1], eps=1e-6)
        self.head = nn.Linear(dims[-1], classes)

    def forward(self, x):
        return self.head(torch.flatten(self.norm(F.adaptive_avg_pool2d(self.features(x), 1)), 1))


class PSPNet(nn.Module):
    """Zhao et al. 2017 (Figure 3): a dilated ResNet-50 of output stride 8 (as
    `DeepLabV3`'s), the pyramid pooling module — adaptive average pooling to 1, 2, 3 and 6
    bins, each a 1x1 conv + BN + ReLU to 512 channels, upsampled bilinearly with aligned
    corners (the authors' code), concatenated with the features —, a 3x3 conv + BN + ReLU
    to 512, dropout 0.1, a 1x1 classifier, upsampled to the input size."""

    def __init__(self, classes: int = 21, bins=(1, 2, 3, 6)):
        super().__init__()
        self.stem = conv_bn(3, 64, 7, 2)
        self.stages = nn.Sequential(*dilated_resnet50_stages())
        self.bins = bins
        self.ppm = nn.ModuleList([conv_bn(2048, 512, 1) for _ in bins])
        self.head = conv_bn(2048 + 512 * len(bins), 512, 3)
        self.classifier = nn.Conv2d(512, classes, 1)

    def forward(self, x):
        c4 = self.stages(F.max_pool2d(F.relu(self.stem(x)), 3, 2, 1))
        branches = [c4] + [
            F.interpolate(F.relu(conv(F.adaptive_avg_pool2d(c4, b))), size=c4.shape[-2:],
                          mode="bilinear", align_corners=True)
            for b, conv in zip(self.bins, self.ppm, strict=True)]
        y = F.dropout(F.relu(self.head(torch.cat(branches, 1))), 0.1, self.training)
        return F.interpolate(self.classifier(y), size=x.shape[-2:], mode="bilinear",
                             align_corners=True)


class Bottle2neck(nn.Module):
    """Res2Net bottleneck (Gao et al. 2021, Figure 2), 26w x 4s: a 1x1 conv to 4 groups of
    `planes * 26 // 64` channels; group 1 through a 3x3 conv, each later group through a
    3x3 conv after adding the previous group's output (in a stage's first block: no
    additions, and the last group average-pooled instead of passed through); concatenated,
    a 1x1 conv to 4 * planes, a 1x1 projection shortcut where the shape changes."""

    def __init__(self, cin: int, planes: int, stride: int = 1, scale: int = 4):
        super().__init__()
        self.width = width = planes * 26 // 64
        self.first = stride > 1 or cin != 4 * planes
        self.conv1 = conv_bn(cin, width * scale, 1)
        self.convs = nn.ModuleList([conv_bn(width, width, 3, stride) for _ in range(scale - 1)])
        self.conv3 = conv_bn(width * scale, 4 * planes, 1)
        self.shortcut = conv_bn(cin, 4 * planes, 1, stride) if self.first else None
        self.stride = stride

    def forward(self, x):
        groups = torch.split(F.relu(self.conv1(x)), self.width, 1)
        outs, sp = [], None
        for i, conv in enumerate(self.convs):
            sp = groups[i] if i == 0 or self.first else sp + groups[i]
            sp = F.relu(conv(sp))
            outs.append(sp)
        last = groups[-1]
        outs.append(F.avg_pool2d(last, 3, self.stride, 1) if self.first else last)
        y = self.conv3(torch.cat(outs, 1))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class Res2Net50(nn.Module):
    """Res2Net-50 26w x 4s: ResNet-50's stem and stages (3, 4, 6, 3) of Bottle2necks,
    global average pooling, a linear classifier."""

    def __init__(self, classes: int = 1000):
        super().__init__()
        self.stem = conv_bn(3, 64, 7, 2)
        blocks, cin = [], 64
        for i, (planes, depth) in enumerate(zip((64, 128, 256, 512), (3, 4, 6, 3), strict=True)):
            for j in range(depth):
                blocks.append(Bottle2neck(cin, planes, 2 if i and not j else 1))
                cin = 4 * planes
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(2048, classes)

    def forward(self, x):
        y = self.blocks(F.max_pool2d(F.relu(self.stem(x)), 3, 2, 1))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


def copy_parameters(src: nn.Module, dst: nn.Module) -> None:
    """Copy the parameters and buffers of `src` into `dst` pairwise, in registration order;
    shapes must agree up to size-1 dimensions (linear vs 1x1 conv, (C,1,1) vs (C,))."""
    pairs = list(zip(src.parameters(), dst.parameters(), strict=True))
    with torch.no_grad():
        for i, (a, b) in enumerate(pairs):
            squeeze = [d for d in a.shape if d != 1], [d for d in b.shape if d != 1]
            assert squeeze[0] == squeeze[1], f"parameter {i}: {tuple(a.shape)} vs {tuple(b.shape)}"
            b.copy_(a.reshape(b.shape))
        for a, b in zip(src.buffers(), dst.buffers(), strict=True):
            b.copy_(a.reshape(b.shape))


class _Inputs(nn.Module):
    """`model` called on the tensors `xs` whatever it is given (`randomise` calls a model
    on one tensor; a network with several inputs needs them all)."""

    def __init__(self, model: nn.Module, xs: list[torch.Tensor]):
        super().__init__()
        self.model, self.xs = model, xs

    def forward(self, _):
        return self.model(*self.xs)


def randomise_inputs(model: nn.Module, xs: list[torch.Tensor]) -> None:
    """`randomise` for a model of several inputs, its BN statistics from `xs`."""
    randomise(_Inputs(model, xs), xs[0])


def randomise_all(model: nn.Module, x: torch.Tensor) -> None:
    """Every parameter random around its scale (layer scale far from its 1e-6 start, so
    the blocks matter), BN statistics as `randomise`; eval mode."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() <= 1 or name.endswith("gamma"):  # norms' scales, shifts, layer scale
                p.copy_(torch.empty_like(p).uniform_(0.5, 1.5) if "weight" in name or
                        name.endswith("gamma") else torch.empty_like(p).uniform_(-0.2, 0.2))
    randomise(model, x)


NEW_CASES = {
    # name: (file, network parameters, reference, sizes checked, published count)
    "ConvNeXt-T": ("convnext_t.mg", {"size": 64}, ConvNeXtT, (64, 96), 28_589_128),
    "PSPNet-ResNet-50": ("pspnet.mg", {"size": 64}, PSPNet, (64, 96), None),
    "Res2Net-50-26w-4s": ("res2net50.mg", {"size": 64}, Res2Net50, (64, 96), 25_699_120),
}


def check_float64(name: str, sizes: tuple[int, ...], params: dict) -> None:
    file, _, build, _, published = NEW_CASES[name]
    torch.manual_seed(0)
    ref = build().double()
    ir = mgdsl.load(EXAMPLES / file, **params)
    gm = mgdsl.to_fx(ir).double()
    assert mgdsl.stats(ir).params == param_count(gm) == param_count(ref)
    if published is not None:
        assert param_count(ref) == published
    x = torch.randn(2, 3, sizes[0], sizes[0], dtype=torch.float64)
    randomise_all(ref, x)
    copy_parameters(ref, gm)
    gm.eval()
    for s in sizes:
        x = torch.randn(2, 3, s, s + 32, dtype=torch.float64) if s != sizes[0] else x
        with torch.no_grad():
            want, got = ref(x), gm(x)
        got = got if torch.is_tensor(got) else next(iter(got.values()))
        assert got.shape == want.shape and want.std() > 0.05
        torch.testing.assert_close(got, want, atol=1e-5, rtol=0, msg=f"{name} at {s}")


@pytest.mark.parametrize("name", list(NEW_CASES))
def test_issue23_example_equals_its_reference(name, one_torch_thread):
    _, params, _, sizes, _ = NEW_CASES[name]
    check_float64(name, sizes, params)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(NEW_CASES))
def test_issue23_example_at_imagenet_size(name, one_torch_thread):
    check_float64(name, (224, 160), {})


class SwinAttention(nn.Module):
    """Liu et al. 2021, sec. 3.2, on (B, H, W, C) tokens: the grid padded at the bottom and
    right to whole windows, rolled by -shift (Figure 4; no roll along a side of one
    window), multi-head self-attention inside each window with a relative position bias
    B[dy, dx] per head and -100 between tokens from different regions of the rolled grid,
    an output projection, rolled back and cropped. Layout as torchvision's (qkv, proj,
    relative_position_bias_table)."""

    def __init__(self, c: int, heads: int, window: int = 7, shift: int = 0):
        super().__init__()
        self.heads, self.window, self.shift = heads, window, shift
        self.qkv = nn.Linear(c, 3 * c)
        self.proj = nn.Linear(c, c)
        self.relative_position_bias_table = nn.Parameter(
            0.02 * torch.randn((2 * window - 1) ** 2, heads))
        ys, xs = (t.flatten() for t in torch.meshgrid(torch.arange(window),
                                                      torch.arange(window), indexing="ij"))
        self.register_buffer("pair", (ys[:, None] - ys[None] + window - 1) * (2 * window - 1)
                             + xs[:, None] - xs[None] + window - 1, persistent=False)

    def forward(self, x):
        b, h, w, c = x.shape
        win, n, d = self.window, self.window ** 2, c // self.heads
        ph, pw = -(-h // win) * win, -(-w // win) * win
        x = F.pad(x, (0, 0, 0, pw - w, 0, ph - h))
        sh, sw = (self.shift if win < ph else 0), (self.shift if win < pw else 0)
        x = torch.roll(x, (-sh, -sw), (1, 2))
        tokens = x.view(b, ph // win, win, pw // win, win, c).permute(0, 1, 3, 2, 4, 5)
        tokens = tokens.reshape(-1, n, c)
        q, k, v = (t.reshape(-1, n, self.heads, d).transpose(1, 2)
                   for t in self.qkv(tokens).chunk(3, -1))
        logits = q @ k.transpose(-2, -1) / math.sqrt(d)
        logits = logits + self.relative_position_bias_table[self.pair].permute(2, 0, 1)
        if sh or sw:
            region = torch.zeros(ph, pw, dtype=x.dtype)
            bands = [(slice(0, size - win), slice(size - win, size - s), slice(size - s, size))
                     for size, s in ((ph, sh), (pw, sw))]
            for i, rows in enumerate(bands[0]):
                for j, cols in enumerate(bands[1]):
                    region[rows, cols] = 3 * i + j
            region = region.view(ph // win, win, pw // win, win).permute(0, 2, 1, 3)
            region = region.reshape(-1, n)
            mask = (region[:, None, :] != region[:, :, None]).to(x.dtype) * -100.0
            logits = (logits.view(b, -1, self.heads, n, n) + mask[None, :, None])
            logits = logits.view(-1, self.heads, n, n)
        y = (logits.softmax(-1) @ v).transpose(1, 2).reshape(-1, n, c)
        y = self.proj(y).view(b, ph // win, pw // win, win, win, c).permute(0, 1, 3, 2, 4, 5)
        y = torch.roll(y.reshape(b, ph, pw, c), (sh, sw), (1, 2))
        return y[:, :h, :w]


class SwinBlock(nn.Module):
    """Liu et al. 2021, eq. (3): z = x + W-MSA(LN(x)), out = z + MLP(LN(z)), the MLP two
    linear layers (4x expansion) with GELU; LN eps 1e-5 (torchvision's)."""

    def __init__(self, c: int, heads: int, shift: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(c, eps=1e-5)
        self.attn = SwinAttention(c, heads, 7, shift)
        self.norm2 = nn.LayerNorm(c, eps=1e-5)
        self.fc1, self.fc2 = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class PatchMerging(nn.Module):
    """Liu et al. 2021, sec. 3.1: the features of each 2x2 group of tokens concatenated
    (torchvision's order: (0, 0), (1, 0), (0, 1), (1, 1)), LN, a linear layer to 2C."""

    def __init__(self, c: int):
        super().__init__()
        self.norm = nn.LayerNorm(4 * c, eps=1e-5)
        self.reduction = nn.Linear(4 * c, 2 * c, bias=False)

    def forward(self, x):
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]],
                      -1)
        return self.reduction(self.norm(x))


class SwinT(nn.Module):
    """Liu et al. 2021, Table 7 (Swin-T): patch embedding (4x4 stride-4 conv, LN), stages
    of 2, 2, 6, 2 blocks with 3, 6, 12, 24 heads and 7x7 windows (odd blocks shifted by
    3), patch merging before stages 2-4, LN, average pooling, a linear classifier."""

    def __init__(self, c: int = 96, classes: int = 1000):
        super().__init__()
        self.embed = nn.Conv2d(3, c, 4, 4)
        self.embed_norm = nn.LayerNorm(c, eps=1e-5)
        self.stages = nn.ModuleList()
        for s, (depth, heads) in enumerate(zip((2, 2, 6, 2), (3, 6, 12, 24), strict=True)):
            width = c << s
            merge = [PatchMerging(width // 2)] if s else []
            self.stages.append(nn.Sequential(*merge, *(SwinBlock(width, heads, 3 * (i % 2))
                                                       for i in range(depth))))
        self.norm = nn.LayerNorm(8 * c, eps=1e-5)
        self.head = nn.Linear(8 * c, classes)

    def forward(self, x):
        x = self.embed_norm(self.embed(x).permute(0, 2, 3, 1))
        for stage in self.stages:
            x = stage(x)
        return self.head(self.norm(x).mean((1, 2)))


def copy_swin(ref: SwinT, gm: nn.Module) -> None:
    """Copy the reference's weights into the compiled Swin-T, unit by unit in order:
    linear layers into 1x1 convs, patch merging's channels permuted from torchvision's
    concatenation order to pixel unshuffle's (channel c of offset (dy, dx) is
    c * 4 + dy * 2 + dx there, (dx * 2 + dy) * C + c in torchvision)."""

    def units(model):
        out, inside = [], set()
        for m in model.modules():
            if id(m) in inside:
                continue
            if hasattr(m, "relative_position_bias_table"):
                out.append(m)
                inside |= {id(x) for x in m.modules()}
            elif isinstance(m, (nn.Conv2d, nn.Linear, nn.LayerNorm)):
                out.append(m)
        return out

    merging = {id(m.norm): m for m in ref.modules() if isinstance(m, PatchMerging)}
    merging |= {id(m.reduction): m for m in merging.values()}
    src, dst = units(ref), units(gm)
    assert len(src) == len(dst)
    with torch.no_grad():
        for a, b in zip(src, dst, strict=True):
            if hasattr(a, "relative_position_bias_table"):
                b.load_state_dict({**a.state_dict(), "relative_position_index":
                                   b.relative_position_index})
                continue
            perm = None
            if id(a) in merging:
                c = a.weight.shape[-1] // 4 if isinstance(a, nn.Linear) else a.weight.shape[0] // 4
                m = torch.arange(4 * c)
                ch, dy, dx = m // 4, (m % 4) // 2, m % 2
                perm = (dx * 2 + dy) * c + ch
            for name, p in a.named_parameters(recurse=False):
                q = getattr(b, name)
                value = p if perm is None else (p[perm] if p.dim() == 1 else p[:, perm])
                q.copy_(value.reshape(q.shape))


@pytest.mark.parametrize(("c", "sizes"), [
    (24, [(64, 64), (96, 128)]),
    pytest.param(96, [(224, 224), (160, 192)], marks=pytest.mark.slow),
])
def test_swin_t_equals_torchvisions_layout(c, sizes, one_torch_thread):
    torch.manual_seed(0)
    ref = SwinT(c).double().eval()
    ir = mgdsl.load(EXAMPLES / "swin_t.mg", c=c, size=sizes[0][0])
    gm = mgdsl.to_fx(ir).double().eval()
    assert mgdsl.stats(ir).params == param_count(gm) == param_count(ref)
    if c == 96:
        assert param_count(ref) == 28_288_354  # torchvision's swin_t
    copy_swin(ref, gm)
    _agree_at_sizes(ref, gm, "swin_t.mg", sizes, c=c, size=sizes[0][0])


class EfficientAttention(nn.Module):
    """Xie et al. 2021, eq. (2) (the authors' `Attention`, on (B, N, C) tokens): queries from
    every token; keys and values from the tokens reduced by an R x R stride-R conv and a
    layer norm (R > 1), projected by one linear layer to 2C (keys, then values); softmax
    attention with 1/sqrt(d) over `heads` heads, an output projection."""

    def __init__(self, c: int, heads: int, sr: int):
        super().__init__()
        self.heads, self.sr_ratio = heads, sr
        self.q = nn.Linear(c, c)
        if sr > 1:
            self.sr = nn.Conv2d(c, c, sr, sr)
            self.norm = nn.LayerNorm(c)
        self.kv = nn.Linear(c, 2 * c)
        self.proj = nn.Linear(c, c)

    def forward(self, x, h, w):
        b, n, c = x.shape
        d = c // self.heads
        q = self.q(x).reshape(b, n, self.heads, d).transpose(1, 2)
        if self.sr_ratio > 1:
            grid = x.transpose(1, 2).reshape(b, c, h, w)
            x = self.norm(self.sr(grid).flatten(2).transpose(1, 2))
        k, v = self.kv(x).reshape(b, -1, 2, self.heads, d).permute(2, 0, 3, 1, 4)
        y = (q @ k.transpose(-2, -1) * d ** -0.5).softmax(-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, n, c))


class MixFFN(nn.Module):
    """Xie et al. 2021, eq. (3): Linear to 4C, 3x3 depthwise conv, GELU, Linear back."""

    def __init__(self, c: int):
        super().__init__()
        self.fc1 = nn.Linear(c, 4 * c)
        self.dwconv = nn.Conv2d(4 * c, 4 * c, 3, padding=1, groups=4 * c)
        self.fc2 = nn.Linear(4 * c, c)

    def forward(self, x, h, w):
        b, n, _ = x.shape
        y = self.fc1(x).transpose(1, 2).reshape(b, -1, h, w)
        return self.fc2(F.gelu(self.dwconv(y).flatten(2).transpose(1, 2)))


class MiTBlock(nn.Module):
    def __init__(self, c: int, heads: int, sr: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(c, eps=1e-6)
        self.attn = EfficientAttention(c, heads, sr)
        self.norm2 = nn.LayerNorm(c, eps=1e-6)
        self.mlp = MixFFN(c)

    def forward(self, x, h, w):
        x = x + self.attn(self.norm1(x), h, w)
        return x + self.mlp(self.norm2(x), h, w)


class SegFormerB0(nn.Module):
    """Xie et al. 2021, Figure 2 with MiT-B0 (Table 6: widths 32, 64, 160, 256, 2 blocks
    per stage, heads 1, 2, 5, 8, reduction 8, 4, 2, 1): overlapping patch embeddings (7x7
    stride 4, then 3x3 stride 2) with LN, blocks, LN per stage; the all-MLP decoder: a
    linear layer per stage to 256, bilinear upsampling to 1/4, concatenation (stage 4
    first), a 1x1 conv + BN + ReLU, a 1x1 classifier."""

    def __init__(self, classes: int = 150, e: int = 256):
        super().__init__()
        dims, heads, srs = (32, 64, 160, 256), (1, 2, 5, 8), (8, 4, 2, 1)
        self.stages = nn.ModuleList()
        for i, (c, hd, sr) in enumerate(zip(dims, heads, srs, strict=True)):
            stage = nn.Module()
            k, s = (7, 4) if i == 0 else (3, 2)
            stage.patch = nn.Conv2d(3 if i == 0 else dims[i - 1], c, k, s, k // 2)
            stage.patch_norm = nn.LayerNorm(c)
            stage.blocks = nn.ModuleList(MiTBlock(c, hd, sr) for _ in range(2))
            stage.norm = nn.LayerNorm(c, eps=1e-6)
            self.stages.append(stage)
        self.linear_c = nn.ModuleList(nn.Linear(c, e) for c in dims)
        self.fuse = nn.Conv2d(4 * e, e, 1, bias=False)
        self.fuse_bn = nn.BatchNorm2d(e)
        self.pred = nn.Conv2d(e, classes, 1)

    def forward(self, x):
        feats = []
        for stage in self.stages:
            x = stage.patch(x)
            b, c, h, w = x.shape
            t = stage.patch_norm(x.flatten(2).transpose(1, 2))
            for block in stage.blocks:
                t = block(t, h, w)
            x = stage.norm(t).transpose(1, 2).reshape(b, c, h, w)
            feats.append(x)
        size = feats[0].shape[-2:]
        maps = []
        for f, linear in zip(feats, self.linear_c, strict=True):
            m = linear(f.flatten(2).transpose(1, 2)).transpose(1, 2)
            m = m.reshape(f.shape[0], -1, *f.shape[-2:])
            maps.append(F.interpolate(m, size=size, mode="bilinear", align_corners=False))
        fused = F.relu(self.fuse_bn(self.fuse(torch.cat(maps[::-1], 1))))
        return self.pred(fused)


def copy_segformer(ref: SegFormerB0, gm: nn.Module) -> None:
    """The reference's weights into the compiled SegFormer-B0, layer by layer in the order
    the `.mg` file creates them (the key/value projection split into two 1x1 convs)."""
    src = []
    for stage in ref.stages:
        src += [stage.patch, stage.patch_norm]
        for block in stage.blocks:
            a = block.attn
            kv = (("k", a.kv, slice(0, a.q.out_features)),
                  ("v", a.kv, slice(a.q.out_features, None)))
            src += [block.norm1, a.q, *([a.sr, a.norm] if a.sr_ratio > 1 else []), *kv, a.proj,
                    block.norm2, block.mlp.fc1, block.mlp.dwconv, block.mlp.fc2]
        src.append(stage.norm)
    src += [*ref.linear_c, ref.fuse, ref.fuse_bn, ref.pred]
    dst = [m for m in gm.modules()
           if isinstance(m, (nn.Conv2d, nn.LayerNorm, nn.BatchNorm2d)) and m is not gm]
    assert len(src) == len(dst)
    with torch.no_grad():
        for a, b in zip(src, dst, strict=True):
            if isinstance(a, tuple):
                _, layer, rows = a
                b.weight.copy_(layer.weight[rows].reshape(b.weight.shape))
                b.bias.copy_(layer.bias[rows])
                continue
            if isinstance(a, nn.BatchNorm2d):
                b.load_state_dict(a.state_dict())
                continue
            for name, p in a.named_parameters(recurse=False):
                getattr(b, name).copy_(p.reshape(getattr(b, name).shape))


@pytest.mark.parametrize("sizes", [
    [(64, 64), (96, 128)],
    pytest.param([(512, 512), (384, 512)], marks=pytest.mark.slow),
])
def test_segformer_b0_equals_the_authors_layout(sizes, one_torch_thread):
    torch.manual_seed(0)
    ref = SegFormerB0().double()
    ir = mgdsl.load(EXAMPLES / "segformer_b0.mg", size=sizes[0][0])
    gm = mgdsl.to_fx(ir).double()
    assert mgdsl.stats(ir).params == param_count(gm) == param_count(ref) == 3_752_694
    x = torch.randn(2, 3, *sizes[0], dtype=torch.float64)
    randomise(ref, x)
    copy_segformer(ref, gm)
    gm.eval()
    _agree_at_sizes(ref, gm, "segformer_b0.mg", sizes, size=sizes[0][0],
                    out=lambda h, w: (2, 150, h // 4, w // 4))


class CBAM(nn.Module):
    """Woo et al. 2018, eq. (2)-(3), as the authors' code: channel attention
    sigmoid(MLP(avgpool(F)) + MLP(maxpool(F))) with one MLP (Linear C -> C/r, ReLU,
    Linear -> C), then spatial attention sigmoid(BN(conv7x7([max_c(F); mean_c(F)])))."""

    def __init__(self, c: int, r: int = 16):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(c, c // r), nn.ReLU(), nn.Linear(c // r, c))
        self.spatial = nn.Conv2d(2, 1, 7, padding=3, bias=False)
        self.spatial_bn = nn.BatchNorm2d(1)

    def forward(self, x):
        x = x * torch.sigmoid(self.mlp(x.mean((2, 3))) + self.mlp(x.amax((2, 3))))[..., None, None]
        maps = torch.cat([x.amax(1, keepdim=True), x.mean(1, keepdim=True)], 1)
        return x * torch.sigmoid(self.spatial_bn(self.spatial(maps)))


class CBAMBottleneck(Bottleneck):
    """He et al. 2016's bottleneck with CBAM on the residual branch before the sum (the
    authors' `Bottleneck` with `use_cbam`)."""

    def __init__(self, cin: int, ch: int):
        super().__init__(cin, ch)
        self.cbam = CBAM(4 * ch)

    def forward(self, x):
        y = self.cbam(self.conv3(F.relu(self.conv2(F.relu(self.conv1(x))))))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))

    def mg_order(self) -> list[nn.Module]:
        """Layers in the order the `.mg` block creates them: the branch, CBAM, the shortcut."""
        cbam = [*self.cbam.mlp[::2], self.cbam.spatial, self.cbam.spatial_bn]
        return [*layers(self.conv1), *layers(self.conv2), *layers(self.conv3), *cbam,
                *(layers(self.shortcut) if self.shortcut is not None else [])]


@pytest.mark.parametrize("sizes", [[(56, 56), (40, 52)]])
def test_cbam_on_a_resnet50_stage(sizes, one_torch_thread):
    torch.manual_seed(0)
    ref = nn.Sequential(CBAMBottleneck(64, 64), CBAMBottleneck(256, 64),
                        CBAMBottleneck(256, 64)).double()
    ir = mgdsl.load(EXAMPLES / "cbam_resnet_stage.mg")
    gm = mgdsl.to_fx(ir).double()
    count = param_count(ref)
    assert mgdsl.stats(ir).params == param_count(gm) == count == 215_808 + 3 * 8_564
    x = torch.randn(2, 64, *sizes[0], dtype=torch.float64)
    randomise(ref, x)
    src = [m for block in ref for m in block.mg_order()]
    dst = layers(gm)
    assert len(src) == len(dst)
    with torch.no_grad():
        for a, b in zip(src, dst, strict=True):
            for name, p in a.state_dict().items():
                getattr(b, name).copy_(p.reshape(getattr(b, name).shape))
    gm.eval()
    _agree_at_sizes(ref, gm, "cbam_resnet_stage.mg", sizes, channels=64, input_name="x")


class SeparableConvBN(nn.Module):
    """A depthwise 3x3 conv without bias, a pointwise conv with bias, BN (eps 1e-3)."""

    def __init__(self, c: int):
        super().__init__()
        self.depthwise = nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False)
        self.pointwise = nn.Conv2d(c, c, 1)
        self.bn = nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)

    def forward(self, x):
        return self.bn(self.pointwise(self.depthwise(x)))


class BiFPNLayer(nn.Module):
    """Tan et al. 2020, Figure 2(d) and eq. for P6_td / P6_out, as the authors' code: 8
    fusion nodes (top-down P6, P5, P4, P3; bottom-up P4, P5, P6, P7), each
    O = conv(swish(sum_i w_i I_i)) with w = relu(w) / (sum relu(w) + 1e-4); resampling by
    nearest 2x upsampling and 3x3 stride-2 max pooling (padding 1)."""

    def __init__(self, c: int):
        super().__init__()
        self.weights = nn.ParameterList(nn.Parameter(torch.ones(n))
                                        for n in (2, 2, 2, 2, 3, 3, 3, 2))
        self.convs = nn.ModuleList(SeparableConvBN(c) for _ in range(8))

    def fuse(self, i: int, *xs):
        w = F.relu(self.weights[i])
        w = w / (w.sum() + 1e-4)
        return self.convs[i](F.silu(sum(wi * x for wi, x in zip(w, xs, strict=True))))

    def forward(self, p3, p4, p5, p6, p7):
        up = functools.partial(F.interpolate, scale_factor=2, mode="nearest")
        down = functools.partial(F.max_pool2d, kernel_size=3, stride=2, padding=1)
        td6 = self.fuse(0, p6, up(p7))
        td5 = self.fuse(1, p5, up(td6))
        td4 = self.fuse(2, p4, up(td5))
        out3 = self.fuse(3, p3, up(td4))
        out4 = self.fuse(4, p4, td4, down(out3))
        out5 = self.fuse(5, p5, td5, down(out4))
        out6 = self.fuse(6, p6, td6, down(out5))
        out7 = self.fuse(7, p7, down(out6))
        return out3, out4, out5, out6, out7


class BiFPN(nn.Module):
    def __init__(self, c: int = 64, layers: int = 3):
        super().__init__()
        self.layers = nn.ModuleList(BiFPNLayer(c) for _ in range(layers))

    def forward(self, *p):
        for layer in self.layers:
            p = layer(*p)
        return {f"p{i + 3}": x for i, x in enumerate(p)}


def test_efficientdet_d0_bifpn(one_torch_thread):
    torch.manual_seed(0)
    ref = BiFPN().double()
    ir = mgdsl.load(EXAMPLES / "bifpn.mg")
    gm = mgdsl.to_fx(ir).double()
    assert mgdsl.stats(ir).params == param_count(gm) == param_count(ref) == 116_793
    sizes = [[(64, 64 >> i, 64 >> i) for i in range(5)],
             [(64, 48 >> i, 80 >> i) for i in range(5)]]  # sizes divisible by 2^4
    xs = [torch.randn(2, *s, dtype=torch.float64) for s in sizes[0]]
    with torch.no_grad():
        for w in ref.parameters():
            if w.dim() == 1 and w.numel() <= 3:  # fusion weights: not all equal
                w.uniform_(0.2, 1.5)

    randomise_inputs(ref, xs)
    src = [m for layer in ref.layers for i in range(8)
           for m in (("w", layer.weights[i]), layer.convs[i].depthwise,
                     layer.convs[i].pointwise, layer.convs[i].bn)]
    dst = [m for m in gm.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))
           or type(m).__name__ == "Learned"]
    assert len(src) == len(dst)
    with torch.no_grad():
        for a, b in zip(src, dst, strict=True):
            if isinstance(a, tuple):
                b.weight.copy_(a[1])
            else:
                b.load_state_dict(a.state_dict())
    gm.eval()
    for shapes in sizes:
        named = dict(zip(ir.graph["inputs"], shapes, strict=True))
        mgdsl.load(EXAMPLES / "bifpn.mg", inputs=named)
        xs = [torch.randn(2, *s, dtype=torch.float64) for s in shapes]
        with torch.no_grad():
            want, got = ref(*xs), gm(*xs)
        for key in want:
            assert want[key].std() > 0.05, key
            torch.testing.assert_close(got[key], want[key], atol=1e-5, rtol=0, msg=key)
