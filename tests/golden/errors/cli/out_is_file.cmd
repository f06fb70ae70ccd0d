# E610: --out under a regular file, so the run folder cannot be made there
cp {here}/seg.mg .
touch afile
mgdsl train seg.mg --task mnist-seg --epochs 1 --iters-per-epoch 1 --train-size 4 --test-size 4 --out afile/sub
