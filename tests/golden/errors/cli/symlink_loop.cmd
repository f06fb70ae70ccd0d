# E620: a symlink pointing at itself is a loop, not an unreadable file
ln -s loop.mg loop.mg
mgdsl check loop.mg
