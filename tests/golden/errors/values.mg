# Values and arguments: each line fails on its own, later lines still run.
use "std.mg"

block empty(p) { q = relu(p) }  # error[E410]

network Values() {
    input image: 3 x 16 x 16
    a = conv(image, "eight")  # error[E401]
    b = conv(image, 0)  # error[E403]
    c = relu(3)  # error[E404]
    d = conv(image, max())  # error[E405]
    e = conv(image, 8 // 0)  # error[E407]
    f = relu(image, 2)  # error[E408]
    g = conv(image)  # error[E409]
    h = empty(image)
    i = conv(flatten(image), 4)  # error[E306]
    j = pyramid(image, 3)
    j[0:1] = j[1:2]  # error[E304]
    k = conv(image, 99999999999 * 999999999 * 99999999)  # error[E509]
    output y = relu(image)
}
