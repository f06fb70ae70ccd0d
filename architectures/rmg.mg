# R-MG-(10n+2) and R-MG-sm-(10n+2): Table 1 (CIFAR-100), Figure 3 "R-MG".
# n = 1, 2, 3, 4 gives R-MG-12/22/32/42; w = 64 is "full", w = 40 is "sm". The input
# pyramid, then n res-mg-units per section (zero-padded identity shortcuts per grid).
# Note: the paper's FLOPs for the full-width rows are 0.58–0.84% below what
# this structure computes, while its parameter counts match exactly; we keep the structure.
use "std.mg"

network RMG(n = 3, w = 64, classes = 100) {
    default bn.eps = 1e-5
    default linear.bias_init = "zero"
    input image: 3 x 32 x 32

    section s1 {
        p = stems(image, [w, w / 2, w / 4], levels = 3)
        repeat n { p = resmg(p, [w, w / 2, w / 4]) }
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
