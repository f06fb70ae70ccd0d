# R-PMG-20: residual progressive multigrid on 64x64 MNIST, Tables 2 and 3, Sections
# 4.2–4.3; spec §5.4. PMG-11 with every layer after the input pyramid a residual unit;
# the dropping units drop the coarsest grid in their first mg-conv. The output unit B7 has
# 1x1 convs, a projection shortcut (64 -> classes) and no final ReLU. One unit per block
# (the paper's nLayer = 1): deeper output blocks change shortcut type unit by unit.
use "std.mg"

network RPMG20(w = 64, classes = 10) {
    default bn.eps = 1e-5
    input image: 1 x 64 x 64
    ch = [w, w / 2, w / 4, w / 8]

    section b1 {
        p = stems(image, ch, levels = 4)
        p = rpmg_start(p, ch, 1)
    }
    section b2 { p = resmg(p, ch) }
    section b3 { p = resmg(p, ch) }
    section b4 { p = resmg(p, ch) }
    section b5 { p = resmg(p[:-1], ch[:3]) }
    section b6 { p = resmg(p[:-1], ch[:2]) }
    section b7 {
        p = resmg_proj_linear(p[:-1], classes, k = 1)
        output y = sigmoid(p)
    }
}
