# Warnings: valid but suspicious; `# allow(W...)` silences one on its line.
network Warned() {
    input image: 3 x 15 x 15
    a = maxpool(image)  # warning[W101]
    b = maxpool(image)  # allow(W101)
    c = bn(conv(image, 8))  # warning[W102]
    d = bn(conv(image, 8, bias = false))
    e = conv(image, 16)  # warning[W103]
    f = conv(image, 16)  # allow(W101, W103)
    output y = relu(a) + relu(b)
    output z = relu(c) + relu(d)
}
