# Res2Net-50 (26w x 4s) — S.-H. Gao, M.-M. Cheng, K. Zhao, X.-Y. Zhang, M.-H. Yang,
# P. Torr, "Res2Net: A New Multi-scale Backbone Architecture", TPAMI 2021 (Figure 2).
# Reproduced: the authors' `res2net50_26w_4s` (as timm's) — a ResNet-50 whose bottleneck
# splits its 1x1 conv's output into `scale` groups of `width` channels: group 1 goes
# through a 3x3 conv, each later one through a 3x3 conv after the previous group's output
# is added to it (hierarchical residual connections), the last group passes through (or
# is average-pooled, in a stage's first block), and the groups are concatenated before
# the 1x1 conv back to 4x the planes. 25,699,120 parameters at 3x224x224. `w` is the
# stem's width and the first stage's planes (64 as published; the stages double them).
use "std.mg"

block cbn(p, ch, k = 3, stride = 1) { return bn(conv(p, ch, k, stride = stride, bias = false)) }

# Res2Net bottleneck: `planes` as ResNet's; each group has planes * 26 / 64 channels.
block res2(p, planes, stride = 1, base = 26, scale = 4) {
    w = planes * base // 64
    first = stride > 1 or channels(p)[0] != 4 * planes
    s = split(relu(bn(conv(p, w * scale, 1, bias = false))), w)
    sp = relu(cbn(s[0], w, stride = stride))
    y = sp
    repeat scale - 2 as j {
        if first {
            sp = s[j + 1]
        } else {
            sp = sp + s[j + 1]
        }
        sp = relu(cbn(sp, w, stride = stride))
        y = concat(y, sp)
    }
    if first {
        y = concat(y, avgpool(s[scale - 1], 3, stride = stride, pad = 1))
    } else {
        y = concat(y, s[scale - 1])
    }
    y = cbn(y, 4 * planes, 1)
    if first {
        p = cbn(p, 4 * planes, 1, stride = stride)
    }
    return relu(y + p)
}

network Res2Net50(classes = 1000, w = 64, size = 224) {
    input image: 3 x size x size
    planes = [w, 2 * w, 4 * w, 8 * w]
    depths = [3, 4, 6, 3]

    section stem {
        p = relu(cbn(image, w, 7, stride = 2))
        p = maxpool(p, 3, stride = 2, pad = 1, ceil = false)
    }
    repeat 4 as i {
        p = res2(p, planes[i], stride = min(i, 1) + 1)
        repeat depths[i] - 1 { p = res2(p, planes[i]) }
    }
    output logits = linear(flatten(gap(p)), classes)
}
