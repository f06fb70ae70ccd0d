# A ResNet-50 stage with CBAM — S. Woo, J. Park, J.-Y. Lee, I. S. Kweon, "CBAM:
# Convolutional Block Attention Module", ECCV 2018, Figure 3, on the bottlenecks of
# K. He, X. Zhang, S. Ren, J. Sun, "Deep Residual Learning for Image Recognition",
# CVPR 2016.
# Reproduced: conv2_x of ResNet-50 (three bottlenecks 64 -> 256 on the 56 x 56 grid after
# the stem, a projection shortcut in the first) with the authors' CBAM (`cbam` of std.mg,
# reduction 16) on each residual branch before the sum, as their `Bottleneck` with
# `use_cbam`. The channel MLP is one set of weights applied to the average- and the
# max-pooled grid (`shared = "fc1"`, `"fc2"` inside `cbam`).
use "std.mg"

block cbn(p, ch, k = 3, stride = 1) { return bn(conv(p, ch, k, stride = stride, bias = false)) }

block bottleneck_cbam(p, ch) {
    y = cbn(relu(cbn(relu(cbn(p, ch, 1)), ch)), 4 * ch, 1)
    y = cbam(y)
    if channels(p)[0] == 4 * ch {
        s = p
    } else {
        s = cbn(p, 4 * ch, 1)
    }
    return relu(y + s)
}

network CBAMStage(ch = 64, blocks = 3) {
    input x: 64 x 56 x 56
    repeat blocks { x = bottleneck_cbam(x, ch) }
    output y = x
}
