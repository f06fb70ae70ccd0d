#!/usr/bin/env bash
# Table 2 of the paper: synthetic MNIST semantic segmentation (see examples/reproduce.sh).
exec "$(dirname "$0")/reproduce.sh" 2 "$@"
