# E610: --out names a regular file, so the run folder cannot be made there
touch afile
mgdsl train {here}/seg.mg --task mnist-seg --epochs 1 --iters-per-epoch 1 --train-size 4 --test-size 4 --device cpu --out afile/sub
