#!/usr/bin/env bash
# Table 3 of the paper: synthetic MNIST spatial transformation (see examples/reproduce.sh).
exec "$(dirname "$0")/reproduce.sh" 3 "$@"
