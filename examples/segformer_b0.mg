# SegFormer-B0 — E. Xie, W. Wang, Z. Yu, A. Anandkumar, J. M. Alvarez, P. Luo,
# "SegFormer: Simple and Efficient Design for Semantic Segmentation with Transformers",
# NeurIPS 2021.
# Reproduced: the MiT-B0 encoder (four stages of widths 32, 64, 160, 256 at strides 4, 8,
# 16, 32: an overlapping patch embedding — a 7x7 stride-4 conv, then 3x3 stride-2 convs —
# with layer norm, two transformer blocks of efficient self-attention with spatial
# reduction 8, 4, 2, 1 and 1, 2, 5, 8 heads and a Mix-FFN (`mix_ffn` of std.mg), a layer
# norm) and the all-MLP decoder (a linear layer per stage to 256 channels, upsampled
# bilinearly to 1/4, concatenated coarsest first, fused by a 1x1 conv + BN + ReLU, a 1x1
# classifier), as the authors' code (mmseg `mit_b0`, `SegFormerHead`), 150 classes
# (ADE20K). Logits at 1/4 of the input size. Dropout and stochastic depth are the
# identity at inference.
use "std.mg"

# Efficient self-attention: queries from every position, keys and values from the grid
# reduced `sr` times by a strided conv and a layer norm.
block mit_attention(x, heads, sr) {
    c = channels(x)[0]
    q = conv(x, c, 1)
    kv = x
    if sr > 1 {
        kv = layernorm(conv(x, c, sr, stride = sr, pad = 0), eps = 1e-5)
    }
    return conv(attention(q, conv(kv, c, 1), conv(kv, c, 1), heads = heads), c, 1)
}

block mit_block(x, heads, sr) {
    x = x + mit_attention(layernorm(x, eps = 1e-6), heads, sr)
    return x + mix_ffn(layernorm(x, eps = 1e-6))
}

network SegFormerB0(classes = 150, size = 512, e = 256) {
    input image: 3 x size x size
    dims = [32, 64, 160, 256]
    heads = [1, 2, 5, 8]
    reduction = [8, 4, 2, 1]

    section encoder {
        x = layernorm(conv(image, dims[0], 7, stride = 4, pad = 3), eps = 1e-5)
        repeat 2 { x = mit_block(x, heads[0], reduction[0]) }
        p = layernorm(x, eps = 1e-6)
        repeat 3 as i {
            x = layernorm(conv(p[i], dims[i + 1], 3, stride = 2, pad = 1), eps = 1e-5)
            repeat 2 { x = mit_block(x, heads[i + 1], reduction[i + 1]) }
            p = concat(p, layernorm(x, eps = 1e-6))
        }
    }
    section decoder {
        m = conv(p, e, 1)
        c4 = upsample(m[3], like = m[0], mode = "bilinear")
        c3 = upsample(m[2], like = m[0], mode = "bilinear")
        c2 = upsample(m[1], like = m[0], mode = "bilinear")
        fused = relu(bn(conv(concat(c4, c3, c2, m[0]), e, 1, bias = false)))
    }
    output logits = conv(fused, classes, 1)
}
