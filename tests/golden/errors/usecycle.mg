# A file that uses itself.
use "usecycle.mg"  # error[E605]

network N() {
    input image: 1 x 8 x 8
    output y = image
}
