# R-MG with a non-local block on its coarsest grid — the residual multigrid network of
# T.-W. Ke, M. Maire, S. X. Yu, "Multigrid Neural Architectures", CVPR 2017, with the
# embedded-Gaussian non-local block of X. Wang, R. Girshick, A. Gupta, K. He, "Non-local
# Neural Networks", CVPR 2018 (Figure 2).
# Reproduced: three grids (64, 32, 16 pixels), one res-mg-unit per stage with a 2x2
# max-pool between stages; before the last unit the coarsest grid (4 x 4) passes through a
# non-local block, whose result the unit's mg-convs carry to the finer grids: theta, phi, g 1x1 convs to half the channels, softmax(theta^T phi) g,
# a 1x1 conv back and batch norm, added to the grid. `attention` scales its logits by
# 1/sqrt(d), the non-local block does not: theta is multiplied by sqrt(d) to cancel it.
# A new network (no published count); its PyTorch reference is written from the papers.
use "std.mg"

# Non-local block (embedded Gaussian), inner width half the grid's channels.
block non_local(x) {
    c = channels(x)[0]
    d = c // 2
    theta = conv(x, d, 1) * d ** 0.5
    y = attention(theta, conv(x, d, 1), conv(x, d, 1))
    return x + bn(conv(y, c, 1))  # allow(W102): the authors' W has a bias
}

network MGNonLocal(w = 32, classes = 100) {
    input image: 3 x 64 x 64

    section s1 {
        p = stems(image, [w, w / 2, w / 4], levels = 3)
        p = mgpool(resmg(p, [w, w / 2, w / 4]))
    }
    section s2 { p = mgpool(resmg(p, [2 * w, w, w / 2])) }
    section s3 {
        p[2:] = non_local(p[2:])
        p = resmg(p, [4 * w, 2 * w, w])
    }
    output logits = classifier(gap(p), classes)
}
