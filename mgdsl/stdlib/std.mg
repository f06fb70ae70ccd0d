# std.mg — the standard blocks of mgdsl, written in mgdsl itself.
# Use it with `use "std.mg"`. Figures and tables are those of Ke, Maire, Yu,
# "Multigrid Neural Architectures" (CVPR 2017).

# Conv unit: convolution, batch norm and ReLU on every grid.
block cbr(p, ch, k = 3) { return relu(bn(conv(p, ch, k))) }

# Conv and batch norm, no ReLU: output layers and the second conv of residual units.
block cb(p, ch, k = 3) { return bn(conv(p, ch, k)) }

# mg-conv (Figure 2 left). Every grid sees its finer neighbour max-pooled,
# itself, and its coarser neighbour upsampled to its exact size, concatenated in that
# order, then its own convolution. On a one-grid pyramid this is a plain convolution.
block mgconv(p, ch, k = 3) {
    return conv(concat(maxpool(p[:-1]), p, upsample(p[1:], like = p[:-1])), ch, k)
}

# mg-conv restricted to some cross-scale edges: fine-to-coarse only, or coarse-to-fine only.
block mgconv_down(p, ch, k = 3) { return conv(concat(maxpool(p[:-1]), p), ch, k) }
block mgconv_up(p, ch, k = 3) { return conv(concat(p, upsample(p[1:], like = p[:-1])), ch, k) }

# mg-conv units: with batch norm and ReLU, or batch norm only.
block mgcbr(p, ch, k = 3) { return relu(bn(mgconv(p, ch, k))) }
block mgcb(p, ch, k = 3) { return bn(mgconv(p, ch, k)) }

# res-mg-unit (Figure 2 right): two mg-convs and a shortcut per grid. The
# shortcut is chosen by comparing channel counts: the identity, zero-padded in channels
# where the unit widens a grid; a projection (1x1 conv + batch norm) if it narrows one.
block resmg(p, ch, k = 3) {
    q = mgcb(mgcbr(p, ch, k), ch, k)
    if len(p) > 0 and max(channels(p) - ch) > 0 {
        s = cb(p, ch, 1)
    } else {
        s = pad(p, ch)
    }
    return relu(q + s)
}

# res-mg-unit without the final ReLU (the MNIST output units); the same shortcut rule.
block resmg_linear(p, ch, k = 3) {
    q = mgcb(mgcbr(p, ch, k), ch, k)
    if len(p) > 0 and max(channels(p) - ch) > 0 {
        s = cb(p, ch, 1)
    } else {
        s = pad(p, ch)
    }
    return q + s
}

# res-mg-unit whose shortcut is always a projection (1x1 conv + batch norm), also where the
# unit keeps every width (ResNet's option B); `_linear` drops the final ReLU.
block resmg_proj(p, ch, k = 3) { return relu(resmg_proj_linear(p, ch, k)) }
block resmg_proj_linear(p, ch, k = 3) { return mgcb(mgcbr(p, ch, k), ch, k) + cb(p, ch, 1) }

# Multigrid pooling: max-pool every grid by 2.
block mgpool(p) { return maxpool(p) }

# Merging multigrid pooling: the second-coarsest grid, pooled, is concatenated with the
# unpooled coarsest grid, so the pyramid loses a level.
block mgpool_merge(p) { return concat(maxpool(p[:-1]), p[-1]) }

# Input pyramid with one conv unit per grid: no cross-grid mixing.
block stems(image, ch, levels, k = 3) { return cbr(pyramid(image, levels), ch, k) }

# Classifier head: flatten the finest remaining grid, then a linear layer.
block classifier(p, classes) { return linear(flatten(p[0]), classes) }

# Transposed-conv unit (U-NET, U-MG): 2x2 stride-2 transposed convolution,
# batch norm and ReLU on every grid; doubles every grid's resolution.
block dcbr(p, ch, k = 2) { return relu(bn(deconv(p, ch, k))) }

# U-NET / U-MG decoder step: upsample with a transposed-conv unit,
# concatenate the skip connection before it level by level (skip first; grids without a
# partner pass through), then an mg-conv unit (a plain conv unit on one grid). `ch` lists
# the widths of the result, finest first; the transposed convs use the first len(p).
block mgup(p, skip, ch) { return mgcbr(concat(skip, dcbr(p, ch[:len(p)])), ch) }

# Progressive start (Figure 3 "PMG"): n mg-conv units on the coarsest grid
# alone, then n on the two coarsest, and so on up to the whole pyramid. Grids not yet
# active pass through unchanged; grid i keeps its width ch[i] throughout.
block pmg_start(p, ch, n) {
    repeat len(p) as i {
        j = len(p) - 1 - i
        repeat n { p[j:] = mgcbr(p[j:], ch[j:]) }
    }
    return p
}

