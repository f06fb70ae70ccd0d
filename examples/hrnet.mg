# HRNet-W18 with the HRNetV2 representation head — J. Wang, K. Sun, T. Cheng, B. Jiang,
# C. Deng, Y. Zhao, D. Liu, Y. Mu, M. Tan, X. Wang, W. Liu, B. Xiao, "Deep High-Resolution
# Representation Learning for Visual Recognition", TPAMI 2020 (HRNetV2; HRNetV1 in K. Sun,
# B. Xiao, D. Liu, J. Wang, CVPR 2019).
# Reproduced: the HRNet-W18 backbone of the official code (two 3x3 stride-2 stems, four
# bottlenecks, then stages of 1, 4 and 3 modules with 2, 3 and 4 branches of 18, 36, 72,
# 144 channels, four basic blocks per branch, an exchange unit after every module) and the
# HRNetV2 representation: every branch upsampled to the finest and concatenated (270
# channels). That representation is the output; it has no parameters of its own, so the
# network has 9,562,260. (The official segmentation head on top — a 1x1 conv with bias +
# BN + ReLU and a 1x1 classifier — adds 78,859 for the 19 Cityscapes classes.) The
# exchange units upsample nearest-neighbour, the representation bilinearly (align_corners
# false), as in the paper.
# `w` is the finest branch's width: 18 for HRNet-W18 (32 and 48 give W32 and W48);
# `c` is the width of the stem and the first stage's bottlenecks (64 in every HRNet).
use "std.mg"

block cbn(p, ch, k = 3, stride = 1) { return bn(conv(p, ch, k, stride = stride, bias = false)) }
block cbnr(p, ch, k = 3, stride = 1) { return relu(cbn(p, ch, k, stride = stride)) }

# Basic residual block on every branch (identity shortcut).
block basic(p, ch) { return relu(cbn(relu(cbn(p, ch)), ch) + p) }

# Bottleneck (1x1, 3x3, 1x1 x4) with an identity shortcut, or a 1x1 conv + BN projection
# where it widens.
block bottleneck(p, ch) {
    y = cbn(relu(cbn(relu(cbn(p, ch, 1)), ch)), 4 * ch, 1)
    if channels(p)[0] == 4 * ch {
        s = p
    } else {
        s = cbn(p, 4 * ch, 1)
    }
    return relu(y + s)
}

# Exchange unit: branch i receives every finer branch j through i - j 3x3 stride-2 convs
# (BN + ReLU between them, BN only after the last) and every coarser one through a 1x1
# conv + BN, upsampled to its size; the sum, itself included, goes through a ReLU.
block fuse(p, ch) {
    q = p
    repeat len(p) as i {
        y = p[i]
        repeat i as j {
            z = p[j]
            repeat i - j - 1 { z = relu(cbn(z, ch[j], stride = 2)) }
            y = y + cbn(z, ch[i], stride = 2)
        }
        repeat len(p) - 1 - i as d { y = y + upsample(cbn(p[i + 1 + d], ch[i], 1), like = p[i]) }
        q[i] = relu(y)
    }
    return q
}

# One HRNet module: four basic blocks on every branch, then an exchange unit.
block hr_module(p, ch) {
    repeat 4 { p = basic(p, ch) }
    return fuse(p, ch)
}

# A new, twice coarser branch from the coarsest one: a 3x3 stride-2 conv + BN + ReLU.
block new_branch(p, ch) { return concat(p, cbnr(p[-1], ch, stride = 2)) }

# The HRNetV2 representation: every branch upsampled to the finest one, all concatenated.
block v2(p) {
    f = p[0]
    a = upsample(p[1], like = f, mode = "bilinear")
    b = upsample(p[2], like = f, mode = "bilinear")
    return concat(f, a, b, upsample(p[3], like = f, mode = "bilinear"))
}

network HRNetV2W18(w = 18, c = 64, size = 256) {
    input image: 3 x size x size
    ch = [w, 2 * w, 4 * w, 8 * w]

    section stem { x = cbnr(cbnr(image, c, stride = 2), c, stride = 2) }
    section stage1 {
        repeat 4 { x = bottleneck(x, c) }
    }
    section stage2 {
        p = concat(cbnr(x, ch[0]), cbnr(x, ch[1], stride = 2))
        p = hr_module(p, ch[:2])
    }
    section stage3 {
        p = new_branch(p, ch[2])
        repeat 4 { p = hr_module(p, ch[:3]) }
    }
    section stage4 {
        p = new_branch(p, ch[3])
        repeat 3 { p = hr_module(p, ch) }
    }
    output representation = v2(p)
}
