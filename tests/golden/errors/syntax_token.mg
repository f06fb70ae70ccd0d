# A syntax error with no message of its own.
network N() {
    input image: 1 x 8 x 8
    output y = relu(image) )  # error[E100]
}
