# EfficientDet-D0's BiFPN — M. Tan, R. Pang, Q. V. Le, "EfficientDet: Scalable and
# Efficient Object Detection", CVPR 2020, Figure 2(d) and section 3.3.
# Reproduced: three BiFPN layers of width 64 (D0) over P3-P7, given as a pyramid input
# of 64-channel grids (the backbone's maps after the first layer's channel adjustment,
# 512 x 512 image). Each of the 8 fusion nodes of a layer adds its inputs with fast
# normalised fusion, sum_i w_i I_i / (sum_j w_j + 1e-4) with w = relu(learned weights,
# starting at 1), then swish, a depthwise-separable 3x3 conv (depthwise without bias,
# pointwise with bias) and batch norm (eps 1e-3, momentum 0.01), as the authors' code;
# coarser inputs are upsampled (nearest, 2x), finer ones max-pooled (3x3, stride 2,
# padding 1).
use "std.mg"

block separable(x) {
    c = channels(x)[0]
    y = conv(conv(x, c, 3, groups = c, bias = false), c, 1)  # allow(W102): as the authors
    return bn(y, eps = 1e-3, momentum = 0.01)
}

block fuse2(a, b) {
    w = relu(param(2))
    return separable(silu((w[0] * a + w[1] * b) / (sum(w) + 1e-4)))
}

block fuse3(a, b, c) {
    w = relu(param(3))
    return separable(silu((w[0] * a + w[1] * b + w[2] * c) / (sum(w) + 1e-4)))
}

block down(x) { return maxpool(x, 3, stride = 2, pad = 1, ceil = false) }

# One BiFPN layer: the top-down path P7 -> P3, then the bottom-up path P3 -> P7, whose
# nodes also take the layer's input on their level.
block bifpn(p) {
    td6 = fuse2(p[3], upsample(p[4], like = p[3]))
    td5 = fuse2(p[2], upsample(td6, like = p[2]))
    td4 = fuse2(p[1], upsample(td5, like = p[1]))
    out3 = fuse2(p[0], upsample(td4, like = p[0]))
    out4 = fuse3(p[1], td4, down(out3))
    out5 = fuse3(p[2], td5, down(out4))
    out6 = fuse3(p[3], td6, down(out5))
    out7 = fuse2(p[4], down(out6))
    return concat(out3, out4, out5, out6, out7)
}

network BiFPN(w = 64, layers = 3) {
    input p: pyramid [w x 64 x 64, w x 32 x 32, w x 16 x 16, w x 8 x 8, w x 4 x 4]
    repeat layers { p = bifpn(p) }
    output p3 = p[0]
    output p4 = p[1]
    output p5 = p[2]
    output p6 = p[3]
    output p7 = p[4]
}
