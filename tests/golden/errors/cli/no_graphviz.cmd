# E961: drawing SVG without Graphviz's `dot` on the PATH
PATH=/nonexistent mgdsl render {here}/twonets.mg --network A -o a.svg
