# expect: E406 at 4:9
use "std.mg"
network N() { input a: 1 x 8 x 8  p = pyramid(a, 2)
    p = rpmg_start(p, 7, 1)
    output y = p[0]
}
