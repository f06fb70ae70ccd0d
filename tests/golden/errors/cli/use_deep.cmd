# E505: `use` nested deeper than mgdsl.limits.LIMITS.max_use_depth
for i in $(seq 0 39); do echo "use \"f$((i+1)).mg\"" > f$i.mg; done; echo 'block b(p) { return p }' > f40.mg; printf 'use "f0.mg"\nnetwork N() {\n    input image: 1 x 8 x 8\n    output y = b(image)\n}\n' > main.mg
mgdsl check main.mg
