# E703: CIFAR-100 is read from disk and needs --data-dir
mgdsl train {here}/seg.mg --task cifar100 --device cpu --out run
