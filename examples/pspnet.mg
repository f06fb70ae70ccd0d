# PSPNet — H. Zhao, J. Shi, X. Qi, X. Wang, J. Jia, "Pyramid Scene Parsing Network",
# CVPR 2017 (Figure 3 and Section 4).
# Reproduced: the pyramid pooling module on a dilated ResNet-50 of output stride 8
# (torchvision's layout, as in `deeplabv3.mg`: layer3 and layer4 dilate by 2 and 4 instead
# of striding; the authors' deep-base stem is not used). The module average-pools the
# 2048-channel features to 1x1, 2x2, 3x3 and 6x6 bins with adaptive pooling — so the
# bins are right at every input size —, reduces each by a 1x1 conv + BN + ReLU to 512
# channels, upsamples them bilinearly (corners aligned, as the authors' code) and
# concatenates them with the features; a 3x3 conv + BN + ReLU to 512 channels, dropout
# 0.1 and a 1x1 classifier follow, upsampled to the input size. `size` is the declared
# input (473 as in the paper's experiments).
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

network PSPNet(classes = 21, w = 64, size = 473) {
    input image: 3 x size x size

    section backbone {
        x = relu(cbn(image, w, 7, stride = 2))
        x = maxpool(x, 3, stride = 2, pad = 1, ceil = false)
        x = layer(x, w, 3)
        x = layer(x, 2 * w, 4, stride = 2)
        x = layer(x, 4 * w, 6, dilation = 2)
        x = layer(x, 8 * w, 3, first = 2, dilation = 4)
    }
    section head {
        y = pyramid_pooling(x, 8 * w, bins = [1, 2, 3, 6])
        y = dropout(relu(cbn(y, 8 * w)), 0.1)
        y = conv(y, classes, 1)
        output out = upsample(y, like = image, mode = "bilinear", align_corners = true)
    }
}
