# A MobileViT block (Mehta and Rastegari, ICLR 2022; the layout of ml-cvnets):
# local representation (3x3 conv + BN + SiLU, 1x1 conv to d, no bias), L transformer layers
# applied to the unfolded 2x2 patches (the pixels at one offset of every patch attend to
# each other), a final LayerNorm, folding, a 1x1 conv back to C (BN + SiLU) and a 3x3
# fusion conv of the input concatenated with it (BN + SiLU).
#
# Unfolding: the pixels at offset k of every 2x2 patch are channels c*4 + k of
# space_to_depth(t, 2) (PyTorch's pixel unshuffle), gathered here with `split` into single
# channels; attention runs per offset; the parts are interleaved back and depth_to_space'd.

block offset(t, k) {
    s = split(space_to_depth(t, 2), 1)
    g = s[k]
    repeat channels(t)[0] - 1 as i { g = concat(g, s[4 * (i + 1) + k]) }
    return g
}

block fold(a0, a1, a2, a3) {
    s0 = split(a0, 1)
    s1 = split(a1, 1)
    s2 = split(a2, 1)
    s3 = split(a3, 1)
    m = concat(s0[0], s1[0], s2[0], s3[0])
    repeat len(s0) - 1 as i { m = concat(m, s0[i + 1], s1[i + 1], s2[i + 1], s3[i + 1]) }
    return depth_to_space(m, 2)
}

block patch_attention(u, heads) {
    d = channels(u)[0]
    q = conv(u, d, 1)
    k = conv(u, d, 1)
    v = conv(u, d, 1)
    a0 = attention(offset(q, 0), offset(k, 0), offset(v, 0), heads = heads)
    a1 = attention(offset(q, 1), offset(k, 1), offset(v, 1), heads = heads)
    a2 = attention(offset(q, 2), offset(k, 2), offset(v, 2), heads = heads)
    a3 = attention(offset(q, 3), offset(k, 3), offset(v, 3), heads = heads)
    return conv(fold(a0, a1, a2, a3), d, 1)
}

network MobileViTBlock(c = 8, d = 16, ffn = 32, heads = 2, layers = 2) {
    input x: 8 x 16 x 16
    t = silu(bn(conv(x, c, 3, bias = false)))
    t = conv(t, d, 1, bias = false)
    repeat layers {
        t = t + patch_attention(layernorm(t, eps = 1e-5), heads)
        t = t + conv(silu(conv(layernorm(t, eps = 1e-5), ffn, 1)), d, 1)
    }
    t = layernorm(t, eps = 1e-5)
    t = silu(bn(conv(t, c, 1, bias = false)))
    output y = silu(bn(conv(concat(x, t), c, 3, bias = false)))
}
