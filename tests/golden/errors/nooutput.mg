# A network must name a result.
network N() {  # error[E212]
    input image: 1 x 8 x 8
    y = relu(image)
}
