# U-MG-11: U-NET with every grid replaced by a pyramid; Table 2 (64x64 MNIST segmentation),
# Section 4.2. Going down, each level drops the coarsest grid; going up, each
# level's pyramid is concatenated with the matching encoder pyramid. The 1x1 output mg-conv
# (no ReLU) runs on all three grids; only the finest reaches the sigmoid.
use "std.mg"

network UMG(w = 64, classes = 10) {
    default bn.eps = 1e-3
    default bn.gamma = "uniform"
    input image: 1 x 64 x 64

    section down {
        x1 = stems(image, [w, w / 2, w / 4], levels = 3)
        x2 = mgcbr(maxpool(x1), [2 * w, w, w / 2])
        x3 = mgcbr(maxpool(x2[:-1]), [4 * w, 2 * w])
        x4 = mgcbr(maxpool(x3[:-1]), 8 * w)
    }
    section up {
        p = mgup(x4, x3, [4 * w, 2 * w])
        p = mgup(p, x2, [2 * w, w, w / 2])
        p = mgup(p, x1, [w, w / 2, w / 4])
    }
    section head {
        p = mgcb(p, classes, 1)
        output y = sigmoid(p[0])
    }
}
