# ten score maps at 64x64, but no sigmoid: the outputs are not probabilities
network Raw() {
    input image: 1 x 64 x 64
    output y = conv(image, 10)
}
