# Feature Pyramid Network (Lin et al., "Feature Pyramid Networks for Object Detection",
# CVPR 2017) on a small strided backbone: 1x1 lateral convs, a top-down path that
# upsamples the coarser merged map and adds the lateral, and a 3x3 conv on each merge.
use "std.mg"

block down(p, ch) { return relu(bn(conv(p, ch, 3, stride = 2))) }

network FPN(d = 64) {
    input image: 3 x 128 x 128
    section backbone {
        c1 = cbr(image, 32)
        c2 = down(c1, 64)
        c3 = down(c2, 128)
        c4 = down(c3, 256)
        c5 = down(c4, 512)
    }
    section topdown {
        p5 = conv(c5, d, 1)
        p4 = conv(c4, d, 1) + upsample(p5, like = c4)
        p3 = conv(c3, d, 1) + upsample(p4, like = c3)
        p2 = conv(c2, d, 1) + upsample(p3, like = c2)
    }
    section heads {
        output o2 = conv(p2, d, 3)
        output o3 = conv(p3, d, 3)
        output o4 = conv(p4, d, 3)
        output o5 = conv(p5, d, 3)
    }
}
