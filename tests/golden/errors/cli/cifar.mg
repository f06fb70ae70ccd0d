# a tiny classifier for cifar100: 3x32x32 images, 100 class scores
network Cifar() {
    input image: 3 x 32 x 32
    output logits = linear(flatten(gap(image)), 100)
}
