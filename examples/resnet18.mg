# ResNet-18 — K. He, X. Zhang, S. Ren, J. Sun, "Deep Residual Learning for Image
# Recognition", CVPR 2016 (Table 1, the 18-layer column).
# Reproduced: torchvision's `resnet18` exactly — a 7x7 stride-2 stem, a 3x3 stride-2
# max-pool, four stages of two basic blocks (64, 128, 256, 512 channels), a 1x1 conv + BN
# projection shortcut where a stage halves the resolution, global average pooling and a
# 1000-way linear classifier; convs have no bias. 11,689,512 parameters at 3x224x224.
# `w` is the stem's width (64 as published; the stages double it).
use "std.mg"

# Conv + BN without bias, as torchvision writes its residual blocks.
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

network ResNet18(classes = 1000, w = 64) {
    input image: 3 x 224 x 224

    section stem {
        p = relu(cbn(image, w, 7, stride = 2))
        p = maxpool(p, 3, stride = 2, pad = 1, ceil = false)
    }
    section layer1 {
        repeat 2 { p = basic(p, w) }
    }
    section layer2 { p = basic(basic(p, 2 * w, stride = 2), 2 * w) }
    section layer3 { p = basic(basic(p, 4 * w, stride = 2), 4 * w) }
    section layer4 { p = basic(basic(p, 8 * w, stride = 2), 8 * w) }
    output logits = linear(flatten(gap(p)), classes)
}
