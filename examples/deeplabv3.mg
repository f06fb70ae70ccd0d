# DeepLabv3 — L.-C. Chen, G. Papandreou, F. Schroff, H. Adam, "Rethinking Atrous
# Convolution for Semantic Image Segmentation", arXiv:1706.05587, 2017.
# Reproduced: torchvision's `deeplabv3_resnet50` with its auxiliary head (21 classes): a
# ResNet-50 with output stride 8 (layer3 and layer4 dilate by 2 and 4 instead of
# striding), the ASPP head of the paper's Section 3.3 — a 1x1 conv, three 3x3 convs at
# rates 12, 24 and 36, and image pooling (global average, 1x1 conv, bilinear upsampling),
# each with BN + ReLU, concatenated, projected by a 1x1 conv, dropout 0.5 — then a 3x3 conv
# + BN + ReLU and a 1x1 classifier; the auxiliary FCN head reads layer3. Both outputs are
# upsampled bilinearly to the input size. 42,004,074 parameters. `w` is the stem's width
# (64 as published; the stages double it), `c` the heads' (256).
use "std.mg"

block cbn(p, ch, k = 3, stride = 1, dilation = 1) {
    return bn(conv(p, ch, k, stride = stride, dilation = dilation, bias = false))
}

# ResNet bottleneck, stride and dilation on the 3x3 conv; the shortcut is the identity, or
# a 1x1 conv + BN projection where the block changes the stride or the width.
block bottleneck(p, ch, stride = 1, dilation = 1) {
    y = relu(cbn(relu(cbn(p, ch, 1)), ch, stride = stride, dilation = dilation))
    y = cbn(y, 4 * ch, 1)
    if stride == 1 and channels(p)[0] == 4 * ch {
        s = p
    } else {
        s = cbn(p, 4 * ch, 1, stride = stride)
    }
    return relu(y + s)
}

# A ResNet stage of n bottlenecks; the first has dilation `first`, the others `dilation`.
block layer(p, ch, n, stride = 1, first = 1, dilation = 1) {
    p = bottleneck(p, ch, stride, first)
    repeat n - 1 { p = bottleneck(p, ch, 1, dilation) }
    return p
}

# A 3x3 atrous conv + BN + ReLU at `rate`.
block atrous(x, ch, rate) { return relu(cbn(x, ch, dilation = rate)) }

# Atrous spatial pyramid pooling (Chen et al. 2017, Section 3.3 and Figure 5).
block aspp(x, ch) {
    b = concat(relu(cbn(x, ch, 1)), atrous(x, ch, 12), atrous(x, ch, 24), atrous(x, ch, 36))
    pooled = upsample(relu(cbn(gap(x), ch, 1)), like = x, mode = "bilinear")
    return dropout(relu(cbn(concat(b, pooled), ch, 1)), 0.5)
}

network DeepLabV3(classes = 21, w = 64, c = 256, size = 520) {
    input image: 3 x size x size

    section backbone {
        x = relu(cbn(image, w, 7, stride = 2))
        x = maxpool(x, 3, stride = 2, pad = 1, ceil = false)
        x = layer(x, w, 3)
        x = layer(x, 2 * w, 4, stride = 2)
        c3 = layer(x, 4 * w, 6, dilation = 2)
        c4 = layer(c3, 8 * w, 3, first = 2, dilation = 4)
    }
    section head {
        y = conv(relu(cbn(aspp(c4, c), c)), classes, 1)
        output out = upsample(y, like = image, mode = "bilinear")
    }
    section aux {
        a = conv(dropout(relu(cbn(c3, c)), 0.1), classes, 1)
        output aux = upsample(a, like = image, mode = "bilinear")
    }
}
