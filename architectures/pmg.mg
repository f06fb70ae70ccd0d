# PMG-(7n+2) and PMG-sm-(7n+2): Table 1 (CIFAR-100), Figure 3 "PMG".
# n = 1, 2, 3 gives PMG-9/16/23; w = 64 is "full", w = 40 is "sm". Section 1 is
# progressive (coarsest grid first); sections 2–5 are those of MG.
# Note: the paper's "PMG-30" and "PMG-sm-30" rows are n = 3, i.e. 23 layers
# deep (depth = 7n + 2); their printed numbers are reproduced here with n = 3.
use "std.mg"

network PMG(n = 3, w = 64, classes = 100) {
    default bn.eps = 1e-3
    default bn.gamma = "uniform"
    input image: 3 x 32 x 32

    section s1 {
        p = stems(image, [w, w / 2, w / 4], levels = 3)
        p = pmg_start(p, [w, w / 2, w / 4], n)
        p = mgpool(p)
    }
    section s2 {
        repeat n { p = mgcbr(p, [2 * w, w, w / 2]) }
        p = mgpool(p)
    }
    section s3 {
        repeat n { p = mgcbr(p, [4 * w, 2 * w, w]) }
        p = mgpool(p)
    }
    section s4 {
        repeat n { p = mgcbr(p, [8 * w, 4 * w, 2 * w], k = [3, 3, 1]) }
        p = mgpool_merge(p)
    }
    section s5 {
        repeat n { p = mgcbr(p, [8 * w, 6 * w], k = [3, 1]) }
        p = mgpool_merge(p)
    }
    output logits = classifier(p, classes)
}
