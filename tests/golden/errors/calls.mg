# Blocks may nest at most mgdsl.limits.LIMITS.max_call_depth calls deep.
block b0(p) { return b1(p) }
block b1(p) { return b2(p) }
block b2(p) { return b3(p) }
block b3(p) { return b4(p) }
block b4(p) { return b5(p) }
block b5(p) { return b6(p) }
block b6(p) { return b7(p) }
block b7(p) { return b8(p) }
block b8(p) { return b9(p) }
block b9(p) { return b10(p) }
block b10(p) { return b11(p) }
block b11(p) { return b12(p) }
block b12(p) { return b13(p) }
block b13(p) { return b14(p) }
block b14(p) { return b15(p) }
block b15(p) { return b16(p) }
block b16(p) { return b17(p) }
block b17(p) { return b18(p) }
block b18(p) { return b19(p) }
block b19(p) { return b20(p) }
block b20(p) { return b21(p) }
block b21(p) { return b22(p) }
block b22(p) { return b23(p) }
block b23(p) { return b24(p) }
block b24(p) { return b25(p) }
block b25(p) { return b26(p) }
block b26(p) { return b27(p) }
block b27(p) { return b28(p) }
block b28(p) { return b29(p) }
block b29(p) { return b30(p) }
block b30(p) { return b31(p) }
block b31(p) { return b32(p) }  # error[E510]
block b32(p) { return b33(p) }
block b33(p) { return b34(p) }
block b34(p) { return b35(p) }
block b35(p) { return b36(p) }
block b36(p) { return b37(p) }
block b37(p) { return b38(p) }
block b38(p) { return b39(p) }
block b39(p) { return b40(p) }
block b40(p) { return relu(p) }
network Deep() {
    input image: 1 x 8 x 8
    output y = b0(image)
}
