# A small progressive multigrid network: every construct of the language once.
use "std.mg"

block widen(p, ch) { return pad(p, ch) }

network Progressive(c = 8, n = 2, classes = 3) {
    default bn.eps = 1e-3
    input image: 1 x 16 x 16

    section stem {
        p = stems(image, [c, c / 2, c / 4], levels = 3)
    }
    section grow {
        repeat n as i { p[2:] = cbr(p[2:], c / 4) }
        p[1:] = mgcbr(p[1:], [c / 2, c / 4])
        p = mgcbr(p, [c, c / 2, c / 4], k = [3, 3, 1])
    }
    section deep {
        p = resmg(p, [c, c, c / 2])
        q = widen(p[:-1], 2 * c)
        p = mgpool_merge(p)
    }
    output seg = sigmoid(cb(p[0], classes, 1))
    output logits = classifier(gap(p[-1]), classes)
}
