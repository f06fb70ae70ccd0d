# VGG-(5n+1): the single-grid baseline of Table 1 (CIFAR-100), Figure 3 "VGG".
# n = 1, 2, 3, 4 gives VGG-6/11/16/21. Widths are the paper's 64-128-256-512-512 (the
# authors' vgg.lua has 102..816, which matches no row of the table).
# Note: VGG-6 has 3,965,028 parameters; the paper prints 3.96 M, not 3.97 M.
use "std.mg"

network VGG(n = 3, w = 64, classes = 100) {
    default bn.eps = 1e-3
    default bn.gamma = "uniform"
    input image: 3 x 32 x 32
    p = image

    section s1 {
        repeat n { p = cbr(p, w) }
        p = maxpool(p)
    }
    section s2 {
        repeat n { p = cbr(p, 2 * w) }
        p = maxpool(p)
    }
    section s3 {
        repeat n { p = cbr(p, 4 * w) }
        p = maxpool(p)
    }
    section s4 {
        repeat n { p = cbr(p, 8 * w) }
        p = maxpool(p)
    }
    section s5 {
        repeat n { p = cbr(p, 8 * w) }
        p = maxpool(p)
    }
    output logits = classifier(p, classes)
}
