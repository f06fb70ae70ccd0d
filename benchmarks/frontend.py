"""Front-end scaling: text -> checked IR -> GraphModule, stage by stage.

For each zoo network and for generated chains of N mg-conv layers (two grids, `mgcbr` of
std.mg: pool + upsample + concat + conv + BN + ReLU per grid), one fresh child process per
case times, in CPU seconds (robust to other processes on the machine), the stages

* ``ir``: parse the text and its includes, elaborate, validate, count (`mgdsl.build_graph`);
* ``modules``: plan the names and build the uninitialised submodules (`to_fx` minus the graph);
* ``codegen``: build the fx graph and generate + compile its Python code (`GraphModule.recompile`);

(the last two with the cyclic GC paused, as `to_fx` runs them)

and the growth of the process's peak RSS during each stage. ``total`` is the median of
whole `mgdsl.build_graph` + `mgdsl.to_fx(init="none")` runs (no weight initialisation).
Every timed run starts after a `gc.collect()`, so it does not pay for collecting the
garbage of the run before it.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import median, peak_rss_mb

__all__ = ["chain_source", "measure_case", "run_frontend", "ZOO"]

ZOO = ["MG-16", "PMG-11-seg", "R-PMG-20-spt", "U-NET-11-seg", "R-PMG-44"]
ROOT = Path(__file__).resolve().parents[1]


def chain_source(layers: int) -> str:
    """A `.mg` network of `layers` mg-conv layers on a two-grid pyramid (8x8 and 4x4)."""
    return (
        'use "std.mg"\n'
        f"network Chain(n = {layers}) {{\n"
        "    input image: 1 x 8 x 8\n"
        "    p = stems(image, [8, 4], levels = 2)\n"
        "    repeat n { p = mgcbr(p, [8, 4]) }\n"
        "    output y = sigmoid(cb(p[0], 1))\n"
        "}\n"
    )


def measure_case(case: str, repeats: int) -> dict:
    """Time the stages of one case (a zoo name or ``chain:N``) in this process."""
    import torch
    import torch.fx as fx
    from torch import nn

    import mgdsl
    from mgdsl.codegen import fx as cfx
    from mgdsl.codegen.plan import MODULE_OPS, plan
    from mgdsl.compilation import Compilation, resolve_target
    from mgdsl.gcpause import gc_paused
    from mgdsl.limits import LIMITS

    if case.startswith("chain:"):
        layers = int(case.split(":", 1)[1])
        text, network, params, name = chain_source(layers), None, {}, "<chain>"
    else:
        path, network, params = resolve_target(case)
        text, name, layers = path.read_text(encoding="utf-8"), str(path), None

    def ir_stage():
        return Compilation(name, text=text, params=params).ir(network)

    with LIMITS.override(max_nodes=10**7, max_steps=10**9):
        stages: dict[str, list[float]] = {"ir": [], "modules": [], "codegen": [], "total": []}
        rss: dict[str, float] = {}
        for r in range(repeats + 1):  # the first run warms caches and imports up
            gc.collect()  # each timed run starts from a collected heap, as timeit's do
            m0, t0 = peak_rss_mb(), time.process_time()
            ir = ir_stage()
            t1, m1 = time.process_time(), peak_rss_mb()
            with gc_paused():  # as in `to_fx`
                p = plan(ir)
                nodes = [n for n in sorted(ir.nodes) if ir.nodes[n].op in MODULE_OPS]
                mods = cfx.build_modules(ir, nodes)
                gm = fx.GraphModule(nn.Module(), fx.Graph(), class_name=p.class_name)
                cfx._tree(p.paths, mods, gm)
                t2, m2 = time.process_time(), peak_rss_mb()
                gm.graph = cfx._graph(ir, p)
                t3, m3 = time.process_time(), peak_rss_mb()
            if r == 0:
                rss = {"ir": m1 - m0, "modules": m2 - m1, "codegen": m3 - m2}
                n_nodes = ir.number_of_nodes()
            else:
                stages["ir"].append(t1 - t0)
                stages["modules"].append(t2 - t1)
                stages["codegen"].append(t3 - t2)
            del ir, p, mods, gm
            if r:
                gc.collect()
                t0 = time.process_time()
                gm = mgdsl.to_fx(ir_stage(), init="none")
                stages["total"].append(time.process_time() - t0)
                del gm
        torch.manual_seed(0)
    return {"case": case, "layers": layers, "nodes": n_nodes,
            "ms": {k: median(v) * 1e3 for k, v in stages.items()},
            "peak_rss_growth_mb": rss}


def run_frontend(cases: list[str], repeats: int, big_repeats: int = 1) -> list[dict]:
    """Measure every case in its own child process (fresh heap, fresh GC state)."""
    rows = []
    for case in cases:
        big = case.startswith("chain:") and int(case.split(":")[1]) >= 1000
        cmd = [sys.executable, "-m", "benchmarks.frontend", case,
               str(big_repeats if big else repeats)]
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


if __name__ == "__main__":
    print(json.dumps(measure_case(sys.argv[1], int(sys.argv[2]))))
