# Swin-T — Z. Liu, Y. Lin, Y. Cao, H. Hu, Y. Wei, Z. Zhang, S. Lin, B. Guo, "Swin
# Transformer: Hierarchical Vision Transformer using Shifted Windows", ICCV 2021.
# Reproduced: Swin-T as torchvision's `swin_t` (28,288,354 parameters): a 4x4 stride-4
# patch embedding with layer norm; four stages of 2, 2, 6, 2 Swin blocks (`swin` of
# std.mg: 3, 6, 12, 24 heads, 7x7 windows, every second block shifted by 3) with patch
# merging before the last three (layer norm and a linear layer without bias on the 2x2
# neighbours, here `space_to_depth`, whose channel order is a permutation of
# torchvision's); layer norm, global average pooling and a linear classifier. Layer
# norms use eps 1e-5 (torchvision's). Stochastic depth is the identity at inference.
use "std.mg"

network SwinT(c = 96, classes = 1000, size = 224) {
    input image: 3 x size x size
    depths = [2, 2, 6, 2]
    heads = [3, 6, 12, 24]
    x = layernorm(conv(image, c, 4, stride = 4, pad = 0), eps = 1e-5)
    repeat 4 as s {
        if s > 0 {
            merged = layernorm(space_to_depth(x, 2), eps = 1e-5)
            x = conv(merged, 2 * channels(x)[0], 1, bias = false)
        }
        repeat depths[s] // 2 {
            x = swin(x, heads[s])
            x = swin(x, heads[s], shift = 3)
        }
    }
    output logits = classifier(gap(layernorm(x, eps = 1e-5)), classes)
}
