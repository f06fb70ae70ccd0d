# HRNet-W18 for ImageNet classification (Wang et al., "Deep High-Resolution Representation
# Learning for Visual Recognition", TPAMI 2020), written as a new user would: four parallel
# branches (18, 36, 72, 144 channels), each module four basic blocks per branch and a fuse
# in which every branch adds every other one, resampled by strided or 1x1 convs. Used by the
# diagram tests (the collapse width bound); the head is the paper's classification head.
use "std.mg"

block cbrs(p, ch) { return relu(bn(conv(p, ch, 3, stride = 2))) }
block bs(p, ch) { return bn(conv(p, ch, 3, stride = 2)) }
block up(x, ch, like) { return upsample(cb(x, ch, 1), like = like) }
block basic(p, ch) { return relu(cb(cbr(p, ch), ch) + p) }
block bottleneck(p, ch) { return relu(cb(cbr(cbr(p, ch, 1), ch), 4 * ch, 1) + p) }
block bottleneck_proj(p, ch) {
    return relu(cb(cbr(cbr(p, ch, 1), ch), 4 * ch, 1) + cb(p, 4 * ch, 1))
}

block fuse2(p, c) {
    y = p
    y[:1] = relu(p[:1] + up(p[1:2], c[0], p[:1]))
    y[1:2] = relu(bs(p[:1], c[1]) + p[1:2])
    return y
}

block fuse3(p, c) {
    y = p
    y[:1] = relu(p[:1] + up(p[1:2], c[0], p[:1]) + up(p[2:3], c[0], p[:1]))
    y[1:2] = relu(bs(p[:1], c[1]) + p[1:2] + up(p[2:3], c[1], p[1:2]))
    y[2:3] = relu(bs(cbrs(p[:1], c[0]), c[2]) + bs(p[1:2], c[2]) + p[2:3])
    return y
}

block fuse4(p, c) {
    y = p
    y[:1] = relu(p[:1] + up(p[1:2], c[0], p[:1]) + up(p[2:3], c[0], p[:1])
                 + up(p[3:4], c[0], p[:1]))
    y[1:2] = relu(bs(p[:1], c[1]) + p[1:2] + up(p[2:3], c[1], p[1:2]) + up(p[3:4], c[1], p[1:2]))
    y[2:3] = relu(bs(cbrs(p[:1], c[0]), c[2]) + bs(p[1:2], c[2]) + p[2:3]
                  + up(p[3:4], c[2], p[2:3]))
    y[3:4] = relu(bs(cbrs(cbrs(p[:1], c[0]), c[0]), c[3]) + bs(cbrs(p[1:2], c[1]), c[3])
                  + bs(p[2:3], c[3]) + p[3:4])
    return y
}

block module2(p, c) {
    repeat 4 { p = basic(p, c) }
    return fuse2(p, c)
}

block module3(p, c) {
    repeat 4 { p = basic(p, c) }
    return fuse3(p, c)
}

block module4(p, c) {
    repeat 4 { p = basic(p, c) }
    return fuse4(p, c)
}

network HRNetW18(classes = 1000) {
    input image: 3 x 224 x 224
    section stem { x = cbrs(cbrs(image, 64), 64) }
    section stage1 {
        x = bottleneck_proj(x, 64)
        repeat 3 { x = bottleneck(x, 64) }
    }
    section stage2 {
        p = concat(cbr(x, 18), cbrs(x, 36))
        p = module2(p, [18, 36])
    }
    section stage3 {
        p = concat(p, cbrs(p[1:], 72))
        repeat 4 { p = module3(p, [18, 36, 72]) }
    }
    section stage4 {
        p = concat(p, cbrs(p[2:], 144))
        repeat 3 { p = module4(p, [18, 36, 72, 144]) }
    }
    section head {
        h = bottleneck_proj(p[:1], 32)
        h = relu(bn(conv(h, 256, 3, stride = 2))) + bottleneck_proj(p[1:2], 64)
        h = relu(bn(conv(h, 512, 3, stride = 2))) + bottleneck_proj(p[2:3], 128)
        h = relu(bn(conv(h, 1024, 3, stride = 2))) + bottleneck_proj(p[3:4], 256)
        h = cbr(h, 2048, 1)
    }
    output logits = linear(flatten(gap(h)), classes)
}
