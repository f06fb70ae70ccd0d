# R-PMG-20: residual progressive multigrid on 64x64 MNIST, Tables 2 and 3.
# PMG-11 with residual units; n units per block (nLayer; the paper's R-PMG-20 is n = 1). The
# first unit of B5, B6 and B7 drops the coarsest grid. B7 has 1x1 convs and no final ReLU; its
# unit that narrows 64 -> classes has a projection shortcut, later ones the identity.
use "std.mg"

network RPMG20(n = 1, w = 64, classes = 10) {
    default bn.eps = 1e-5
    input image: 1 x 64 x 64
    ch = [w, w / 2, w / 4, w / 8]

    section b1 {
        p = stems(image, ch, levels = 4)
        p = rpmg_start(p, ch, n)
    }
    section b2 {
        repeat n { p = resmg(p, ch) }
    }
    section b3 {
        repeat n { p = resmg(p, ch) }
    }
    section b4 {
        repeat n { p = resmg(p, ch) }
    }
    section b5 {
        repeat n { p = resmg(p[:3], ch[:3]) }
    }
    section b6 {
        repeat n { p = resmg(p[:2], ch[:2]) }
    }
    section b7 {
        repeat n - 1 { p = resmg(p[:1], classes, k = 1) }
        if channels(p)[0] == classes {
            p = resmg_linear(p, classes, k = 1)
        } else {
            p = resmg_proj_linear(p[:1], classes, k = 1)
        }
        output y = sigmoid(p)
    }
}
