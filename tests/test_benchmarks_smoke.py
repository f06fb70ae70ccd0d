"""The benchmark entry point runs from a fresh checkout (tiny mode; no timing assertions)."""

from __future__ import annotations

import json
import sys

import pytest
from paths import ROOT

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


from benchmarks import run  # noqa: E402
from benchmarks.frontend import chain_source  # noqa: E402

pytestmark = pytest.mark.torch  # trains and measures torch operators


def test_tiny_run_writes_a_report(tmp_path, capsys):
    md, js = tmp_path / "report.md", tmp_path / "results.json"
    code = run.main(["--tiny", "--section", "train", "--section", "frontend",
                     "--markdown", str(md), "--json", str(js)])
    assert code == 0
    text = md.read_text(encoding="utf-8")
    assert "## Training step" in text and "## Front end" in text
    results = json.loads(js.read_text(encoding="utf-8"))
    (row,) = results["train"]
    assert row["net"] == "PMG-11-seg" and row["fx/ref"] > 0 and row["src/ref"] > 0
    assert results["frontend"][0]["nodes"] > 0
    assert "# mgdsl benchmarks (tiny)" in capsys.readouterr().out


def test_device_section_runs_on_the_cpu(capsys):
    assert run.main(["--tiny", "--section", "device", "--device", "cpu"]) == 0
    text = capsys.readouterr().out
    assert "## Training step on the device" in text
    assert "| PMG-11-seg | 2 | cpu | eager_fp32 |" in text and "| bf16_cl |" in text


def test_lsp_section_edits_the_largest_zoo_file(capsys):
    assert run.main(["--tiny", "--section", "lsp"]) == 0
    text = capsys.readouterr().out
    assert "## Language server" in text and "| architectures/" in text


def test_report_formats_every_section():
    results = {
        "mode": "tiny", "command": "python -m benchmarks.run --tiny", "seconds": 1.0,
        "machine": {"cpu": "cpu", "cores": "2", "torch": "2", "threads": "2",
                    "python": "3", "allocator": "a", "load": "0"},
        "infer": [{"net": "N", "batch": 2, "fx/ref": 1.0, "fx_cl/ref": 0.8,
                   "fx_fold_cl/ref": 0.7}],
        "data": {"batch": 2, "generate_samples_s": 100.0, "train_samples_s": 10.0,
                 "ratio": 10.0},
        "memory": [{"net": "N", "batch": 2, "ref_step_peak_mb": 10.0, "fx_step_peak_mb": 10.0,
                    "src_step_peak_mb": 9.0, "fx/ref": 1.0, "src/ref": 0.9}],
        "device": [{"net": "N", "batch": 2, "device": "cuda", "steps_per_call": 10,
                    "peak_fp32_tflops": 50.0, "peak_bf16_tflops": 700.0,
                    "compile_s": {"cuda_graphs_bf16_cl": 80.0},
                    "eager_fp32": {"images_s": 100.0, "tflops": 5.0, "mfu": 0.1},
                    "cuda_graphs_bf16_cl": {"images_s": 900.0, "tflops": 70.0, "mfu": 0.1}}],
        "process": {"net": "N", "batch": 2, "rounds": 1, "mgdsl_step_s": [1.0],
                    "reference_step_s": [2.0], "ratio": 0.5, "mgdsl_gflops": 2.0,
                    "reference_gflops": 1.0, "peak_gflops": 3.0, "mgdsl_peak_frac": 0.67},
        "lsp": {"file": "architectures/x.mg", "nodes": 500, "edits": 2, "diagnostics": [0, 1],
                "median_ms": 50.0, "p90_ms": 60.0, "max_ms": 70.0, "analyse_ms": 40.0,
                "mean_ms": 55.0},
    }
    text = run.report(results)
    for title in ("## Inference", "## Data", "## Memory", "## `mgdsl train`",
                  "## Training step on the device", "## Language server"):
        assert title in text
    assert "| N | 2 | cuda | cuda_graphs_bf16_cl | 900 | 70.00 | 10 % | 80 |" in text


def test_generated_chain_has_the_requested_layers():
    import mgdsl

    ir = mgdsl.build_graph(chain_source(3))
    convs = [n for n in ir.nodes if ir.nodes[n].op == "conv"]
    assert len(convs) == 2 + 3 * 2 + 1  # stems, 3 mg-conv layers on two grids, the head


def test_heap_peak_counts_the_tensors_an_operator_makes():
    import torch

    from benchmarks.harness import heap_in_use_bytes
    from benchmarks.memory import HeapPeak

    if heap_in_use_bytes() is None:
        pytest.skip("needs glibc's mallinfo2 and no preloaded allocator")
    a = torch.ones(1024, 1024)  # 4 MiB
    start = heap_in_use_bytes()
    with HeapPeak() as probe:
        b = a * 2
        c = b + 1
        del b
        d = c * 3
    assert (probe.peak - start) / 2**20 == pytest.approx(8, abs=0.5)  # b and c, then c and d
    assert d.sum() == 9 * 2**20


def test_every_mode_configures_every_section():
    keys = {"batch", "rounds", "warmup", "nets", "fast_nets", "frontend", "fe_repeats",
            "data_batch", "mem_batch", "mem_nets", "process", "lsp_edits", "device", "graphs"}
    for name, mode in run.MODES.items():
        assert set(mode) == keys, name


def test_graphs_section_skips_cleanly_without_cuda(monkeypatch):
    import torch

    from benchmarks.train_graphs import run_train_graphs

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    result = run_train_graphs(["PMG-11-seg"])
    assert result == {"skipped": "no CUDA device: CUDA graphs run only there"}
    machine = {"cpu": "cpu", "cores": 2, "torch": "2", "threads": 2, "python": "3", "allocator": "a",
               "load": 1.0}
    head = {"machine": machine, "command": "x", "seconds": 1.0}
    text = run.report({"mode": "tiny", **head, "graphs": result})
    assert "CUDA graphs run only there" in text
    rows = {"rows": [{"net": "PMG-11-seg", "batch": 64, "model_step_images_s": 10000.0,
                      "train_images_s": 8200.0, "ratio": 0.82}], "steps": 50, "workers": 4}
    text = run.report({"mode": "full", **head, "graphs": rows})
    assert "| PMG-11-seg | 64 | 10000 | 8200 | 0.82 |" in text
