# E324: --input names an input the network does not declare
mgdsl check {here}/seg.mg --input img=1x64x64
