# E614: --out inside /proc, where no folder can be made
cp {here}/seg.mg .
mgdsl train seg.mg --task mnist-seg --epochs 1 --iters-per-epoch 1 --train-size 4 --test-size 4 --out /proc/mgdsl-run
