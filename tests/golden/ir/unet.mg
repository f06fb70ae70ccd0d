# U-NET style: pooling down, transposed convs up, skip concatenations.
use "std.mg"

network UNet(c = 4) {
    input x: 1 x 16 x 16
    a = cbr(x, c)
    b = cbr(maxpool(a, ceil = false), 2 * c)
    u = relu(bn(deconv(b, c)))
    y = cbr(concat(a, u), c)
    output out = sigmoid(cb(y, 1, 1))
}
