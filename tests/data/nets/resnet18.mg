# ResNet-18 for ImageNet (He et al., "Deep Residual Learning for Image Recognition", CVPR
# 2016, Table 1): basic blocks of two 3x3 convs; the first block of layers 2-4 halves the
# resolution with a stride-2 conv and a 1x1 stride-2 projection shortcut. 11.69 M params.
use "std.mg"

block basic(p, ch) { return relu(bn(conv(relu(bn(conv(p, ch))), ch)) + p) }
block basic_down(p, ch) {
    return relu(bn(conv(relu(bn(conv(p, ch, 3, stride = 2))), ch)) + bn(conv(p, ch, 1, stride = 2)))
}

network ResNet18(classes = 1000) {
    default conv.bias = false
    input image: 3 x 224 x 224
    x = relu(bn(conv(image, 64, 7, stride = 2)))
    x = maxpool(x, 3, stride = 2, pad = 1)
    section layer1 {
        x = basic(x, 64)
        x = basic(x, 64)
    }
    section layer2 {
        x = basic_down(x, 128)
        x = basic(x, 128)
    }
    section layer3 {
        x = basic_down(x, 256)
        x = basic(x, 256)
    }
    section layer4 {
        x = basic_down(x, 512)
        x = basic(x, 512)
    }
    output logits = linear(flatten(gap(x)), classes)
}
