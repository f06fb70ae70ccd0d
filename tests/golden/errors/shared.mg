# Shared weights between different layers: channels or arguments that differ.
network Shared() {
    input feats: pyramid [16 x 16 x 16, 32 x 8 x 8]
    a = conv(feats, 8, 3, shared = true)  # error[E355]
    b = conv(feats[0], 8, 1, shared = "proj")
    c = conv(feats[1], 8, 1, shared = "proj")  # error[E355]
    d = conv(conv(feats, 8, 1), 8, [1, 3], shared = true)  # error[E355]
    e = bn(feats, shared = 2)  # error[E401]
    output y = b
}
