# FPN on ResNet-18 — T.-Y. Lin, P. Dollar, R. Girshick, K. He, B. Hariharan, S. Belongie,
# "Feature Pyramid Networks for Object Detection", CVPR 2017; backbone from K. He et al.,
# "Deep Residual Learning for Image Recognition", CVPR 2016.
# Reproduced: torchvision's `resnet_fpn_backbone("resnet18")` with trainable batch norm —
# the ResNet-18 stages C2..C5 (strides 4..32), a 1x1 lateral conv per stage to 256
# channels, the top-down pathway (nearest 2x upsampling to the lateral's size, added), a
# 3x3 output conv per level (laterals and outputs with bias), and P6 as a 1x1 stride-2
# max-pool of P5. The outputs are P2..P6, finest first.
use "std.mg"

block cbn(p, ch, k = 3, stride = 1) { return bn(conv(p, ch, k, stride = stride, bias = false)) }
block basic(p, ch) { return relu(cbn(relu(cbn(p, ch)), ch) + p) }
block basic_down(p, ch) {
    return relu(cbn(relu(cbn(p, ch, stride = 2)), ch) + cbn(p, ch, 1, stride = 2))
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

network FPNResNet18(ch = 256, size = 224) {
    input image: 3 x size x size

    section backbone {
        x = relu(cbn(image, 64, 7, stride = 2))
        c2 = basic(basic(maxpool(x, 3, stride = 2, pad = 1, ceil = false), 64), 64)
        c3 = basic(basic_down(c2, 128), 128)
        c4 = basic(basic_down(c3, 256), 256)
        c5 = basic(basic_down(c4, 512), 512)
    }
    section neck { p = fpn(concat(c2, c3, c4, c5), ch) }
    output p2 = p[0]
    output p3 = p[1]
    output p4 = p[2]
    output p5 = p[3]
    output p6 = maxpool(p[3], 1, stride = 2, ceil = false)
}
