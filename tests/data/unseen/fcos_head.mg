# FCOS head (Tian et al., ICCV 2019) shared across P3-P7: two towers of four 3x3 conv +
# GroupNorm(32) + ReLU, class logits and centerness on the classification tower, box
# regression on the box tower times a learned scale per level (the norm_reg_targets
# variant: ReLU of the scaled prediction).

network FCOSHead(c = 32, classes = 8, groups = 32) {
    input p: pyramid [32 x 32 x 32, 32 x 16 x 16, 32 x 8 x 8, 32 x 4 x 4, 32 x 2 x 2]
    cls = p
    box = p
    repeat 4 {
        cls = relu(groupnorm(conv(cls, c, 3, shared = true), groups, shared = true))
        box = relu(groupnorm(conv(box, c, 3, shared = true), groups, shared = true))
    }
    logits = conv(cls, classes, 3, shared = true)
    ctr = conv(cls, 1, 3, shared = true)
    reg = conv(box, 4, 3, shared = true)
    scales = param(5)
    output logits3 = logits[0]
    output ctr3 = ctr[0]
    output box3 = relu(reg[0] * scales[0])
    output logits4 = logits[1]
    output ctr4 = ctr[1]
    output box4 = relu(reg[1] * scales[1])
    output logits5 = logits[2]
    output ctr5 = ctr[2]
    output box5 = relu(reg[2] * scales[2])
    output logits6 = logits[3]
    output ctr6 = ctr[3]
    output box6 = relu(reg[3] * scales[3])
    output logits7 = logits[4]
    output ctr7 = ctr[4]
    output box7 = relu(reg[4] * scales[4])
}
