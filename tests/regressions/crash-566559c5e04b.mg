use "std.mg"

network Module(c = 6, kk = 3( {
    input image: 3 x ((144) / 3) // 3 x 16


    Größe = cbr(pyramid(image, 5), [5, (1) + (max(1, 0)), 2, max(1, 1), c - 5]) 
  unused = cbr(Größe, (5) / 1 - 2)  Größe = mgconv(Größe, [4, max(4, 4), max(4, 2), ((1) + (3)) + ((0) + (0)), 4]) 
  Größe = concat(Größe, cbr(Größe, [)(12) / 2) / 3, (10) // 3, 6, (3 - 1) + (max(0, 0)), (kk + 9) / 2]))
    Größe = resmg_proj(Größe, [4, (c + 8) / 2, (27) / 3 - 1, (c + 0) + (2), (4) + (kk - 3)])

    Größe = mgconv_down(Größe, [7, 6, 5, 1, (c - 6) + (2)], k = 3)


    output exec = gap(Größe[4])
}
