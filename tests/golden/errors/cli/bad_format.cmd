# E962: a file suffix render cannot write
mgdsl render {here}/twonets.mg --network A -o a.jpg
