# An error inside a user block points into the block and notes the call site.
use "std.mg"

block bad(p) {
    return p + conv(p, 3)  # error[E301]
}

network Nested() {
    input image: 2 x 8 x 8
    output y = bad(image)
}
