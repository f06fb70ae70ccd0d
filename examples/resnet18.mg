# ResNet-18 — K. He, X. Zhang, S. Ren, J. Sun, "Deep Residual Learning for Image
# Recognition", CVPR 2016 (Table 1, the 18-layer column).
# Reproduced: torchvision's `resnet18` exactly — a 7x7 stride-2 stem, a 3x3 stride-2
# max-pool, four stages of two basic blocks (64, 128, 256, 512 channels), a 1x1 conv + BN
# projection shortcut where a stage halves the resolution, global average pooling and a
# 1000-way linear classifier; convs have no bias. 11,689,512 parameters at 3x224x224.
use "std.mg"

# Conv + BN without bias, as torchvision writes its residual blocks.
block cbn(p, ch, k = 3, stride = 1) { return bn(conv(p, ch, k, stride = stride, bias = false)) }

# Basic block with an identity shortcut (same width, same resolution).
block basic(p, ch) { return relu(cbn(relu(cbn(p, ch)), ch) + p) }

# Basic block that halves the resolution and widens: the shortcut is a 1x1 stride-2 projection.
block basic_down(p, ch) {
    return relu(cbn(relu(cbn(p, ch, stride = 2)), ch) + cbn(p, ch, 1, stride = 2))
}

network ResNet18(classes = 1000) {
    input image: 3 x 224 x 224

    section stem {
        p = relu(cbn(image, 64, 7, stride = 2))
        p = maxpool(p, 3, stride = 2, pad = 1, ceil = false)
    }
    section layer1 {
        repeat 2 { p = basic(p, 64) }
    }
    section layer2 { p = basic(basic_down(p, 128), 128) }
    section layer3 { p = basic(basic_down(p, 256), 256) }
    section layer4 { p = basic(basic_down(p, 512), 512) }
    output logits = linear(flatten(gap(p)), classes)
}
