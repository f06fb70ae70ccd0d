# E964: Graphviz's `dot` runs and fails (a stand-in `dot` that exits 1)
mkdir bin && printf '#!/bin/sh\necho "Error: no such plugin" >&2\nexit 1\n' > bin/dot && chmod +x bin/dot
PATH=bin:/usr/bin:/bin mgdsl render {here}/twonets.mg --network A -o a.svg
