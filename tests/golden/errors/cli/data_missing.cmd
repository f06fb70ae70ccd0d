# E700: a data directory that does not exist
mgdsl train {here}/cifar.mg --task cifar100 --data-dir nowhere --device cpu --out run
