# A character that is no part of the language.
network N() {
    input image: 1 x 8 x 8
    output y = relu(image) % 2  # error[E101]
}
