# E802: a checkpoint evaluated with another network than the one it was trained with
mgdsl train {here}/seg.mg --task mnist-seg --epochs 1 --iters-per-epoch 1 --batch-size 2 --train-size 4 --test-size 4 --eval-every 0 --device cpu --quiet --out run
mgdsl eval {here}/segb.mg --task mnist-seg --checkpoint run/checkpoint.pt --device cpu --test-size 4
