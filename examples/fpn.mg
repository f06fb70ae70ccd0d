# FPN on ResNet-18 — T.-Y. Lin, P. Dollar, R. Girshick, K. He, B. Hariharan, S. Belongie,
# "Feature Pyramid Networks for Object Detection", CVPR 2017; backbone from K. He et al.,
# "Deep Residual Learning for Image Recognition", CVPR 2016.
# Reproduced: torchvision's `resnet_fpn_backbone("resnet18")` with trainable batch norm —
# the ResNet-18 stages C2..C5 (strides 4..32), a 1x1 lateral conv per stage to 256
# channels, the top-down pathway (nearest 2x upsampling to the lateral's size, added), a
# 3x3 output conv per level (laterals and outputs with bias), and P6 as a 1x1 stride-2
# max-pool of P5. The outputs are P2..P6, finest first. 13,783,616 parameters; `w` is the
# backbone's stem width (64 as published), `c` the pyramid's (the paper's d = 256).
use "std.mg"

block cbn(p, ch, k = 3, stride = 1) { return bn(conv(p, ch, k, stride = stride, bias = false)) }
# Basic block: two 3x3 convs; the shortcut is the identity, or a 1x1 conv + BN projection
# where the block changes the stride or the width.
block basic(p, ch, stride = 1) {
    y = cbn(relu(cbn(p, ch, stride = stride)), ch)
    if stride == 1 and channels(p)[0] == ch {
        s = p
    } else {
        s = cbn(p, ch, 1, stride = stride)
    }
    return relu(y + s)
}

# Lin et al.'s top-down pathway with lateral connections on a pyramid of backbone stages.
block fpn(c, ch) {
    t = conv(c, ch, 1)
    repeat len(c) - 1 as i {
        j = len(c) - 2 - i
        t[j] = t[j] + upsample(t[j + 1], like = t[j])
    }
    return conv(t, ch, 3)
}

network FPNResNet18(c = 256, w = 64, size = 224) {
    input image: 3 x size x size

    section backbone {
        x = relu(cbn(image, w, 7, stride = 2))
        c2 = basic(basic(maxpool(x, 3, stride = 2, pad = 1, ceil = false), w), w)
        c3 = basic(basic(c2, 2 * w, stride = 2), 2 * w)
        c4 = basic(basic(c3, 4 * w, stride = 2), 4 * w)
        c5 = basic(basic(c4, 8 * w, stride = 2), 8 * w)
    }
    section neck { p = fpn(concat(c2, c3, c4, c5), c) }
    output p2 = p[0]
    output p3 = p[1]
    output p4 = p[2]
    output p5 = p[3]
    output p6 = maxpool(p[3], 1, stride = 2, ceil = false)
}
