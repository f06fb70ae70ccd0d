# E803: the right shape, but no sigmoid: the segmentation loss needs probabilities
mgdsl train {here}/raw.mg --task mnist-seg --epochs 1 --iters-per-epoch 1 --batch-size 2 --train-size 4 --test-size 4 --device cpu --quiet --out run
