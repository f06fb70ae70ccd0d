# E621: a `use` of a symlink to a FIFO answers at once (opening one would block forever)
mkfifo pipe && ln -s pipe blocks.mg && printf 'use "blocks.mg"\nnetwork N() {\n    input image: 1 x 8 x 8\n    output y = image\n}\n' > main.mg
mgdsl check main.mg
