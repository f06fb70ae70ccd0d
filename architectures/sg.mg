# SG-11: the single-grid baseline of Tables 2 and 3 (64x64 MNIST), Section 4.2.
# No code exists: the paper's "PMG with all grids but the finest removed" is reconstructed
# as PMG-11's finest-grid layers: a stem, six 64-channel conv units at 64x64, and a 3x3
# output conv with batch norm and no ReLU. classes = 10 (segmentation) or 1 (transformation).
use "std.mg"

network SG11(layers = 6, w = 64, classes = 10) {
    default bn.eps = 1e-3
    default bn.gamma = "uniform"
    input image: 1 x 64 x 64

    section b1 { p = cbr(image, w) }
    section body {
        repeat layers { p = cbr(p, w) }
    }
    section head { output y = sigmoid(cb(p, classes)) }
}
