# ConvNeXt-T — Z. Liu, H. Mao, C.-Y. Wu, C. Feichtenhofer, T. Darrell, S. Xie, "A ConvNet
# for the 2020s", CVPR 2022 (Table 9, ConvNeXt-T: C = (96, 192, 384, 768), B = (3, 3, 9, 3)).
# Reproduced: torchvision's `convnext_tiny` exactly — a 4x4 stride-4 patchify stem with
# layer norm, four stages of ConvNeXt blocks (7x7 depthwise conv, layer norm, 1x1 MLP with
# GELU, layer scale starting at 1e-6), a layer norm and a 2x2 stride-2 conv between
# stages, global average pooling, a layer norm and a 1000-way linear classifier.
# 28,589,128 parameters at 3x224x224. (Stochastic depth is the identity in eval mode.)
# `w` is the first stage's width (96 as published; the stages double it).
use "std.mg"

network ConvNeXtT(classes = 1000, w = 96, size = 224) {
    input image: 3 x size x size
    dims = [w, 2 * w, 4 * w, 8 * w]
    depths = [3, 3, 9, 3]

    section stem {
        p = layernorm(conv(image, dims[0], 4, stride = 4))
    }
    repeat 4 as i {
        if i > 0 {
            p = conv(layernorm(p), dims[i], 2, stride = 2)
        }
        repeat depths[i] { p = convnext(p) }
    }
    output logits = linear(flatten(layernorm(gap(p))), classes)
}
