# E932: a port out of range
mgdsl serve {here} --port 70000
