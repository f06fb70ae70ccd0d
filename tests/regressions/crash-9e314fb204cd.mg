use "std.mg"

block einheit(p, ch, k = 3) {
    q0 = mgcbr(p, ch, k)
    q1 = mgconv(q0, ch, k)
    q2 = mgcb(q1, ch, k)
    return q2
}

network Größe(c = 2) {
    input image: (3 - 1) / 1 x ((34) + (14)) // 3 x 32  input aux: 1 x 16 x 32  x = concat(image, aux)

    Größe = cbr(pyramid(x, 5), [3, (9) // 3, ((6) + (0)) // 2, max(3, 0), ((0) // 1) + ((0) + (3))]) 
  Größe = cbr(Größe, (max(4, 0)) + (3), k = 3) 
  Größe = pmg_start(Größe, [(0) + ((7) + (1)), 8, c + 5, 5, (c - 1) + ((18) // 3)], 2)  section import_ {
        Größe = rpmg_start(Größe, [max(8, 1), max(8, 5), (8) / 1, c + 4, max(7, 3)], 2)
    }  output mask = classifier(Größe, 5)
    output 名前 = upsample(G