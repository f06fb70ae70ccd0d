# E326: a network tied to its declared size (a linear layer on a flattened grid), checked at another
cp {here}/flat.mg .
mgdsl check flat.mg --input image=1x16x16
