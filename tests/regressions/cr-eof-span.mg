# expect: E100
network N() {
    input x: 1 x 8 x 8
    output y = relu(x
