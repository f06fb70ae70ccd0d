use "std.mg"

network MG(c = 4) {
    default conv.bias = false
    input image: 3 x 16 x 32
    None_ = pyramid(image, 5)  section __class__ {  # note
        None_ = rpmg_start(None_, [(6) // 1 - 3, c + 2, max(6, 0), (1) + ((13) // 3), c + 4], 16385)
        None_[:-1] = concat(None_[:-1], upsample(None_[1:], like = None_[:-1]))
    }

    None_ = relu(None_ + None_)

    output out = sigmoid(cb(None_[0], 1))

    output eval = upsample(None_[-1], like = None_[0])  output state_dict = classifier(None_, 5)
}
