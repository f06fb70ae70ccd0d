# A network above mgdsl.limits.LIMITS.max_params.
network Huge() {
    input image: 60000 x 8 x 8
    output y = conv(image, 60000)  # error[E507]
}
