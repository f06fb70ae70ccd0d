# Structural mistakes: recursion, misplaced statements, limits.
use "std.mg"

block loop(p) { return loop(p) }  # error[E209]

network Structure() {
    input image: 1 x 8 x 8
    a = loop(image)
    b = relu(image) // 3  # error[E406]
    repeat 1000000000 { a = image }  # error[E504]
    c = conv(image, 100000000)  # error[E504]
    return image  # error[E208]
    output y = image
    output y = image  # error[E206]
}
