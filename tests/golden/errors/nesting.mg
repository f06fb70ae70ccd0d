# Nesting deeper than mgdsl.limits.LIMITS.max_nesting.
network N() {
    input image: 1 x 8 x 8
    output y = relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(relu(image))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))  # error[E501]
}
