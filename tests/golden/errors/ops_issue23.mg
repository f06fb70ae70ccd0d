# Issue 23's ops used wrongly: split, reductions, adaptive pooling, space_to_depth, learned
# tensors; and the messages that explain indexing, levels and PyTorch's spellings.
network Modern() {
    input image: 8 x 7 x 7
    input other: 8 x 14 x 14
    a = split(image, [2, 2])  # error[E330]
    b = mean(image)  # error[E331]
    c = avgpool(image, 3, output = 6)  # error[E332]
    d = space_to_depth(image, 2)  # error[E333]
    e = conv(param(4), 8)  # error[E334]
    f = image[0:4]  # error[E308]
    g = ln(image)  # error[E201]
    h = other + upsample(image, scale = 2)  # error[E303]
    i = conv(image, 1 / 3)  # error[E402]
    output y = image
}
