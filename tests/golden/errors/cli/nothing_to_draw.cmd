# E960: render without a network or block
mgdsl render -o a.svg
