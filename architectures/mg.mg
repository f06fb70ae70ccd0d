# MG-(5n+1) and MG-sm-(5n+1): Table 1 (CIFAR-100), Figure 3 "MG".
# Depth 5n+1: n = 1, 2, 3, 4 gives MG-6/11/16/21; w = 64 is "full", w = 40 is "sm".
# Note: the paper's FLOPs for the full-width rows are 0.1–0.84% below what
# this structure computes, while its parameter counts match exactly; we keep the structure.
use "std.mg"

network MG(n = 3, w = 64, classes = 100) {
    default bn.eps = 1e-3
    default bn.gamma = "uniform"
    input image: 3 x 32 x 32

    section s1 {
        p = stems(image, [w, w / 2, w / 4], levels = 3)
        repeat n - 1 { p = mgcbr(p, [w, w / 2, w / 4]) }
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
