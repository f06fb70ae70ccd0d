# Norms whose groups hold one value: a constant output (W120), or one at batch 1 (W121).
use "std.mg"
network Norms() {
    input image: 4 x 2 x 2
    p = maxpool(image)
    a = groupnorm(p, 4)  # warning[W120]
    b = groupnorm(p, 2)
    c = groupnorm(p, 4)  # allow(W120)
    d = bn(p)  # warning[W121]
    e = cbr(p, 4)
    output y = a + b + c + d + e
    output z = groupnorm(image, 4) + bn(image)
}
