# MobileNetV2 — M. Sandler, A. Howard, M. Zhu, A. Zhmoginov, L.-C. Chen, "MobileNetV2:
# Inverted Residuals and Linear Bottlenecks", CVPR 2018.
# Reproduced: torchvision's `mobilenet_v2` (width 1.0, 224x224): a 3x3 stride-2 stem, the
# seventeen inverted-residual blocks of the paper's Table 2 (1x1 expansion by t, 3x3
# depthwise conv, 1x1 linear projection; identity shortcut where stride is 1 and the
# width is kept), a 1x1 conv to 1280, global average pooling, dropout 0.2 and a
# 1000-way classifier. 3,504,872 parameters.
use "std.mg"

# ReLU6 written with ReLUs: min(max(x, 0), 6) = relu(x) - relu(x - 6).
block relu6(x) { return relu(x) - relu(x - 6) }

# Conv + BN (no bias) + ReLU6; `groups = ch` makes it depthwise.
block cbr6(p, ch, k = 3, stride = 1, groups = 1) {
    return relu6(bn(conv(p, ch, k, stride = stride, groups = groups, bias = false)))
}

# Inverted residual without shortcut: expand by t, depthwise 3x3, project linearly to ch.
block inverted(p, ch, t, stride = 1) {
    hidden = t * channels(p)[0]
    h = cbr6(cbr6(p, hidden, 1), hidden, 3, stride = stride, groups = hidden)
    return bn(conv(h, ch, 1, bias = false))
}

# The first block: no expansion (t = 1).
block inverted_t1(p, ch) {
    c = channels(p)[0]
    return bn(conv(cbr6(p, c, 3, groups = c), ch, 1, bias = false))
}

# A stage of the table: n blocks of width ch and expansion t, the first with stride s.
block stage(p, t, ch, n, s) {
    p = inverted(p, ch, t, stride = s)
    repeat n - 1 { p = p + inverted(p, ch, t) }
    return p
}

network MobileNetV2(classes = 1000, size = 224) {
    input image: 3 x size x size

    section stem { p = inverted_t1(cbr6(image, 32, 3, stride = 2), 16) }
    section blocks {
        p = stage(p, 6, 24, 2, 2)
        p = stage(p, 6, 32, 3, 2)
        p = stage(p, 6, 64, 4, 2)
        p = stage(p, 6, 96, 3, 1)
        p = stage(p, 6, 160, 3, 2)
        p = stage(p, 6, 320, 1, 1)
    }
    section head { p = cbr6(p, 1280, 1) }
    output logits = linear(dropout(flatten(gap(p)), 0.2), classes)
}
