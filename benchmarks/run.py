"""The benchmark entry point: `python -m benchmarks.run [--quick] [--section S ...]`.

Runs the sections below and prints one Markdown report (the format of docs/benchmarks.md);
`--markdown FILE` / `--json FILE` also write it. Every number is a ratio or a rate measured
side by side in this run (interleaved rounds, medians, warm-up rounds excluded).

* ``train``: training step (forward + backward + SGD), fx / emitted source / channels_last /
  optionally torch.compile (`--compile`) against the hand-written reference; GFLOP/s and the
  fraction of a large matmul's rate measured in the same rounds;
* ``infer``: inference, fx with BN folded + channels_last against eager eval;
* ``frontend``: text -> IR -> GraphModule per stage, zoo and generated 10..10,000 layers;
* ``data``: synthetic MNIST generation against training consumption;
* ``memory``: peak RSS of a training step (one child process per implementation);
* ``process``: `mgdsl train` defaults against the reference run with plain `python`;
* ``lsp``: language-server latency, an edit of the largest zoo file -> fresh diagnostics
  through `mgdsl lsp` over stdio (target <= 100 ms);
* ``device``: the training step on an accelerator (`--device`, default CUDA when present):
  eager fp32, bf16 + channels_last, and with `--compile` torch.compile and CUDA graphs;
  images/s and model-FLOPs utilisation. Part of the default run only when CUDA is present.
* ``graphs``: `mgdsl train --cuda-graphs` against the CUDA-graph model step, as a ratio
  (`benchmarks.train_graphs`); skipped with a note without CUDA.

The run itself re-executes under jemalloc like `mgdsl train` (`mgdsl.train.runtime`), unless
`--system-allocator`; the report names the allocator.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

__all__ = ["MODES", "SECTIONS", "main", "report"]

SECTIONS = ("train", "infer", "frontend", "data", "memory", "process", "lsp", "device", "graphs")
ALL_NETS = ["MG-16", "PMG-11-seg", "R-PMG-20-spt", "U-NET-11-seg"]

#: what each mode measures: batch (None = the paper's), rounds, networks, frontend cases...
MODES = {
    "full": {"batch": None, "rounds": 5, "warmup": 1, "nets": ALL_NETS, "fast_nets": ALL_NETS,
             "frontend": ["MG-16", "PMG-11-seg", "R-PMG-20-spt", "U-NET-11-seg", "R-PMG-44",
                          "chain:10", "chain:100", "chain:1000", "chain:10000"],
             "fe_repeats": 5, "data_batch": 64, "mem_batch": None, "mem_nets": ALL_NETS,
             "process": (64, 3, 3), "lsp_edits": 40, "device": {"batch": None, "steps": 10},
             "graphs": {"nets": ["PMG-11-seg", "R-PMG-20-spt"], "steps": 50}},
    "quick": {"batch": 4, "rounds": 3, "warmup": 1, "nets": ALL_NETS,
              "fast_nets": ["PMG-11-seg"],
              "frontend": ["R-PMG-44", "chain:10", "chain:100", "chain:1000"],
              "fe_repeats": 3, "data_batch": 16, "mem_batch": 8,
              "mem_nets": ["PMG-11-seg"], "process": (8, 1, 2), "lsp_edits": 20,
              "device": {"batch": None, "steps": 5},
              "graphs": {"nets": ["PMG-11-seg"], "steps": 20}},
    "tiny": {"batch": 2, "rounds": 1, "warmup": 0, "nets": ["PMG-11-seg"], "fast_nets": [],
             "frontend": ["chain:10"], "fe_repeats": 1, "data_batch": 2, "mem_batch": 2,
             "mem_nets": ["PMG-11-seg"], "process": (2, 1, 1), "lsp_edits": 2,
             "device": {"batch": 2, "steps": 1, "matmul_size": 1024},
             "graphs": {"nets": ["PMG-11-seg"], "steps": 2}},
}


def _f(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def report(results: dict) -> str:
    """The Markdown report of `results` (what `main` collects)."""
    out = [f"# mgdsl benchmarks ({results['mode']})\n",
           f"Command: `{results['command']}`  \nMachine: {results['machine']['cpu']}, "
           f"{results['machine']['cores']} cores, torch {results['machine']['torch']} "
           f"({results['machine']['threads']} threads), Python {results['machine']['python']}, "
           f"allocator {results['machine']['allocator']}, load average at start "
           f"{results['machine']['load']}.  \nTotal run time {results['seconds']:.0f} s.\n"]
    if "train" in results:
        rows = []
        for r in results["train"]:
            rows.append([r["net"], str(r["batch"]), _f(r["fx/ref"]), _f(r["src/ref"]),
                         _f(r.get("ref_cl/ref")), _f(r.get("fx_cl/ref")),
                         _f(r.get("src_cl/ref")), _f(r.get("fx_compiled/ref")),
                         _f(r["ref_gflops"], 1), _f(r["fx_gflops"], 1),
                         _f(r.get("fx_cl_gflops"), 1), _f(r["peak_gflops"], 1),
                         f"{100 * r['fx_peak_frac']:.0f} %",
                         f"{100 * r['fx_cl_peak_frac']:.0f} %" if "fx_cl_peak_frac" in r else "–",
                         _f(r["compile_s"], 0) if r["compile_s"] else "–"])
        out.append("## Training step (forward + backward + SGD), time ratio to the reference\n")
        out.append("Lower is faster; `ref` = hand-written eager NCHW, `_cl` = channels_last. "
                   "GFLOP/s = 6 x MACs x batch / median step time; peak = float32 2048^3 "
                   "matmul timed in the same rounds.\n")
        out.append(_table(["net", "batch", "fx", "src", "ref cl", "fx cl", "src cl",
                           "fx compiled", "ref GFLOP/s", "fx GFLOP/s", "fx cl GFLOP/s",
                           "peak GFLOP/s", "fx % peak", "fx cl % peak", "compile s"], rows))
    if "infer" in results:
        rows = [[r["net"], str(r["batch"]), _f(r["fx/ref"]), _f(r["fx_cl/ref"]),
                 _f(r["fx_fold_cl/ref"])] for r in results["infer"]]
        out.append("## Inference (no_grad), time ratio to the eager reference in eval mode\n")
        out.append(_table(["net", "batch", "fx", "fx channels_last",
                           "fx fold_bn + channels_last"], rows))
    if "frontend" in results:
        rows = []
        for r in results["frontend"]:
            ms, mb = r["ms"], r["peak_rss_growth_mb"]
            per = f"{ms['total'] / r['layers']:.3f}" if r["layers"] else "–"
            rows.append([r["case"], str(r["nodes"]), _f(ms["ir"], 1), _f(ms["modules"], 1),
                         _f(ms["codegen"], 1), _f(ms["total"], 1), per,
                         f"{mb['ir']:.0f} / {mb['modules']:.0f} / {mb['codegen']:.0f}"])
        out.append("## Front end: text -> checked IR -> GraphModule (CPU ms, no weight init)\n")
        out.append("`total` = median of whole `build_graph` + `to_fx(init=\"none\")` runs, each "
                   "from a collected heap; the stages run with the GC paused, as `to_fx` runs "
                   "them; peak RSS growth per stage in MiB (first run of a fresh process).\n")
        out.append(_table(["case", "IR nodes", "IR ms", "modules ms", "fx codegen ms",
                           "total ms", "ms / layer", "peak RSS MiB (IR / mod / codegen)"],
                          rows))
        per = {r["layers"]: r["ms"]["total"] / r["layers"] for r in results["frontend"]
               if r["layers"]}
        if 100 in per and max(per) > 100:
            out.append(f"Per-layer time at {max(per):,} layers / at 100 layers: "
                       f"{per[max(per)] / per[100]:.2f}x.\n")
    if "data" in results:
        d = results["data"]
        out.append("## Data: synthetic MNIST generation vs training consumption\n")
        out.append(_table(["batch", "generated samples/s", "trained samples/s (fx PMG-11)",
                           "ratio"], [[str(d["batch"]), _f(d["generate_samples_s"], 0),
                                       _f(d["train_samples_s"], 1), _f(d["ratio"], 1)]]))
    if "memory" in results:
        rows = [[r["net"], str(r["batch"]),
                 *(_f(r.get(f"{k}_heap_step_peak_mb"), 1) for k in ("ref", "fx", "src")),
                 _f(r.get("fx/ref heap"), 3), _f(r.get("src/ref heap"), 3),
                 *(_f(r[f"{k}_step_peak_mb"], 0) for k in ("ref", "fx", "src")),
                 _f(r["fx/ref"]), _f(r["src/ref"])] for r in results["memory"]]
        out.append("## Memory: peak growth during a training step (MiB)\n")
        out.append("Heap = most bytes malloc had handed out at any operator boundary of one "
                   "step (exact, repeatable); RSS = the process's peak resident set growth over "
                   "two steps (includes pages the allocator kept, which vary run to run).\n")
        out.append(_table(["net", "batch", "heap ref", "heap fx", "heap src", "heap fx / ref",
                           "heap src / ref", "RSS ref", "RSS fx", "RSS src", "RSS fx / ref",
                           "RSS src / ref"], rows))
    if "device" in results:
        from benchmarks.device import VARIANTS

        rows = []
        for r in results["device"]:
            for variant in (v for v in VARIANTS if v in r):
                v = r[variant]
                rows.append([r["net"], str(r["batch"]), r["device"], variant,
                             _f(v["images_s"], 0), _f(v["tflops"], 2),
                             f"{100 * v['mfu']:.0f} %", _f(r["compile_s"].get(variant), 0)])
        peaks = ", ".join(f"{r['net']}: fp32{' (TF32)' if r.get('tf32') else ''} "
                          f"{r['peak_fp32_tflops']:.1f}, bf16 "
                          f"{r['peak_bf16_tflops']:.1f}" for r in results["device"])
        out.append("## Training step on the device (fx module)\n")
        out.append("images/s and model TFLOP/s (6 x MACs x batch per step) from the median of "
                   "interleaved rounds; MFU against a large matmul of the variant's precision "
                   f"timed in the same rounds (TFLOP/s: {peaks}).\n")
        out.append(_table(["net", "batch", "device", "variant", "images/s", "TFLOP/s", "MFU",
                           "compile s"], rows))
    if "graphs" in results:
        g = results["graphs"]
        out.append("## `mgdsl train --cuda-graphs` against the CUDA-graph model step\n")
        if "skipped" in g:
            out.append(f"Skipped: {g['skipped']}.\n")
        else:
            out.append(f"bf16 + channels_last; `mgdsl train` over {g['steps']}-step epochs after "
                       f"the first, {g['workers']} data workers.\n")
            out.append(_table(["net", "batch", "model step images/s", "mgdsl train images/s",
                               "ratio"],
                              [[r["net"], str(r["batch"]), _f(r["model_step_images_s"], 0),
                                _f(r["train_images_s"], 0), _f(r["ratio"])] for r in g["rows"]]))
    if "process" in results:
        p = results["process"]
        out.append("## `mgdsl train` defaults vs the reference as a user runs it "
                   "(whole processes, A B A B)\n")
        out.append(_table(
            ["net", "batch", "rounds", "mgdsl s/step", "reference s/step", "ratio",
             "mgdsl GFLOP/s", "reference GFLOP/s", "peak GFLOP/s", "mgdsl % peak"],
            [[p["net"], str(p["batch"]), str(p["rounds"]),
              ", ".join(f"{t:.2f}" for t in p["mgdsl_step_s"]),
              ", ".join(f"{t:.2f}" for t in p["reference_step_s"]), _f(p["ratio"]),
              _f(p["mgdsl_gflops"], 1), _f(p["reference_gflops"], 1), _f(p["peak_gflops"], 1),
              f"{100 * p['mgdsl_peak_frac']:.0f} %"]]))
    if "lsp" in results:
        r = results["lsp"]
        out.append("## Language server: an edit -> fresh diagnostics (ms, target <= 100)\n")
        out.append("`mgdsl lsp` over stdio, driven by pygls's client; edits alternately break "
                   "and fix a call; `analyse` = the in-process check alone (wall / CPU).\n")
        out.append(_table(["file", "IR nodes", "edits", "median ms", "p90 ms", "p95 ms",
                           "max ms", "analyse ms", "analyse CPU ms", "load"],
                          [[r["file"], str(r["nodes"]), str(r["edits"]), _f(r["median_ms"], 1),
                            _f(r["p90_ms"], 1), _f(r.get("p95_ms"), 1), _f(r["max_ms"], 1),
                            _f(r["analyse_ms"], 1),
                            _f(r.get("analyse_cpu_ms"), 1), _f(r.get("load"), 1)]]))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the chosen sections and print the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="small batches, about a minute")
    mode.add_argument("--tiny", action="store_true", help="smallest run (the smoke test)")
    ap.add_argument("--section", action="append", choices=SECTIONS,
                    help="run only these sections (repeatable; default: all)")
    ap.add_argument("--compile", action="store_true",
                    help="include torch.compile of the fx module (minutes of compilation)")
    ap.add_argument("--rounds", type=int, help="timed rounds per comparison")
    ap.add_argument("--device", help="device of the `device` section (default: cuda when "
                    "available, else cpu)")
    ap.add_argument("--system-allocator", action="store_true",
                    help="do not re-execute under jemalloc")
    ap.add_argument("--markdown", metavar="FILE", help="also write the report here")
    ap.add_argument("--json", metavar="FILE", help="also write the raw results here")
    args = ap.parse_args(argv)
    if not args.system_allocator and argv is None:
        from mgdsl.train.runtime import ensure_fast_allocator

        ensure_fast_allocator()

    from benchmarks.harness import machine

    name = "tiny" if args.tiny else "quick" if args.quick else "full"
    m = dict(MODES[name])
    if args.rounds:
        m["rounds"] = args.rounds
    if args.section:
        sections = args.section
    else:
        import torch

        sections = [s for s in SECTIONS
                    if s not in ("device", "graphs") or torch.cuda.is_available()]
    started = time.perf_counter()
    command = "python -m benchmarks.run" + (f" --{name}" if name != "full" else "")
    results: dict = {"mode": name, "machine": machine(), "command": command}

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {text}", file=sys.stderr, flush=True)

    if "train" in sections or "infer" in sections:
        from benchmarks.step import StepConfig, run_inference, run_training

        cfg = StepConfig(batch=m["batch"], rounds=m["rounds"], warmup=m["warmup"],
                         nets=m["nets"], fast_nets=m["fast_nets"], compile=args.compile)
        if "train" in sections:
            say("training steps")
            results["train"] = run_training(cfg)
        if "infer" in sections:
            say("inference")
            infer_nets = m["fast_nets"] or m["nets"]
            results["infer"] = run_inference(StepConfig(
                batch=m["batch"], rounds=m["rounds"], warmup=m["warmup"], nets=infer_nets,
                fast_nets=infer_nets))
    if "frontend" in sections:
        from benchmarks.frontend import run_frontend

        say("front end")
        results["frontend"] = run_frontend(m["frontend"], m["fe_repeats"])
    if "data" in sections:
        from benchmarks.data import run_data

        say("data")
        results["data"] = run_data(m["data_batch"], m["rounds"], m["warmup"])
    if "memory" in sections:
        from benchmarks.memory import run_memory

        say("memory")
        results["memory"] = run_memory(m["mem_nets"], m["mem_batch"], steps=2)
    if "process" in sections:
        from benchmarks.process import run_process

        say("training processes")
        batch, rounds, steps = m["process"]
        results["process"] = run_process(batch, rounds, steps)
    if "lsp" in sections:
        from benchmarks.lsp import run_lsp

        say("language server")
        results["lsp"] = run_lsp(m["lsp_edits"])
    if "device" in sections:
        import torch

        from benchmarks.device import run_device

        device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
        say(f"training steps on {device}")
        results["device"] = run_device(m["nets"], device, rounds=m["rounds"], warmup=m["warmup"],
                                       compile=args.compile, **m["device"])
    if "graphs" in sections:
        from benchmarks.train_graphs import run_train_graphs

        say("mgdsl train with CUDA graphs")
        results["graphs"] = run_train_graphs(m["graphs"]["nets"], steps=m["graphs"]["steps"],
                                             rounds=m["rounds"])
    results["seconds"] = time.perf_counter() - started
    text = report(results)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
