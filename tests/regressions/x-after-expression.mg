# expect: valid
# `x` starting a statement after an expression was lexed as the dimension word
network N() {
    input a: 1 x 8 x 8
    x = relu(a)
    c = 1
    x[0] = relu(x[0])
    output y = x
}
