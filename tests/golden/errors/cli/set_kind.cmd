# E710: a --set value of another kind than the parameter's default
mgdsl check MG-16 --set n=abc
