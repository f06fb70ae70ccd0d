# E221: a code that is not in the catalogue
mgdsl explain E3002
