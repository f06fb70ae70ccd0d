# the ops' own checks: groups, output_padding, align_corners, an op that cannot apply
network GroupNorm() {
    input x: 8 x 8 x 8
    output y = groupnorm(x, 3)  # error[E320]
}

network Groups() {
    input x: 8 x 8 x 8
    output y = conv(x, 6, 3, groups = 4)  # error[E321]
}

network OutputPadding() {
    input x: 8 x 8 x 8
    output y = deconv(x, 4, 2, stride = 2, output_padding = 2)  # error[E322]
}

network AlignCorners() {
    input x: 8 x 8 x 8
    y = maxpool(x)
    output z = upsample(y, like = x, align_corners = true)  # error[E323]
}
