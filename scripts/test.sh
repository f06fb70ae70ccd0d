#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the whole default test suite. Extra arguments go to
# pytest (for example `-m slow` for the long training tests). Exit code 5 from pytest
# ("no tests collected") is turned into a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
.venv/bin/python -m pytest -n 2 -q "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "error: pytest collected no tests" >&2
    exit 1
fi
exit "$rc"
