# E702: an option the task does not have (ten-crop testing outside ImageNet)
mgdsl train {here}/seg.mg --task mnist-seg --epochs 1 --iters-per-epoch 1 --batch-size 2 --train-size 4 --test-size 4 --eval-every 0 --device cpu --quiet --out run
mgdsl eval --checkpoint run/checkpoint.pt --ten-crop --device cpu --test-size 4
