# RetinaNet's head — T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár, "Focal Loss for
# Dense Object Detection", ICCV 2017, Figure 3 (c, d): a classification subnet (four 3x3
# convs of `c` channels with ReLU, then a 3x3 conv to anchors x classes logits) and a box
# subnet (four 3x3 convs with ReLU, then a 3x3 conv to 4 x anchors offsets), each applied
# with ONE set of weights to every level P3-P7 of an FPN (`shared = true`).
# Reproduced: the head as torchvision's `RetinaNetHead` (no norm layers), 256 channels,
# 9 anchors, 80 classes, on the pyramid of a 512 x 512 image (P3 is 64 x 64). FCOS's head
# is the same tower with group norm (`groupnorm(..., 32, shared = true)`).
network RetinaNetHead(c = 256, anchors = 9, classes = 80) {
    input p: pyramid [c x 64 x 64, c x 32 x 32, c x 16 x 16, c x 8 x 8, c x 4 x 4]

    section cls {
        t = p
        repeat 4 { t = relu(conv(t, c, 3, shared = true)) }
        logits = conv(t, anchors * classes, 3, shared = true)
    }
    section box {
        t = p
        repeat 4 { t = relu(conv(t, c, 3, shared = true)) }
        offsets = conv(t, 4 * anchors, 3, shared = true)
    }
    output cls3 = logits[0]
    output cls4 = logits[1]
    output cls5 = logits[2]
    output cls6 = logits[3]
    output cls7 = logits[4]
    output box3 = offsets[0]
    output box4 = offsets[1]
    output box5 = offsets[2]
    output box6 = offsets[3]
    output box7 = offsets[4]
}
