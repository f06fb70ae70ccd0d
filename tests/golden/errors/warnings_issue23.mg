# W104: an even kernel gets no padding; exact for a patchify conv, short otherwise.
network EvenKernels() {
    input image: 3 x 32 x 32
    a = conv(image, 8, 4, stride = 4)
    b = conv(image, 8, 4)  # warning[W104]
    c = conv(image, 8, 4, stride = 2)  # warning[W104]
    d = conv(image, 8, 2, stride = 2)
    e = conv(image, 8, 4, stride = 2, pad = 1)
    f = conv(image, 8, 2)  # allow(W104)
    output y = relu(a) + relu(conv(d, 8, 2, stride = 2))
    output z = relu(b)
    output u = relu(c)
    output w = relu(e)
    output v = relu(f)
}
