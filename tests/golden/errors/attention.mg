# Attention used wrongly: channels, heads, key/value pairs, window shift.
network Att() {
    input x: 8 x 16 x 16
    p = pyramid(x, 3)
    a = attention(x, conv(p, 4, 1), p)  # error[E350]
    b = attention(x, x, x, heads = 3)  # error[E351]
    c = attention(x, p, p[0])  # error[E352]
    d = window_attention(x, heads = 2, window = 4, shift = 4)  # error[E353]
    e = window_attention(x, heads = 3)  # error[E351]
    output y = x
}
