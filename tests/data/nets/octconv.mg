# Octave convolution (Chen et al., "Drop an Octave", ICCV 2019) with alpha = 0.5: a
# high- and a low-frequency grid; each output adds the same-frequency conv and the
# cross-frequency one (pooled then conv going down, conv then upsampled going up).
use "std.mg"

block octconv(p, c) {
    y = p
    up = upsample(conv(p[1:], c[0]), like = p[:1])
    y[:1] = relu(bn(conv(p[:1], c[0]) + up))
    y[1:] = relu(bn(conv(p[1:], c[1]) + conv(avgpool(p[:1]), c[1])))
    return y
}

network OctNet(w = 32, classes = 10) {
    input image: 3 x 32 x 32
    p = stems(image, [w, w], levels = 2)
    section octave {
        repeat 3 { p = octconv(p, [w, w]) }
    }
    up = upsample(conv(p[1:], 2 * w), like = p[:1])
    h = relu(bn(conv(p[:1], 2 * w) + up))
    output logits = linear(flatten(gap(h)), classes)
}
