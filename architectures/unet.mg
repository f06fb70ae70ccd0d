# U-NET-11: the encoder-decoder baseline of Tables 2 and 3 (64x64 MNIST segmentation and
# spatial transformation), Section 4.2. One conv unit per level (not two as in
# Ronneberger et al.), 2x2 stride-2 transposed convs up, skip concatenations, a 1x1 output
# unit without ReLU, then a sigmoid. classes = 10 (segmentation) or 1 (transformation).
use "std.mg"

network UNET(w = 64, classes = 10) {
    default bn.eps = 1e-3
    default bn.gamma = "uniform"
    default maxpool.ceil = false
    input image: 1 x 64 x 64

    section down {
        x1 = cbr(image, w)
        x2 = cbr(maxpool(x1), 2 * w)
        x3 = cbr(maxpool(x2), 4 * w)
        x4 = cbr(maxpool(x3), 8 * w)
    }
    section up {
        p = mgup(x4, x3, [4 * w])
        p = mgup(p, x2, [2 * w])
        p = mgup(p, x1, [w])
    }
    section head { output y = sigmoid(cb(p, classes, 1)) }
}
