# A pyramid input whose second grid is a quarter of the first, not half.
network Neck() {
    input feats: pyramid [16 x 32 x 32, 32 x 8 x 8]  # error[E354]
    output y = feats[0]
}
