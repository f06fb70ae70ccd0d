# Diagnostics are written next to the line that causes them.
use "std.mg"

network Shapes(c = 6) {
    input image: 3 x 30 x 30
    p = stems(image, [c, c / 4], levels = 2)  # error[E402]
    q = stems(image, [c, c, c], levels = 3)
    r = mgconv(q, [c, c, c])  # error[E302]
    s = q[0] + q[1]  # error[E303]
    t = q[3]  # error[E308]
    u = conv(q, [c, c])  # error[E307]
    v = relu(imgae)  # error[E200]
    w = stemz(q, c)  # error[E201]
    z = conv(q, c, kk = 3)  # error[E202]
    output y = linear(flatten(q[0]), 10)
}
