# R-MG with attention gates between scales — the residual multigrid network of T.-W. Ke,
# M. Maire, S. X. Yu, "Multigrid Neural Architectures", CVPR 2017, with the additive
# attention gates of O. Oktay, J. Schlemper, L. Le Folgoc, M. Lee, M. Heinrich, K. Misawa,
# K. Mori, S. McDonagh, N. Y. Hammerla, B. Kainz, B. Glocker, D. Rueckert, "Attention
# U-Net: Learning Where to Look for the Pancreas", MIDL 2018.
# Reproduced: three grids (32, 16, 8 pixels on CIFAR-sized input), one res-mg-unit per
# stage; after each unit every grid but the coarsest is gated by its coarser neighbour: a
# one-channel map sigmoid(psi(relu(theta(x) + phi(g)))) — theta a 2x2 stride-2 conv
# without bias, phi and psi 1x1 convs, half the gated grid's width inside — upsampled
# bilinearly and multiplied into every channel of the grid. A new network (no published
# count); its PyTorch reference is written from the two papers.
use "std.mg"

# Additive attention gate: `x` (finer grids) gated by `g` (their coarser neighbours).
block gate(x, g, inter) {
    a = relu(conv(x, inter, 2, stride = 2, pad = 0, bias = false) + conv(g, inter, 1))
    return x * upsample(sigmoid(conv(a, 1, 1)), like = x, mode = "bilinear")
}

# A res-mg-unit, then the gates between neighbouring grids.
block gated_stage(p, ch) {
    p = resmg(p, ch)
    p[:-1] = gate(p[:-1], p[1:], ch[:-1] // 2)
    return p
}

network RMGAttention(w = 32, classes = 100) {
    input image: 3 x 32 x 32

    section s1 {
        p = stems(image, [w, w / 2, w / 4], levels = 3)
        p = mgpool(gated_stage(p, [w, w / 2, w / 4]))
    }
    section s2 { p = mgpool(gated_stage(p, [2 * w, w, w / 2])) }
    section s3 { p = gated_stage(p, [4 * w, 2 * w, w]) }
    output logits = classifier(gap(p), classes)
}
