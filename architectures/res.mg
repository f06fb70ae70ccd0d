# RES-(10n+2): the single-grid residual baseline of Table 1 (CIFAR-100), Figure 3 "RES";
# n = 1, 2, 3, 4 gives RES-12/22/32/42: a stem, then n basic residual units
# per section (zero-padded identity shortcuts where the width grows), max-pool after each.
# Note: RES-12 computes 266.06 M MACs; the paper prints 266.02 M.
use "std.mg"

network RES(n = 3, w = 64, classes = 100) {
    default bn.eps = 1e-5
    default linear.bias_init = "zero"
    input image: 3 x 32 x 32

    section s1 {
        p = cbr(image, w)
        repeat n { p = resmg(p, w) }
        p = maxpool(p)
    }
    section s2 {
        repeat n { p = resmg(p, 2 * w) }
        p = maxpool(p)
    }
    section s3 {
        repeat n { p = resmg(p, 4 * w) }
        p = maxpool(p)
    }
    section s4 {
        repeat n { p = resmg(p, 8 * w) }
        p = maxpool(p)
    }
    section s5 {
        repeat n { p = resmg(p, 8 * w) }
        p = maxpool(p)
    }
    output logits = classifier(p, classes)
}
