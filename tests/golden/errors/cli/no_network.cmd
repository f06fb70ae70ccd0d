# E210: a file of blocks only
mgdsl stats {here}/blocks.mg
