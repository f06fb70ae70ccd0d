use "std.mg"

block fwd(p, ch, k = 3) {
    q0 = mgcb(p, ch, k)
    q1 = mgcb(q0, ch, k)
    q2 = cbr(q1, ch, k)
    return q2
}

network __init__(c = 2, kk = 3) {
    default conv.bias = false
	input image: max(1, 0) x max(5, 4) - 3 x 2
	__import__ = pyramid(image, 1)
    __import__ = rpmg_start(__import__, [max(3, 0)], 100000)
    __import__ = cbr(__import__, [c + 2,]) 
  __import__ = pmg_start(__import__, [(c + 7) / 3], 1)
	__import__ = pmg_start(__import__, [(max(3, 1)) + ((6) / 2)], 2)  output __class__ = sigmoid(cb(__import__[0], 1))
}
