# A block may not be named like a built-in op.
block relu(p) { return p }  # error[E207]

network N() {
    input image: 1 x 8 x 8
    output y = image
}
