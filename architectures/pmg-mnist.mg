# PMG-11: progressive multigrid on 64x64 MNIST, Tables 2 and 3 (segmentation and spatial
# transformation), Sections 4.2–4.3. Four grids (64/32/16/8 px, widths
# 64/32/16/8), no pooling, n layers per block (nLayer; the paper's PMG-11 is n = 1).
# B1 is progressive; B5, B6 and B7 each drop the coarsest grid in their first layer (it is
# neither convolved nor fed upward). classes = 10 (segmentation) or 1 (transformation).
use "std.mg"

network PMG11(n = 1, w = 64, classes = 10) {
    default bn.eps = 1e-3
    default bn.gamma = "uniform"
    input image: 1 x 64 x 64
    ch = [w, w / 2, w / 4, w / 8]

    section b1 {
        p = stems(image, ch, levels = 4)
        p = pmg_start(p, ch, n)
    }
    section b2 {
        repeat n { p = mgcbr(p, ch) }
    }
    section b3 {
        repeat n { p = mgcbr(p, ch) }
    }
    section b4 {
        repeat n { p = mgcbr(p, ch) }
    }
    section b5 {
        repeat n { p = mgcbr(p[:3], ch[:3]) }
    }
    section b6 {
        repeat n { p = mgcbr(p[:2], ch[:2]) }
    }
    section b7 {
        repeat n - 1 { p = mgcbr(p[:1], classes) }
        output y = sigmoid(mgcb(p[:1], classes))
    }
}
