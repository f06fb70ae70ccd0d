# E703: CIFAR-100 is read from disk and needs --data-dir
mgdsl train {here}/cifar.mg --task cifar100 --device cpu --out run
