# E711: three score maps for a task of ten classes, refused before any torch work
mgdsl train {here}/seg3.mg --task mnist-seg --epochs 1 --iters-per-epoch 1 --batch-size 2 --train-size 4 --test-size 4 --device cpu --quiet --out run
