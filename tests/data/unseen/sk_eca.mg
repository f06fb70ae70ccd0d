# Selective Kernel unit (Li et al., CVPR 2019, SKNet) with M = 2 branches (3x3, and 3x3
# dilated by 2 in place of 5x5, as the paper suggests), G = 4 groups, reduction r = 4,
# L = 8; and an ECA block (Wang et al., CVPR 2020): a k = 3 1-D convolution across the
# channels of the pooled vector, without bias, then a sigmoid gate.
#
# Softmax across the two branches (per channel) is written as
# sigmoid(a0 - a1) and 1 - sigmoid(a0 - a1), which equals it for M = 2.
# The 1-D conv across channels is written with `split` into single channels and a
# three-tap learned kernel `param(3)`.

block sk(x, ch, groups = 4, r = 4, l = 8) {
    u0 = relu(bn(conv(x, ch, 3, groups = groups, bias = false)))
    u1 = relu(bn(conv(x, ch, 3, groups = groups, dilation = 2, bias = false)))
    z = relu(bn(conv(gap(u0 + u1), max(ch // r, l), 1, bias = false)))
    a = sigmoid(conv(z, ch, 1) - conv(z, ch, 1))
    return u0 * a + u1 * (1 - a)
}

block eca(x) {
    c = channels(x)[0]
    s = split(gap(x), 1)
    w = param(3, init = 0.5)
    y = w[1] * s[0] + w[2] * s[1]
    repeat c - 2 as i { y = concat(y, w[0] * s[i] + w[1] * s[i + 1] + w[2] * s[i + 2]) }
    y = concat(y, w[0] * s[c - 2] + w[1] * s[c - 1])
    return x * sigmoid(y)
}

network SKECA(c = 16) {
    input image: 16 x 16 x 16
    output y = eca(sk(image, c))
}
