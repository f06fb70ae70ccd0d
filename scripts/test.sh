#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the whole default test suite. Extra arguments go to
# pytest. A marker expression that does not mention `slow` keeps the slow tests out, as the
# default run does: `-m "not torch"` runs the torch-free tier, `-m slow` only the long
# tests. Exit code 5 from pytest ("no tests collected") is turned into a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
args=()
while [ "$#" -gt 0 ]; do
    case "$1" in
        -m)
            if [ "$#" -lt 2 ]; then
                echo "error: -m needs a marker expression" >&2
                exit 2
            fi
            expr="$2"
            [[ "$expr" == *slow* ]] || expr="($expr) and not slow"
            args+=(-m "$expr")
            shift 2
            ;;
        *)
            args+=("$1")
            shift
            ;;
    esac
done
.venv/bin/python -m pytest -n 2 -q ${args[@]+"${args[@]}"}
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "error: pytest collected no tests" >&2
    exit 1
fi
exit "$rc"
