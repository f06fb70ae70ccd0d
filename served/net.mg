use "../outside.mg"
network N() {
    input image: 1 x 8 x 8
    output y = b(image)
}
