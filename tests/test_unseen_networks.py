"""Networks from papers the other tests have not seen, written from the docs alone (issue 23).

Each `.mg` file under tests/data/unseen/ was written as a new user would, from README.md,
docs/language.md and `mgdsl ops` / `mgdsl blocks`; each reference below is plain PyTorch
written from its paper (and the layout of the code its authors released), not from mgdsl's
output. For every network: the parameter count of the IR, of the compiled module and of the
reference agree; the reference's randomised weights are copied into the compiled module by
order (shapes must agree, a linear layer's weight is a 1x1 conv's); outputs agree to 1e-5 in
float64 at the declared size and at another one. The emitted source (`mgdsl compile`)
loads the fx module's state dict and computes the same; `mgdsl export --dynamic --verify`
passes (slow).
"""

from __future__ import annotations

import importlib.util
import math

import pytest
import torch
import torch.nn.functional as F
from paths import TESTS
from torch import nn

import mgdsl
from mgdsl.cli.main import main

pytestmark = pytest.mark.torch  # imports torch

UNSEEN = TESTS / "data" / "unseen"


def tokens(x: torch.Tensor) -> torch.Tensor:
    """B x C x H x W -> B x HW x C."""
    return x.flatten(2).transpose(1, 2)


def grid(t: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """B x HW x C -> B x C x H x W."""
    return t.transpose(1, 2).reshape(t.shape[0], -1, h, w)


# ----------------------------------------------------------------------- PVTv2-b0 stage 1


class SRAttention(nn.Module):
    """PVT's spatial-reduction attention (PVTv2 `Attention`, linear=False)."""

    def __init__(self, dim: int, heads: int, sr: int):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)
        self.sr = nn.Conv2d(dim, dim, sr, sr)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x, h, w):
        b, n, c = x.shape
        q = self.q(x).reshape(b, n, self.heads, c // self.heads).permute(0, 2, 1, 3)
        r = self.norm(tokens(self.sr(grid(x, h, w))))
        kv = self.kv(r).reshape(b, -1, 2, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        k, v = kv[0], kv[1]
        a = ((q @ k.transpose(-2, -1)) * self.scale).softmax(-1)
        return self.proj((a @ v).transpose(1, 2).reshape(b, n, c))

    def mg_tensors(self):
        """In the `.mg` file's order: q, sr conv, its norm, k and v (halves of kv), proj."""
        c = self.q.out_features
        return [self.q.weight, self.q.bias, self.sr.weight, self.sr.bias, self.norm.weight,
                self.norm.bias, self.kv.weight[:c], self.kv.bias[:c], self.kv.weight[c:],
                self.kv.bias[c:], self.proj.weight, self.proj.bias]


class ConvFFN(nn.Module):
    """PVTv2's `Mlp`: fc1, 3x3 depthwise conv, GELU, fc2."""

    def __init__(self, dim: int, ratio: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, ratio * dim)
        self.dwconv = nn.Conv2d(ratio * dim, ratio * dim, 3, 1, 1, groups=ratio * dim)
        self.fc2 = nn.Linear(ratio * dim, dim)

    def forward(self, x, h, w):
        return self.fc2(F.gelu(tokens(self.dwconv(grid(self.fc1(x), h, w)))))


class PVTv2Block(nn.Module):
    def __init__(self, dim: int, heads: int, sr: int, ratio: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = SRAttention(dim, heads, sr)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = ConvFFN(dim, ratio)

    def forward(self, x, h, w):
        x = x + self.attn(self.norm1(x), h, w)
        return x + self.mlp(self.norm2(x), h, w)


class PVTv2Stage1(nn.Module):
    """PVTv2-b0's first stage: OverlapPatchEmbed(7, stride 4), two blocks, LayerNorm."""

    def __init__(self, dim=32, heads=1, sr=8, ratio=8, depth=2):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, 7, 4, 3)
        self.embed_norm = nn.LayerNorm(dim)
        self.blocks = nn.ModuleList(PVTv2Block(dim, heads, sr, ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, image):
        x = self.proj(image)
        h, w = x.shape[2:]
        x = self.embed_norm(tokens(x))
        for block in self.blocks:
            x = block(x, h, w)
        return grid(self.norm(x), h, w)

    def mg_tensors(self):
        out = [self.proj.weight, self.proj.bias, self.embed_norm.weight, self.embed_norm.bias]
        for b in self.blocks:
            out += [b.norm1.weight, b.norm1.bias, *b.attn.mg_tensors(), b.norm2.weight,
                    b.norm2.bias, *b.mlp.state_dict(keep_vars=True).values()]
        return out + [self.norm.weight, self.norm.bias]


# ------------------------------------------------------------------------- FCOS head


class Scale(nn.Module):
    """FCOS's per-level learned scalar (init 1.0)."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor([1.0]))

    def forward(self, x):
        return x * self.scale


class FCOSHead(nn.Module):
    """Tian et al. 2019 (FCOS code layout): cls and box towers of 4 x (conv3x3, GN(32), ReLU)
    shared across levels; cls_logits and centerness on the cls tower; bbox_pred times a
    per-level Scale, then ReLU (norm_reg_targets)."""

    def __init__(self, c=32, classes=8, groups=32, levels=5):
        super().__init__()

        def tower():
            mods = []
            for _ in range(4):
                mods += [nn.Conv2d(c, c, 3, 1, 1), nn.GroupNorm(groups, c), nn.ReLU()]
            return nn.Sequential(*mods)

        self.cls_tower, self.bbox_tower = tower(), tower()
        self.cls_logits = nn.Conv2d(c, classes, 3, 1, 1)
        self.centerness = nn.Conv2d(c, 1, 3, 1, 1)
        self.bbox_pred = nn.Conv2d(c, 4, 3, 1, 1)
        self.scales = nn.ModuleList(Scale() for _ in range(levels))

    def forward(self, *feats):
        out = []
        for level, f in enumerate(feats):
            cls, box = self.cls_tower(f), self.bbox_tower(f)
            out += [self.cls_logits(cls), self.centerness(cls),
                    F.relu(self.scales[level](self.bbox_pred(box)))]
        return out

    def mg_tensors(self):
        """The `.mg` file interleaves the towers (cls conv, cls GN, box conv, box GN, ...)
        and holds the five scales as one `param(5)`."""
        out = []
        for i in range(4):
            for tower in (self.cls_tower, self.bbox_tower):
                conv, gn = tower[3 * i], tower[3 * i + 1]
                out += [conv.weight, conv.bias, gn.weight, gn.bias]
        for head in (self.cls_logits, self.centerness, self.bbox_pred):
            out += [head.weight, head.bias]
        return out + [torch.cat([s.scale for s in self.scales])]


# ------------------------------------------------------------------ Attention U-Net


def double_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU())


class AttentionGate(nn.Module):
    """Oktay et al. 2018, Fig. 2 (their `GridAttentionBlock2D`, sub-sample factor 2):
    theta (2x2 stride-2 conv, no bias) on x, phi (1x1) on g, psi (1x1) -> sigmoid,
    bilinear resampling to x's size, x * alpha, then W (1x1 conv + BN)."""

    def __init__(self, cx: int, cg: int, inter: int):
        super().__init__()
        self.theta = nn.Conv2d(cx, inter, 2, 2, bias=False)
        self.phi = nn.Conv2d(cg, inter, 1)
        self.psi = nn.Conv2d(inter, 1, 1)
        self.W = nn.Sequential(nn.Conv2d(cx, cx, 1), nn.BatchNorm2d(cx))

    def forward(self, x, g):
        f = F.relu(self.theta(x) + self.phi(g))
        alpha = torch.sigmoid(self.psi(f))
        alpha = F.interpolate(alpha, size=x.shape[2:], mode="bilinear", align_corners=False)
        return self.W(x * alpha)


class Up(nn.Module):
    def __init__(self, cin: int, cskip: int, cout: int):
        super().__init__()
        self.gate = AttentionGate(cskip, cin, cskip // 2)
        self.conv = double_conv(cskip + cin, cout)

    def forward(self, x, skip):
        up = F.interpolate(x, size=skip.shape[2:], mode="bilinear", align_corners=False)
        return self.conv(torch.cat([self.gate(skip, x), up], 1))


class AttentionUNet(nn.Module):
    def __init__(self, c=8, classes=2):
        super().__init__()
        self.e1, self.e2, self.e3 = double_conv(3, c), double_conv(c, 2 * c), double_conv(2 * c, 4 * c)
        self.up2, self.up1 = Up(4 * c, 2 * c, 2 * c), Up(2 * c, c, c)
        self.out = nn.Conv2d(c, classes, 1)

    def forward(self, image):
        e1 = self.e1(image)
        e2 = self.e2(F.max_pool2d(e1, 2))
        e3 = self.e3(F.max_pool2d(e2, 2))
        return self.out(self.up1(self.up2(e3, e2), e1))


# ------------------------------------------------------------------------- SK + ECA


class SKUnit(nn.Module):
    """Li et al. 2019 (SKNet's `SKConv`), M = 2 (3x3, and 3x3 dilated 2), G groups,
    d = max(C / r, L); per-channel softmax across the branches."""

    def __init__(self, c=16, groups=4, r=4, min_width=8):
        super().__init__()
        d = max(c // r, min_width)
        self.branches = nn.ModuleList(
            nn.Sequential(nn.Conv2d(c, c, 3, 1, dil, dil, groups, bias=False),
                          nn.BatchNorm2d(c), nn.ReLU()) for dil in (1, 2))
        self.fc = nn.Sequential(nn.Conv2d(c, d, 1, bias=False), nn.BatchNorm2d(d), nn.ReLU())
        self.fcs = nn.ModuleList(nn.Conv2d(d, c, 1) for _ in range(2))

    def forward(self, x):
        us = [b(x) for b in self.branches]
        z = self.fc(F.adaptive_avg_pool2d(sum(us), 1))
        a = torch.stack([fc(z) for fc in self.fcs], 0).softmax(0)
        return sum(u * w for u, w in zip(us, a, strict=True))


class ECA(nn.Module):
    """Wang et al. 2020: GAP, a k = 3 1-D conv across channels (no bias), sigmoid gate."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 1, 3, padding=1, bias=False)

    def forward(self, x):
        y = F.adaptive_avg_pool2d(x, 1)
        y = self.conv(y.squeeze(-1).transpose(-1, -2)).transpose(-1, -2).unsqueeze(-1)
        return x * torch.sigmoid(y)


class SKECA(nn.Module):
    def __init__(self, c=16):
        super().__init__()
        self.sk, self.eca = SKUnit(c), ECA()

    def forward(self, x):
        return self.eca(self.sk(x))


# ---------------------------------------------------------------------------- UNet++


class UNetPP(nn.Module):
    """Zhou et al. 2018 (layout of the widely used `NestedUNet`): VGG blocks, max-pool 2,
    bilinear upsampling with aligned corners, X(i, j) = block(cat(X(i, 0..j-1), up(X(i+1, j-1)))),
    a 1x1 conv on X(0, 3). Blocks are registered in the order the `.mg` file builds them."""

    ORDER = ["00", "10", "01", "20", "11", "02", "30", "21", "12", "03"]

    def __init__(self, c=4, classes=1):
        super().__init__()
        width = [c, 2 * c, 4 * c, 8 * c]

        def cin(i, j):
            if j == 0:
                return 3 if i == 0 else width[i - 1]
            return j * width[i] + width[i + 1]

        self.blocks = nn.ModuleDict(
            {k: double_conv(cin(int(k[0]), int(k[1])), width[int(k[0])]) for k in self.ORDER})
        self.out = nn.Conv2d(c, classes, 1)

    def forward(self, image):
        x = {}
        for k in self.ORDER:
            i, j = int(k[0]), int(k[1])
            if j == 0:
                inp = image if i == 0 else F.max_pool2d(x[f"{i - 1}0"], 2)
            else:
                up = F.interpolate(x[f"{i + 1}{j - 1}"], scale_factor=2, mode="bilinear",
                                   align_corners=True)
                inp = torch.cat([x[f"{i}{m}"] for m in range(j)] + [up], 1)
            x[k] = self.blocks[k](inp)
        return self.out(x["03"])


# -------------------------------------------------------------------- MobileViT block


class MViTLayer(nn.Module):
    """ml-cvnets' `TransformerEncoder`: pre-norm MHA (one qkv projection, heads of
    consecutive channels) and pre-norm FFN (Linear, SiLU, Linear), both residual."""

    def __init__(self, d: int, ffn: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.norm2 = nn.LayerNorm(d)
        self.fc1, self.fc2 = nn.Linear(d, ffn), nn.Linear(ffn, d)

    def forward(self, x):                       # x: B*P x N x d
        b, n, d = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        a = ((q * (d // self.heads) ** -0.5) @ k.transpose(-1, -2)).softmax(-1)
        x = x + self.out((a @ v).transpose(1, 2).reshape(b, n, d))
        return x + self.fc2(F.silu(self.fc1(self.norm2(x))))

    def mg_tensors(self):
        d = self.out.in_features
        w, bias = self.qkv.weight, self.qkv.bias
        return [self.norm1.weight, self.norm1.bias,
                *[t for i in range(3) for t in (w[i * d:(i + 1) * d], bias[i * d:(i + 1) * d])],
                self.out.weight, self.out.bias, self.norm2.weight, self.norm2.bias,
                self.fc1.weight, self.fc1.bias, self.fc2.weight, self.fc2.bias]


def conv_bn_silu(cin: int, cout: int, k: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, 1, k // 2, bias=False), nn.BatchNorm2d(cout),
                         nn.SiLU())


class MobileViTBlock(nn.Module):
    """Mehta and Rastegari 2022, Fig. 1b (ml-cvnets `MobileViTBlock`), 2x2 patches."""

    def __init__(self, c=8, d=16, ffn=32, heads=2, layers=2):
        super().__init__()
        self.local3 = conv_bn_silu(c, c, 3)
        self.local1 = nn.Conv2d(c, d, 1, bias=False)
        self.layers = nn.ModuleList(MViTLayer(d, ffn, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.proj = conv_bn_silu(d, c, 1)
        self.fusion = conv_bn_silu(2 * c, c, 3)

    def forward(self, x):
        t = self.local1(self.local3(x))
        b, d, h, w = t.shape
        # unfold: B x d x H x W -> B*4 x N x d, the pixels at one offset of every patch
        u = t.reshape(b, d, h // 2, 2, w // 2, 2).permute(0, 3, 5, 2, 4, 1)
        u = u.reshape(b * 4, (h // 2) * (w // 2), d)
        for layer in self.layers:
            u = layer(u)
        u = self.norm(u)
        t = u.reshape(b, 2, 2, h // 2, w // 2, d).permute(0, 5, 3, 1, 4, 2).reshape(b, d, h, w)
        return self.fusion(torch.cat([x, self.proj(t)], 1))

    def mg_tensors(self):
        out = [*state_tensors(self.local3), self.local1.weight]
        for layer in self.layers:
            out += layer.mg_tensors()
        return out + [self.norm.weight, self.norm.bias, *state_tensors(self.proj),
                      *state_tensors(self.fusion)]


# ---------------------------------------------------------------------------- checks


def state_tensors(module: nn.Module) -> list[torch.Tensor]:
    """A module's parameters and BN statistics in registration order (no counters)."""
    return [t for k, t in module.state_dict(keep_vars=True).items()
            if not k.endswith("num_batches_tracked")]


def randomise(ref: nn.Module) -> None:
    """Weights ~ N(0, 0.3) (scales near 1), BN statistics random but valid."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, t in ref.state_dict(keep_vars=True).items():
            if name.endswith("num_batches_tracked"):
                continue
            noise = torch.randn(t.shape, generator=gen, dtype=t.dtype)
            if name.endswith("running_var"):
                t.copy_(0.5 + noise.abs())
            elif name.endswith(("norm.weight", "norm1.weight", "norm2.weight", "scale")) or (
                    t.dim() == 1 and "weight" in name):
                t.copy_(1 + 0.1 * noise)
            else:
                t.copy_(0.3 * noise)


def copy_into(src: list[torch.Tensor], module: nn.Module) -> None:
    """Copy `src` pairwise into the module's state (same number of elements each; a linear
    layer's out x in weight into a 1x1 conv's out x in x 1 x 1)."""
    dst = [(k, t) for k, t in module.state_dict().items()
           if not k.endswith("num_batches_tracked")]
    assert len(src) == len(dst), [k for k, _ in dst]
    with torch.no_grad():
        for s, (k, d) in zip(src, dst, strict=True):
            assert s.numel() == d.numel(), (k, tuple(s.shape), tuple(d.shape))
            d.copy_(s.reshape(d.shape))


CASES = {
    # file: (reference factory, input sizes per call: a list of (C, H, W) per input)
    "pvtv2_b0_stage1": (PVTv2Stage1, [[(3, 64, 64)], [(3, 96, 64)]]),
    "fcos_head": (FCOSHead, [[(32, 32 // 2 ** i, 32 // 2 ** i) for i in range(5)],
                             [(32, 40, 48), (32, 20, 24), (32, 10, 12), (32, 5, 6), (32, 3, 3)]]),
    "attention_unet": (AttentionUNet, [[(3, 32, 32)], [(3, 24, 40)]]),
    "sk_eca": (SKECA, [[(16, 16, 16)], [(16, 12, 20)]]),
    "unetpp": (UNetPP, [[(3, 32, 32)], [(3, 24, 40)]]),
    "mobilevit_block": (MobileViTBlock, [[(8, 16, 16)], [(8, 12, 20)]]),
}
# the same files with other parameters: (file, parameters), reference built with them
VARIANTS = {
    # PVTv2-b0 stage 2's attention settings: 64 channels, 2 heads, spatial reduction 4
    "pvtv2_b0_stage1[heads=2]": ("pvtv2_b0_stage1", {"dim": 64, "heads": 2, "sr": 4}),
    "mobilevit_block[heads=4]": ("mobilevit_block", {"heads": 4, "layers": 1}),
}
# MACs the reference has and the `.mg` file cannot count: ECA's 1-D conv across channels
# (16 outputs x 3 taps), written as products with learned scalars
UNCOUNTED_MACS = {"sk_eca": 16 * 3}

# parameter counts worked out by hand from the papers' layer lists
PUBLISHED = {
    # stem 3*32*49+32 + LN 64; per block: 2 LN 128, q/k/v/proj 4*(32*32+32), sr 32*32*64+32,
    # sr LN 64, fc1 32*256+256, dw 256*9+256, fc2 256*32+32; final LN 64
    "pvtv2_b0_stage1": 4736 + 64 + 2 * (128 + 4224 + 65568 + 64 + 8448 + 2560 + 8224) + 64,
    # towers 8 * (32*32*9+32 + 64); heads (8+1+4) * (32*9+1); scales 5
    "fcos_head": 8 * (9248 + 64) + 13 * 289 + 5,
}


def as_list(y) -> list[torch.Tensor]:
    """A module's outputs as a list (several outputs come as a dict in `output` order)."""
    if isinstance(y, dict):
        return list(y.values())
    return list(y) if isinstance(y, (list, tuple)) else [y]


def reference_for(name: str, params: dict | None = None
                  ) -> tuple[nn.Module, list[torch.Tensor]]:
    ref = CASES[name][0](**(params or {})).double().eval()
    randomise(ref)
    tensors = ref.mg_tensors() if hasattr(ref, "mg_tensors") else state_tensors(ref)
    return ref, tensors


def reference_macs(ref: nn.Module, shapes: list[tuple]) -> int:
    """Multiply-accumulates of the reference, as torch's FlopCounterMode counts them."""
    from torch.utils.flop_counter import FlopCounterMode

    xs = [torch.zeros((1, *s), dtype=torch.float64) for s in shapes]
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        ref(*xs)
    return counter.get_total_flops() // 2


@pytest.mark.parametrize("case", sorted(CASES) + sorted(VARIANTS))
def test_unseen_network_equals_its_paper(case, one_torch_thread):
    name, params = VARIANTS.get(case, (case, {}))
    ir = mgdsl.load(str(UNSEEN / f"{name}.mg"), **params)
    module = mgdsl.to_fx(ir).double().eval()
    ref, tensors = reference_for(name, params)
    count = sum(p.numel() for p in ref.parameters())
    assert mgdsl.stats(ir).params == count == sum(p.numel() for p in module.parameters())
    if case in PUBLISHED:
        assert count == PUBLISHED[case]
    declared = [ir.nodes[n].shape for n in ir.graph["inputs"].values()]
    assert mgdsl.stats(ir).macs + UNCOUNTED_MACS.get(case, 0) == reference_macs(ref, declared)
    copy_into(tensors, module)
    gen = torch.Generator().manual_seed(1)
    for shapes in CASES[name][1]:
        xs = [torch.randn((2, *s), generator=gen, dtype=torch.float64) for s in shapes]
        with torch.no_grad():
            want, got = as_list(ref(*xs)), as_list(module(*xs))
        assert len(want) == len(got)
        for w, g in zip(want, got, strict=True):
            assert w.shape == g.shape
            assert torch.allclose(w, g, atol=1e-5, rtol=0), (shapes, (w - g).abs().max())


@pytest.mark.parametrize("name", sorted(CASES))
def test_unseen_network_compiled_source_equals_fx(name, tmp_path, one_torch_thread):
    path = str(UNSEEN / f"{name}.mg")
    out = tmp_path / f"{name}.py"
    assert main(["compile", path, "-o", str(out)]) == 0
    spec = importlib.util.spec_from_file_location(f"unseen_{name}", out)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    fx = mgdsl.load_module(path).double().eval()
    _, tensors = reference_for(name)
    copy_into(tensors, fx)
    classes = [v for v in vars(mod).values() if isinstance(v, type)
               and issubclass(v, nn.Module) and v.__module__ == mod.__name__]
    emitted = classes[-1]().double().eval()   # the network's class comes last
    emitted.load_state_dict(fx.state_dict())
    gen = torch.Generator().manual_seed(2)
    for shapes in CASES[name][1]:
        xs = [torch.randn((1, *s), generator=gen, dtype=torch.float64) for s in shapes]
        with torch.no_grad():
            for a, b in zip(as_list(fx(*xs)), as_list(emitted(*xs)), strict=True):
                assert torch.equal(a, b)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_unseen_network_exports_dynamic_and_verifies(name, tmp_path):
    pytest.importorskip("onnxruntime")
    out = tmp_path / f"{name}.onnx"
    assert main(["export", str(UNSEEN / f"{name}.mg"), "-o", str(out), "--dynamic",
                 "--verify"]) == 0


def test_sk_softmax_over_two_branches_is_a_sigmoid_of_the_difference():
    """The SK file's workaround (no softmax across branches) is exact for M = 2."""
    a, b = torch.randn(2, 5, dtype=torch.float64)
    p = torch.stack([a, b]).softmax(0)
    assert torch.allclose(p[0], torch.sigmoid(a - b)) and torch.allclose(p[1], 1 - torch.sigmoid(a - b))
    assert math.isclose(float(p.sum(0).mean()), 1.0)


PYRAMID_HEAD = """
network Head() {
    input p: pyramid [4 x 32 x 32, 4 x 16 x 16, 4 x 8 x 8]
    output fine = conv(p[0], 2, 1)
    output coarse = conv(p[2], 2, 1)
}
"""


def test_onnx_names_an_output_on_a_pyramid_inputs_grid_after_that_grid(tmp_path):
    """An output computed from `p[2]` has p_2's size, not `p_0_height/4` (wrong wherever
    the backbone rounds up: 40 -> 20 -> 10 -> 5 -> 3, not 40 / 16 = 2.5)."""
    pytest.importorskip("onnx")
    from mgdsl.codegen.onnx_export import export_onnx

    ir = mgdsl.build_graph(PYRAMID_HEAD)
    result = export_onnx(ir, tmp_path / "h.onnx", dynamic=True, source=PYRAMID_HEAD)
    assert result.outputs["fine"] == ["batch", 2, "p_0_height", "p_0_width"]
    assert result.outputs["coarse"] == ["batch", 2, "p_2_height", "p_2_width"]
