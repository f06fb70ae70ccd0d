#!/usr/bin/env bash
# What one short GPU session runs, in order, on a CUDA machine whose python3 already has
# torch (no network): the test suite (CUDA tests included), the Table 2/3 sweep
# (examples/budget_sweep.py), attention figures of R-PMG-20, then the device benchmark.
#   OUT=DIR MINUTES=3.5 LIMIT=560 bash scripts/gpu_session.sh
# (LIMIT: seconds the whole script may take; the last step, torch.compile, gets what is left.)
# A dry run of the steps on a CPU: DEVICE=cpu TESTS=0 PY=.venv/bin/python MINUTES=0.1
#   SWEEP_ARGS="--models SG-11 --probe-steps 2 --batch-size 4 --eval-limit 20" bash scripts/gpu_session.sh
# Wheels of packages the machine lacks (lark, graphviz, mlxtend) are taken from .whl/ if
# present. Every step has its own time limit, so a failing step costs only its own time.
# TESTS=0 skips the suite, TEST_ARGS="tests/a.py -k b" narrows it; EAGER_BENCH=0 skips the
# eager device benchmark.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/gpu-session}
MINUTES=${MINUTES:-3.5}
LIMIT=${LIMIT:-560}
RUNS=runs/gpu
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}
mkdir -p "$OUT" "$RUNS"
step() { echo; echo "=== [$(date +%T), ${SECONDS}s] $*"; }

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
$PY -c "import sys, torch; print(sys.version.split()[0], torch.__version__, torch.version.cuda, torch.cuda.is_available() and torch.cuda.get_device_name())"
nproc

step "install the project (editable, no index) and the carried wheels"
wheels=(); [ -d .whl ] && wheels=(.whl/*.whl)
if ! $PY -m pip install -q --no-index --no-deps --no-build-isolation -e . "${wheels[@]}"; then
    # read-only environment: the package assembled from links, wheels in /tmp/site, and
    # no current directory on sys.path (it would shadow the assembled package)
    echo "editable install failed; using links in /tmp/pkg"
    mkdir -p /tmp/pkg/mgdsl
    for f in mgdsl/*; do ln -sfn "$PWD/$f" /tmp/pkg/mgdsl/; done
    ln -sfn "$PWD/codegen" /tmp/pkg/mgdsl/codegen; ln -sfn "$PWD/architectures" /tmp/pkg/mgdsl/architectures
    [ ${#wheels[@]} -gt 0 ] && $PY -m pip install -q --no-index --no-deps --target /tmp/site "${wheels[@]}"
    export PYTHONSAFEPATH=1 PYTHONPATH=/tmp/pkg:/tmp/site:$PWD:$PWD/examples
fi
$PY -c "import mgdsl, mgdsl.codegen, lark, graphviz; from mgdsl.data.digits import load_digits
print('mgdsl', mgdsl.__file__, mgdsl.load('PMG-11-seg').number_of_nodes(), load_digits('test')[0].shape)" || exit 1

step "test suite (default selection plus the CUDA tests)"
[ "${TESTS:-1}" = 1 ] && timeout 150 $PY -m pytest -n 12 -q ${TEST_ARGS:-} 2>&1 | tail -25

step "Tables 2 and 3: every model at once for $MINUTES min"
# The sweep stops a minute before LIMIT, leaving time to pack the results so they come back.
# Gain 1.4: eleven runs together did 1.57 times the probe's rate on an H200 (2nd session);
# plans made without the gain used 52-73 % of the budget.
sweep_limit=$(awk "BEGIN { a = int($MINUTES * 75 + 200); b = $LIMIT - $SECONDS - 60; print (a < b ? a : b) }")
timeout "$sweep_limit" $PY examples/budget_sweep.py --minutes "$MINUTES" \
    --device "$DEVICE" --out "$RUNS" ${SWEEP_ARGS:---concurrency-gain 1.4} 2>&1 | tail -40

step "attention figures of R-PMG-20"
for task in seg spt; do
    ck="$RUNS/table$([ $task = seg ] && echo 2 || echo 3)/R-PMG-20-$task/checkpoint.pt"
    [ -f "$ck" ] && timeout 60 $PY -m mgdsl eval --checkpoint "$ck" --device "$DEVICE" --limit 200 \
        --attention --samples 0,1,2 --out "$RUNS/figs-$task" 2>&1 | tail -3
done

step "pack the results"
tar czf "$OUT/runs.tgz" --exclude=checkpoint.pt "$RUNS"
$PY - "$RUNS" "$OUT" <<'EOF'
import sys, torch, pathlib
runs, out = map(pathlib.Path, sys.argv[1:])
for ck in sorted(runs.glob("table*/*/checkpoint.pt")):
    if ck.parent.name.startswith("R-PMG-20"):  # weights only, for figures here
        data = torch.load(ck, weights_only=True)
        data["optimizer"] = {}
        torch.save(data, out / f"{ck.parent.name}.pt")
EOF
ls -la "$OUT"

step "device benchmark: eager fp32 and bf16 + channels_last, the four benchmark networks"
[ "${EAGER_BENCH:-1}" = 1 ] && timeout 120 $PY -m benchmarks.run --section device --device "$DEVICE" ${BENCH_ARGS:-} --json "$OUT/device.json" \
    --markdown "$OUT/device.md" 2>&1 | tail -20

left=$(($LIMIT - SECONDS))
step "device benchmark with torch.compile and CUDA graphs, MG-16 then R-PMG-20-spt (${left}s left)"
[ "$DEVICE" = cuda ] && [ "$left" -gt 60 ] && timeout "$left" $PY - "$OUT" <<'EOF' 2>&1 | tail -40
import json, sys
from benchmarks.device import run_device
rows = []
for net in ["MG-16", "R-PMG-20-spt"]:  # one at a time, saved as each ends: time may run out
    rows += run_device([net], "cuda", compile=True, rounds=3)  # CUDA graphs need CUDA
    json.dump(rows, open(f"{sys.argv[1]}/device-compile.json", "w"), indent=1)
    print(json.dumps(rows[-1], indent=1), flush=True)
EOF
step "done"
