# E325: an input size that is not C x H x W
mgdsl check {here}/seg.mg --input image=1x64
