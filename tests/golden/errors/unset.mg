# A network parameter with no default, checked without --set.
network N(width) {  # error[E203]
    input image: 1 x 8 x 8
    output y = conv(image, width)
}
