# A keyword used as a name.
network N() {
    input image: 1 x 8 x 8
    section = relu(image)  # error[E103]
    output y = section
}
