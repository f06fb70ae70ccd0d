# U-Net — O. Ronneberger, P. Fischer, T. Brox, "U-Net: Convolutional Networks for
# Biomedical Image Segmentation", MICCAI 2015.
# Reproduced: the widely used "milesial/Pytorch-UNet" variant with bilinear = false — two
# 3x3 conv + BN + ReLU units per level (padding 1, no bias, so sizes are kept, unlike the
# paper's unpadded convs and crops), four 2x2 max-pool steps down (64 to 1024 channels),
# 2x2 stride-2 transposed convs up (with bias), the skip concatenated before the upsampled
# map, and a 1x1 output conv. 31,037,763 parameters with 3 classes (any input divisible by 16).
# `w` is the first level's width (64 as published; every level doubles it).
use "std.mg"

# Two 3x3 conv + BN + ReLU units: the "double conv" of every level.
block double_conv(p, ch) {
    repeat 2 { p = relu(bn(conv(p, ch, 3, bias = false))) }
    return p
}

# One decoder step: transposed conv up (halving the width), skip first, then a double conv.
block up(p, skip, ch) { return double_conv(concat(skip, deconv(p, ch)), ch) }

network UNet(classes = 3, w = 64, size = 256) {
    default maxpool.ceil = false
    input image: 3 x size x size

    section down {
        x1 = double_conv(image, w)
        x2 = double_conv(maxpool(x1), 2 * w)
        x3 = double_conv(maxpool(x2), 4 * w)
        x4 = double_conv(maxpool(x3), 8 * w)
        x5 = double_conv(maxpool(x4), 16 * w)
    }
    section up {
        p = up(x5, x4, 8 * w)
        p = up(p, x3, 4 * w)
        p = up(p, x2, 2 * w)
        p = up(p, x1, w)
    }
    output logits = conv(p, classes, 1)
}
