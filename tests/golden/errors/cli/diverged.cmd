# E801: an absurd learning rate makes the loss non-finite
mgdsl train {here}/seg.mg --task mnist-seg --lr 1e30 --epochs 1 --iters-per-epoch 3 --batch-size 2 --train-size 8 --test-size 4 --device cpu --quiet --out run
