# A grid that grows past mgdsl.limits.LIMITS.max_resolution.
network Wide() {
    input image: 1 x 16384 x 16384
    output y = deconv(image, 1)  # error[E506]
}
