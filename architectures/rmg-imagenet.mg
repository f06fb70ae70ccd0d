# R-MG-34: residual multigrid on ImageNet, Table 4; Figure 2 (res-mg-unit).
# An input pyramid with 7x7 stride-2 stems and a max-pool (grids at 56/28/14), `units`
# res-mg-units per section (zero-padded identity shortcuts, option A), merge-pools after
# s2 and s3, then a 7x7 average pool and the classifier. Depth 2 * sum(units) + 2.
use "std.mg"

network RMG(units = [3, 4, 6, 3], w = 64, classes = 1000) {
    default bn.eps = 1e-5
    default linear.bias_init = "zero"
    input image: 3 x 224 x 224

    section s1 {
        p = stems7(image, [w, w / 2, w / 4], levels = 3)
        repeat units[0] { p = resmg(p, [w, w / 2, w / 4]) }
        p = mgpool(p)
    }
    section s2 {
        repeat units[1] { p = resmg(p, [2 * w, w, w / 2]) }
        p = mgpool_merge(p)
    }
    section s3 {
        repeat units[2] { p = resmg(p, [4 * w, 2 * w]) }
        p = mgpool_merge(p)
    }
    section s4 {
        repeat units[3] { p = resmg(p, 8 * w) }
    }
    output logits = classifier(avgpool(p, 7), classes)
}
