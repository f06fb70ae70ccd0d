# E800: --resume where no run was started
mgdsl train {here}/seg.mg --task mnist-seg --resume --out run
