# E603: the operating system cannot open the file (a symlink pointing at itself)
ln -s loop.mg loop.mg
mgdsl check loop.mg
