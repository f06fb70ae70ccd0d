# E604: a NUL byte
mgdsl check {here}/nul.mg
