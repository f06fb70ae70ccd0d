# Attention U-Net (Oktay et al., MIDL 2018), small: a three-level U-Net whose skip
# connections pass through additive attention gates. Gate (the paper's Fig. 2): the skip x
# is brought to the gating signal's grid by a 2x2 stride-2 conv (theta), the gating signal
# g by a 1x1 conv (phi); psi = sigmoid(1x1 conv(relu(theta + phi))), resampled
# bilinearly to x's grid, scales x; a 1x1 conv + batch norm follows (W).

block double_conv(x, ch) {
    x = relu(bn(conv(x, ch, 3)))
    return relu(bn(conv(x, ch, 3)))
}

block gate(x, g, inter) {
    theta = conv(x, inter, 2, stride = 2, bias = false)
    phi = conv(g, inter, 1)
    psi = sigmoid(conv(relu(theta + phi), 1, 1))
    alpha = upsample(psi, like = x, mode = "bilinear")
    return bn(conv(x * alpha, channels(x)[0], 1))
}

block up(x, skip, ch) {
    s = gate(skip, x, channels(skip)[0] // 2)
    return double_conv(concat(s, upsample(x, like = skip, mode = "bilinear")), ch)
}

network AttentionUNet(c = 8, classes = 2) {
    input image: 3 x 32 x 32
    e1 = double_conv(image, c)
    e2 = double_conv(maxpool(e1), 2 * c)
    e3 = double_conv(maxpool(e2), 4 * c)
    d2 = up(e3, e2, 2 * c)
    d1 = up(d2, e1, c)
    output seg = conv(d1, classes, 1)
}
