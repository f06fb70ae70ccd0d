# Branches side by side on one level, for the diagrams (issue 24): they must be drawn as
# the forks and merges they are, in lanes, and never folded into a chain.
use "std.mg"

# four 1x1 convs of one input, merged by a concatenation (an Inception-like head)
network Fork() {
    input image: 3 x 32 x 32
    a = conv(image, 4, 1)
    b = conv(image, 4, 1)
    c = conv(image, 4, 1)
    d = conv(image, 4, 1)
    output y = concat(a, conv(b + a, 4), conv(c, 4), d)
}

# a Res2Net unit (Gao et al. 2019) written out with parallel convs: the 1x1 conv's
# output split four ways, each 3x3 conv also reading the one before, then concatenated
network Res2() {
    input image: 3 x 32 x 32
    x = relu(conv(image, 16, 1))
    a = conv(x, 4, 1)
    b = relu(conv(x, 4, 3))
    c = relu(conv(b + a, 4, 3))
    d = relu(conv(c + a, 4, 3))
    output y = relu(conv(concat(a, b, c, d), 16, 1) + x)
}

# PSPNet's pyramid pooling (Zhao et al. 2017) on a 24 x 24 grid: bins of 1, 2, 3 and 6
# (avg pooling of strides 24, 12, 8, 4: the 2 x 2 and 6 x 6 bins lie on no pyramid level),
# each a 1x1 conv, upsampled back and concatenated with the grid
network PSP() {
    input image: 3 x 96 x 96
    x = cbr(avgpool(avgpool(image)), 16)
    p1 = upsample(conv(avgpool(x, 24, 24), 4, 1), like = x, mode = "bilinear")
    p2 = upsample(conv(avgpool(x, 12, 12), 4, 1), like = x, mode = "bilinear")
    p3 = upsample(conv(avgpool(x, 8, 8), 4, 1), like = x, mode = "bilinear")
    p6 = upsample(conv(avgpool(x, 4, 4), 4, 1), like = x, mode = "bilinear")
    output y = conv(concat(x, p1, p2, p3, p6), 8, 3)
}

# two identical conv + BN + ReLU layers on a 3-channel input: 3 -> 8, then 8 -> 8
network Twice() {
    input image: 3 x 32 x 32
    output y = cbr(cbr(image, 8), 8)
}
