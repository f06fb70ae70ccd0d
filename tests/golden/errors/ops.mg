# Ops beyond the paper's, used wrongly: groups, output_padding, align_corners.
network Ops() {
    input image: 6 x 8 x 8
    a = groupnorm(image, 4)  # error[E320]
    b = conv(image, 8, 3, groups = 4)  # error[E321]
    c = deconv(image, 4, output_padding = 2)  # error[E322]
    d = upsample(image, align_corners = true)  # error[E323]
    output y = image
}
