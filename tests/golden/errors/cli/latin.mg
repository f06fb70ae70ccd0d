network N() {
    # façade
    input image: 1 x 8 x 8
    output y = relu(image)
}
