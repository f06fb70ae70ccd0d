# three score maps where mnist-seg has ten classes
network Seg3() {
    input image: 1 x 64 x 64
    output y = sigmoid(conv(image, 3))
}
