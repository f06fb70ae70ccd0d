# E963: render --block with a name the standard library lacks
mgdsl render --block mgconvv -o b.dot
