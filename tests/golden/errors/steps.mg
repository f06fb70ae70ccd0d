# Elaboration stops after mgdsl.limits.LIMITS.max_steps steps.
network Busy() {
    input image: 1 x 8 x 8
    n = 0
    repeat 100000 { repeat 100000 { n = n + 1 } }  # error[E508]
    output y = image
}
