# The exchange unit of issue 16: each grid adds the other, one through an upsample.
use "std.mg"
network T() {
    input image: 3 x 32 x 32
    p = stems(image, [8, 16], levels = 2)
    y = p
    y[:1] = y[:1] + upsample(conv(p[1:], 8, 1), like = p[:1])
    y[1:] = y[1:] + conv(p[:1], 16, 3, stride = 2)
    p = cbr(relu(y), [8, 16])
    output o = p[0]
}
