# Conditions must be known while the network is built; comparisons need comparable sides.
use "std.mg"

network Conditions(n = 2) {
    input image: 3 x 16 x 16
    p = cbr(image, 8)
    if p { a = 1 }  # error[E440]
    if n { b = 1 }  # error[E441]
    c = [8, 16] < [16, 8]  # error[E442]
    d = n == "two"  # error[E442]
    e = n ** 70  # error[E509]
    f = (-n) ** 0.5  # error[E407]
    if len(p) == 1 and channels(p)[0] >= 8 { q = cbr(p, 16) } else { q = p }
    output y = relu(q)
}
