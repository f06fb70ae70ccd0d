# E621: a directory is not a .mg file
mkdir d.mg
mgdsl check d.mg
