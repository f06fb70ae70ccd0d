# E900: only the TikZ picture body asked for, but the output is not .tex
mgdsl render {here}/twonets.mg --network A --tikz-body -o a.svg
