# UNet++ (Zhou et al., DLMIA 2018), small: four levels of VGG blocks (two 3x3 conv + batch
# norm + ReLU); every node X(i, j) of the nested decoder sees all the nodes to its left on
# its level and the node below-left upsampled (bilinear, corners aligned, as in the
# authors' code); no deep supervision.

block vgg(x, ch) {
    x = relu(bn(conv(x, ch, 3)))
    return relu(bn(conv(x, ch, 3)))
}

block up(x) { return upsample(x, scale = 2, mode = "bilinear", align_corners = true) }

network UNetPP(c = 4, classes = 1) {
    input image: 3 x 32 x 32
    x00 = vgg(image, c)
    x10 = vgg(maxpool(x00), 2 * c)
    x01 = vgg(concat(x00, up(x10)), c)
    x20 = vgg(maxpool(x10), 4 * c)
    x11 = vgg(concat(x10, up(x20)), 2 * c)
    x02 = vgg(concat(x00, x01, up(x11)), c)
    x30 = vgg(maxpool(x20), 8 * c)
    x21 = vgg(concat(x20, up(x30)), 4 * c)
    x12 = vgg(concat(x10, x11, up(x21)), 2 * c)
    x03 = vgg(concat(x00, x01, x02, up(x12)), c)
    output seg = conv(x03, classes, 1)
}
