# Oct-ResNet-50, alpha = 0.5 — Y. Chen, H. Fan, B. Xu, Z. Yan, Y. Kalantidis, M. Rohrbach,
# S. Yan, J. Feng, "Drop an Octave: Reducing Spatial Redundancy in Convolutional Neural
# Networks with Octave Convolution", ICCV 2019.
# Reproduced: ResNet-50 (torchvision layout, stride on the 3x3 conv) with every conv of the
# bottlenecks and projection shortcuts an octave conv splitting channels half and half
# between a high-frequency grid and a low-frequency grid at half its resolution: each
# output sums high-to-high, low-to-high (upsampled, nearest), low-to-low and high-to-low
# (average-pooled) convs; strides are 2x2 average pools before stride-1 convs, as in the
# authors' code. The first octave conv (layer1) takes one grid (alpha_in = 0); layer4
# returns to one grid (alpha_out = 0). OctConv keeps the parameter count: 25,557,032,
# exactly torchvision's resnet50. `w` is the stem's width (64 as published).
use "std.mg"

block cbn(p, ch, k = 3) { return bn(conv(p, ch, k, bias = false)) }

# Octave conv + BN on [high, low], ch / 2 channels on each: high-to-high, low-to-high,
# low-to-low, high-to-low. `oct_down` halves both resolutions (the high input pooled
# feeds the high output, the low input directly); `oct_in` splits one grid in two.
block oct(p, ch, k) {
    h = conv(p[0], ch / 2, k, bias = false)
    h = h + upsample(conv(p[1], ch / 2, k, bias = false), like = h)
    l = conv(p[1], ch / 2, k, bias = false) + conv(avgpool(p[0]), ch / 2, k, bias = false)
    return bn(concat(h, l))
}
block oct_down(p, ch, k) {
    x = avgpool(p[0])
    h = conv(x, ch / 2, k, bias = false) + conv(p[1], ch / 2, k, bias = false)
    l = conv(avgpool(p[1]), ch / 2, k, bias = false) + conv(avgpool(x), ch / 2, k, bias = false)
    return bn(concat(h, l))
}
block oct_in(x, ch, k) {
    h = conv(x, ch / 2, k, bias = false)
    l = conv(avgpool(x), ch / 2, k, bias = false)
    return bn(concat(h, l))
}

# Octave convs into one grid (alpha_out = 0), at the same or at half the resolution.
block oct_out(p, ch, k) {
    h = conv(p[0], ch, k, bias = false)
    return bn(h + upsample(conv(p[1], ch, k, bias = false), like = h))
}
block oct_out_down(p, ch, k) {
    return bn(conv(avgpool(p[0]), ch, k, bias = false) + conv(p[1], ch, k, bias = false))
}

# Octave bottlenecks: identity shortcut; the first of layer1 (one grid in); the first of
# layer2 and layer3 (stride 2, projection); the first of layer4 (back to one grid).
block obottle(p, ch) { return relu(oct(relu(oct(relu(oct(p, ch, 1)), ch, 3)), 4 * ch, 1) + p) }
block obottle_in(x, ch) {
    y = oct(relu(oct(relu(oct_in(x, ch, 1)), ch, 3)), 4 * ch, 1)
    return relu(y + oct_in(x, 4 * ch, 1))
}
block obottle_down(p, ch) {
    y = oct(relu(oct_down(relu(oct(p, ch, 1)), ch, 3)), 4 * ch, 1)
    return relu(y + oct_down(p, 4 * ch, 1))
}
block obottle_out(p, ch) {
    y = cbn(relu(cbn(avgpool(relu(oct_out(p, ch, 1))), ch)), 4 * ch, 1)
    return relu(y + oct_out_down(p, 4 * ch, 1))
}

# Plain bottleneck (layer4 after its first block).
block bottle(p, ch) { return relu(cbn(relu(cbn(relu(cbn(p, ch, 1)), ch)), 4 * ch, 1) + p) }

network OctResNet50(classes = 1000, w = 64, size = 224) {
    input image: 3 x size x size

    section stem {
        x = relu(bn(conv(image, w, 7, stride = 2, bias = false)))
        x = maxpool(x, 3, stride = 2, pad = 1, ceil = false)
    }
    section layer1 {
        p = obottle_in(x, w)
        repeat 2 { p = obottle(p, w) }
    }
    section layer2 {
        p = obottle_down(p, 2 * w)
        repeat 3 { p = obottle(p, 2 * w) }
    }
    section layer3 {
        p = obottle_down(p, 4 * w)
        repeat 5 { p = obottle(p, 4 * w) }
    }
    section layer4 {
        x = obottle_out(p, 8 * w)
        repeat 2 { x = bottle(x, 8 * w) }
    }
    output logits = linear(flatten(gap(x)), classes)
}
