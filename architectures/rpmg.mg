# R-PMG-(14n+2) and R-PMG-sm-(14n+2): Table 1 (CIFAR-100), Figure 3 "R-PMG".
# n = 1, 2, 3 gives R-PMG-16/30/44; w = 64 is "full", w = 40 is "sm". PMG with every
# layer after the input pyramid turned into a res-mg-unit.
use "std.mg"

network RPMG(n = 2, w = 64, classes = 100) {
    default bn.eps = 1e-5
    default linear.bias_init = "zero"
    input image: 3 x 32 x 32

    section s1 {
        p = stems(image, [w, w / 2, w / 4], levels = 3)
        p = rpmg_start(p, [w, w / 2, w / 4], n)
        p = mgpool(p)
    }
    section s2 {
        repeat n { p = resmg(p, [2 * w, w, w / 2]) }
        p = mgpool(p)
    }
    section s3 {
        repeat n { p = resmg(p, [4 * w, 2 * w, w]) }
        p = mgpool(p)
    }
    section s4 {
        repeat n { p = resmg(p, [8 * w, 4 * w, 2 * w], k = [3, 3, 1]) }
        p = mgpool_merge(p)
    }
    section s5 {
        repeat n { p = resmg(p, [8 * w, 6 * w], k = [3, 1]) }
        p = mgpool_merge(p)
    }
    output logits = classifier(p, classes)
}
