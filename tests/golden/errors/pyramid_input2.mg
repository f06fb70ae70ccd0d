# A pyramid input whose grids' names clash with another input.
network Neck() {
    input feats_1: 16 x 16 x 16
    input feats: pyramid [16 x 32 x 32, 32 x 16 x 16]  # error[E206]
    output y = feats_1
}
