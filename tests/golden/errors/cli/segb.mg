# fits mnist-seg like seg.mg, with 1x1 instead of 3x3 convolutions: seg.mg's weights do not load
network SegB() {
    input image: 1 x 64 x 64
    output y = sigmoid(conv(image, 10, 1))
}
