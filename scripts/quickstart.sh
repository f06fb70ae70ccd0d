#!/usr/bin/env bash
# The README's first command: set up (scripts/setup.sh), then train a width-16 U-NET-11 for
# 300 steps on synthetic MNIST segmentation built from the embedded digits and evaluate it
# with an examples figure, all in runs/quickstart. Extra arguments go to `mgdsl train`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
out=runs/quickstart
.venv/bin/mgdsl train U-NET-11-seg --task mnist-seg --set w=16 --epochs 6 --iters-per-epoch 50 \
    --batch-size 32 --optimizer adamw --output-prior 0.015 --eval-limit 200 --out "$out" --overwrite "$@"
.venv/bin/mgdsl eval U-NET-11-seg --task mnist-seg --checkpoint "$out/checkpoint.pt" --limit 200 \
    --attention --out "$out"
