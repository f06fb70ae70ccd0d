network A() {
    input image: 1 x 8 x 8
    output y = relu(image)
}

network B() {
    input image: 1 x 8 x 8
    output y = image
}
