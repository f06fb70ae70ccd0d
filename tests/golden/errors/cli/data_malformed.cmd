# E701: an MNIST directory whose image file is not an IDX file
mkdir mn && echo "not idx" > mn/train-images-idx3-ubyte
mgdsl train {here}/seg.mg --task mnist-seg --mnist-dir mn --device cpu --out run
