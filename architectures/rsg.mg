# R-SG-20: the single-grid residual baseline of Tables 2 and 3 (64x64 MNIST), Section 4.2;
# No code exists: reconstructed as R-PMG-20's finest-grid layers: a stem, six
# basic residual units at 64x64, and R-PMG-20's output unit (1x1 convs, projection
# shortcut, no final ReLU). classes = 10 (segmentation) or 1 (transformation).
use "std.mg"

network RSG20(units = 6, w = 64, classes = 10) {
    default bn.eps = 1e-5
    input image: 1 x 64 x 64

    section b1 { p = cbr(image, w) }
    section body {
        repeat units { p = resmg(p, w) }
    }
    section head { output y = sigmoid(resmg_proj_linear(p, classes, k = 1)) }
}
