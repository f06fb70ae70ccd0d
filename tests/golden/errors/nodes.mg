# A network may expand to at most mgdsl.limits.LIMITS.max_nodes IR nodes.
network Long() {
    input image: 1 x 8 x 8
    p = image
    repeat 90000 { p = relu(p) }  # error[E503]
    output y = p
}
