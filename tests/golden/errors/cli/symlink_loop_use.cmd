# E620: a `use` of a symbolic link that points at itself is a loop, not a missing file
ln -s blocks.mg blocks.mg && printf 'use "blocks.mg"\nnetwork N() {\n    input image: 1 x 8 x 8\n    output y = image\n}\n' > main.mg
mgdsl check main.mg