# Residual progressive start (Figure 3 "R-PMG"): as `pmg_start`, with
# res-mg-units (identity shortcuts) in place of mg-conv units.
block rpmg_start(p, ch, n) {
    repeat len(p) as i {
        j = len(p) - 1 - i
        repeat n { p[j:] = resmg(p[j:], ch[j:]) }
    }
    return p
}

# ImageNet input pyramid: per grid a 7x7 stride-2 conv unit, then a 3x3
# stride-2 max-pool (floor mode, as in fb.resnet.torch); no cross-grid mixing.
block stems7(image, ch, levels) {
    p = relu(bn(conv(pyramid(image, levels), ch, 7, stride = 2)))
    return maxpool(p, 3, stride = 2, pad = 1, ceil = false)
}

# Squeeze-and-excitation (Hu et al., CVPR 2018): every grid's channels rescaled by
# sigmoid(W2 relu(W1 gap(x))), W1 to channels / r and W2 back (1x1 convs with biases
# on the pooled grid are the paper's fully connected layers).
block se(x, r = 16) {
    return x * sigmoid(conv(relu(conv(gap(x), channels(x) // r, 1)), channels(x), 1))
}

# Mix-FFN (SegFormer, Xie et al., NeurIPS 2021): a 1x1 conv to `expand` times the
# channels, a 3x3 depthwise conv and GELU, a 1x1 conv back (the MLP of a SegFormer block).
block mix_ffn(x, expand = 4) {
    h = conv(x, channels(x) * expand, 1)
    return conv(gelu(conv(h, channels(h), 3, groups = channels(h))), channels(x), 1)
}

# ConvNeXt block (Liu et al., "A ConvNet for the 2020s", CVPR 2022, Figure 4): a 7x7
# depthwise conv, layer norm over the channels, a 1x1 expansion to 4x the channels with
# GELU, a 1x1 projection back, layer scale (one learned value per channel, starting at
# `scale`) and the identity shortcut, as torchvision's `CNBlock` (stochastic depth is
# the identity in eval mode). One grid; its shape is kept.
block convnext(x, scale = 1e-6) {
    c = channels(x)[0]
    y = layernorm(conv(x, c, 7, groups = c))
    y = conv(gelu(conv(y, 4 * c, 1)), c, 1)
    return x + y * param(c, init = scale)
}

# Pyramid pooling module (Zhao et al., "Pyramid Scene Parsing Network", CVPR 2017,
# Figure 3): the grid average-pooled to each of `bins` x `bins` (adaptive pooling, so at
# every input size), each reduced by a 1x1 conv + BN + ReLU to `ch` channels, upsampled
# bilinearly (corners aligned, as the authors' code) to the grid's size, and concatenated
# after it.
block pyramid_pooling(x, ch, bins = [1, 2, 3, 6]) {
    y = x
    repeat len(bins) as i {
        b = relu(bn(conv(avgpool(x, output = bins[i]), ch, 1, bias = false)))
        y = concat(y, upsample(b, like = x, mode = "bilinear", align_corners = true))
    }
    return y
}

# Swin Transformer block (Liu et al., ICCV 2021, Figure 3b; torchvision's
# `SwinTransformerBlock`): window attention (`shift` > 0: shifted windows) after a layer
# norm, then an MLP (1x1 convs to `mlp` times the channels and back, GELU) after a layer
# norm, each with the identity shortcut; layer norms with eps 1e-5, as torchvision's.
block swin(x, heads, window = 7, shift = 0, mlp = 4) {
    a = window_attention(layernorm(x, eps = 1e-5), heads = heads, window = window, shift = shift)
    y = x + a
    return y + conv(gelu(conv(layernorm(y, eps = 1e-5), channels(y) * mlp, 1)), channels(y), 1)
}

# CBAM (Woo et al., ECCV 2018, Figures 1-3, as the authors' code): channel attention — one
# MLP (1x1 convs C -> C / r -> C with ReLU; `shared` names apply the same weights twice)
# on the average- and the max-pooled grid, summed, sigmoid — then spatial attention — a
# 7x7 conv without bias and a batch norm on the channels' max and mean maps, sigmoid.
# One grid.
block cbam(x, r = 16) {
    c = channels(x)[0]
    avg = conv(relu(conv(mean(x, over = "space"), c // r, 1, shared = "fc1")), c, 1,
               shared = "fc2")
    top = conv(relu(conv(max(x, over = "space"), c // r, 1, shared = "fc1")), c, 1,
               shared = "fc2")
    x = x * sigmoid(avg + top)
    maps = concat(max(x, over = "channels"), mean(x, over = "channels"))
    return x * sigmoid(bn(conv(maps, 1, 7, bias = false)))
}
