# PVTv2-b0, stage 1 (Wang et al., "PVT v2", 2022): overlapping patch embedding (7x7 stride 4
# conv + LayerNorm), two blocks of spatial-reduction attention (sr ratio 8) and a
# convolutional FFN (fc, 3x3 depthwise conv, GELU, fc), then the stage's LayerNorm.

block sra(x, heads, sr) {
    c = channels(x)[0]
    q = conv(x, c, 1)
    r = layernorm(conv(x, c, sr, stride = sr), eps = 1e-5)  # spatial reduction
    a = attention(q, conv(r, c, 1), conv(r, c, 1), heads = heads)
    return conv(a, c, 1)
}

block conv_ffn(x, ratio) {
    c = channels(x)[0]
    h = conv(x, ratio * c, 1)
    h = gelu(conv(h, ratio * c, 3, groups = ratio * c))
    return conv(h, c, 1)
}

network PVTv2B0Stage1(dim = 32, heads = 1, sr = 8, ratio = 8, depth = 2) {
    input image: 3 x 64 x 64
    x = layernorm(conv(image, dim, 7, stride = 4, pad = 3), eps = 1e-5)
    repeat depth {
        x = x + sra(layernorm(x), heads, sr)
        x = x + conv_ffn(layernorm(x), ratio)
    }
    output y = layernorm(x)
}
