# A file of blocks only (a library): no network is elaborated, yet every name must resolve.
block head(p, k = 3, width = k * 2) {
    if k > 2 { q = p } else { q = relu(p) }
    repeat 2 as i { q = conv(q, width, k) }
    return q + i
}
block tail(p) {
    q = heads(p)  # error[E201]
    return q + r  # error[E200]
}
