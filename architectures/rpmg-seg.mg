# R-PMG-30-SEG: residual progressive multigrid on ImageNet, Table 4.
# Four grids (56/28/14/7 after 7x7 stride-2 stems and a max-pool) kept to the end with no
# pooling; n res-mg-units per stage (zero-padded identity shortcuts, option A). The
# progressive s1 widens each newly joined set of grids to its finest member's width; the
# coarsest grid feeds a 7x7 average pool and the classifier.
# Note: this structure computes 9.52 G MACs; the paper prints 2.77 G, which no
# reading of the published structure reproduces (its 31.9 M parameters do match).
use "std.mg"

network RPMGSEG(n = 2, w = 64, classes = 1000) {
    default bn.eps = 1e-5
    default linear.bias_init = "zero"
    input image: 3 x 224 x 224
    ch = [w, w / 2, w / 4, w / 8]

    section s1 {
        p = stems7(image, ch, levels = 4)
        repeat 4 as i {
            repeat n { p[3 - i:] = resmg(p[3 - i:], ch[3 - i]) }
        }
    }
    section s2 {
        repeat n { p = resmg(p, [w, w, w, 2 * w]) }
    }
    section s3 {
        repeat n { p = resmg(p, [w, w, 2 * w, 4 * w]) }
    }
    section s4 {
        repeat n { p = resmg(p, [w, 2 * w, 4 * w, 8 * w]) }
    }
    output logits = classifier(avgpool(p[3], 7), classes)
}
