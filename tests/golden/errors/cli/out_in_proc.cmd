# E614: --out inside /proc, where no folder can be made
mgdsl train {here}/seg.mg --task mnist-seg --epochs 1 --iters-per-epoch 1 --train-size 4 --test-size 4 --device cpu --out /proc/mgdsl-run
