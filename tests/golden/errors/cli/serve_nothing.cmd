# E931: serve needs a folder or a .mg file
mgdsl serve nosuch.txt
