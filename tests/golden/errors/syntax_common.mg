# A common mistake: a missing `=`.
network N() {
    y relu(image)  # error[E102]
}
