use "std.mg"

block fwd(p, ch, k = 3) {
    q0 = mgcbr(p, ch, k)
    q1 = mgconv(q0, ch, k)
    q2 = mgcbr(q1, ch, k)
    return q2
}

block fwd2(p, ch, k = 3) {
    q0 = mgcbr(p, ch, k)
    q1 = cb(q0, ch, k)
    return q1
}

network Net(c = 5, kk = 1) {
    input image: 2000000000 x 4 x 8

    lambda_ = cbr(pyramid(image, 2), (13 - 1) / 2)  repeat 1 as i { lambda_ = cbr(lambda_, i + 1) }  # note
    lambda_ = mgpool_merge(lambda_)

    output out = linear(flatten(gap(lambda_[-1])), 1)
}
