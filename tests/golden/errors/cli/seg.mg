# a tiny segmentation network for mnist-seg: one score map per class at 64x64
network Seg() {
    input image: 1 x 64 x 64
    output y = sigmoid(conv(image, 10))
}
