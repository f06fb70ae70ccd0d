# a linear layer on a flattened grid: its size fixes the input size
network Flat() {
    input image: 1 x 8 x 8
    output y = linear(flatten(image), 10)
}
