# A `use` of a file that does not exist.
use "no_such_blocks.mg"  # error[E601]

network N() {
    input image: 1 x 8 x 8
    output y = image
}
