"""The reproduction scripts in examples/ run end to end (tiny schedule)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from paths import ROOT

pytestmark = pytest.mark.torch  # trains in subprocesses


def test_table2_script_trains_evaluates_and_tabulates(tmp_path: Path) -> None:
    env = dict(os.environ, EPOCHS="1", ITERS="1", BATCH="2", EVAL_LIMIT="4", MODELS="SG-11",
               OUT=str(tmp_path), MGDSL=str(Path(sys.executable).parent / "mgdsl"),
               PYTHON=sys.executable)
    result = subprocess.run(["bash", "examples/table2_segmentation.sh"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| SG-11-seg |" in result.stdout
    assert (tmp_path / "SG-11-seg" / "eval.json").exists()


def _script_commands(tmp_path: Path, **env_vars: str) -> list[list[str]]:
    """The mgdsl command lines examples/table3_spatial_transformation.sh runs, recorded by a
    stand-in for the mgdsl executable."""
    tmp_path.mkdir()
    log = tmp_path / "calls.txt"
    fake = tmp_path / "mgdsl"
    fake.write_text(f'#!/usr/bin/env bash\necho "$*" >> {log}\n')
    fake.chmod(0o755)
    env = dict(os.environ, MODELS="R-PMG-20", OUT=str(tmp_path / "out"), MGDSL=str(fake),
               PYTHON="true", **env_vars)
    result = subprocess.run(["bash", "examples/table3_spatial_transformation.sh"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [line.split() for line in log.read_text().splitlines()]


def test_table_script_full_flag_selects_the_papers_schedule(tmp_path: Path) -> None:
    (train, evaluate) = _script_commands(tmp_path / "full", FULL="1", DEVICE="cuda")
    assert train[:2] == ["train", "R-PMG-20-spt"]
    assert "--lr-schedule" in train and train[train.index("--lr-schedule") + 1] == "paper"
    assert not {"--epochs", "--iters-per-epoch", "--batch-size"} & set(train)  # the paper's
    assert train[train.index("--device") + 1] == "cuda"
    assert evaluate[0] == "eval" and "--limit" not in evaluate  # the whole test set

    (train, evaluate) = _script_commands(tmp_path / "short")
    assert " ".join(train).count("--epochs 10 --iters-per-epoch 80 --batch-size 32") == 1
    assert evaluate[evaluate.index("--limit") + 1] == "1000"


def test_budget_sweep_plans_equal_shares_of_the_device():
    sys.path.insert(0, str(ROOT / "examples"))
    from budget_sweep import plan_steps

    todo = [{"macs": 1e9}, {"macs": 3e9}]
    # 8e9 MACs/s shared by two: 4e9 each; 60 s -> 240 (80) images of 1 (3) GMACs -> batches of 4
    plan_steps(todo, macs_per_second=8e9, seconds=60, batch_size=4, epochs=4)
    assert [j["planned_steps"] for j in todo] == [60, 20]
    assert [j["iters_per_epoch"] for j in todo] == [15, 5]
    plan_steps(todo, macs_per_second=1.0, seconds=1, batch_size=4, epochs=3)
    assert [j["planned_steps"] for j in todo] == [3, 3]  # never fewer than one step per epoch


def test_budget_sweep_rejects_a_gain_that_is_not_positive(tmp_path: Path) -> None:
    cmd = [sys.executable, "examples/budget_sweep.py", "--device", "cpu", "--concurrency-gain", "0",
           "--out", str(tmp_path)]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--concurrency-gain must be positive" in result.stderr
    assert not (tmp_path / "probe").exists()  # refused before any training


def test_budget_sweep_probes_trains_evaluates_and_tabulates(tmp_path: Path) -> None:
    cmd = [sys.executable, "examples/budget_sweep.py", "--device", "cpu", "--minutes", "0.01",
           "--models", "SG-11-spt", "--probe-steps", "1", "--epochs", "1", "--batch-size", "2",
           "--eval-limit", "4", "--out", str(tmp_path)]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)  # three processes; slow on a shared machine
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| SG-11-spt |" in result.stdout
    sweep = json.loads((tmp_path / "sweep.json").read_text())
    assert sweep["concurrency_gain"] == 1.0
    (run,) = sweep["runs"]
    assert run["done_steps"] == run["planned_steps"] >= 1 and run["train_exit"] == 0
    assert (tmp_path / "table3" / "SG-11-spt" / "eval.json").exists()


def test_table2_gpu_dry_run_prints_the_plan(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "examples/table2_gpu.py", "--dry-run", "--out",
                             str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert "200 epochs x 150 steps x 64 images" in lines[0] and "has not run on a GPU" in lines[1]
    plan = {line.split()[0]: line for line in lines if line.split()[0].endswith("-seg")}
    assert set(plan) == {f"{m}-seg" for m in ("U-NET-11", "U-MG-11", "SG-11", "R-SG-20",
                                              "PMG-11", "R-PMG-20")}
    assert "10,070" in plan["PMG-11-seg"] and "measured" in plan["PMG-11-seg"]
    assert "estimated" in plan["SG-11-seg"]
    minutes = [float(line.split()[4]) for line in plan.values()]
    total = next(line for line in lines if line.startswith("all 6 at once"))
    assert float(total.split("about ")[1].split()[0]) == pytest.approx(sum(minutes), abs=0.2)
    commands = [line.split() for line in lines if " train " in line]
    assert len(commands) == 6 and not list(tmp_path.iterdir())  # nothing run, nothing written
    for cmd in commands:
        for flag in ("--cuda-graphs", "--eval-every", "--lr-schedule", "--data-workers"):
            assert flag in cmd
        assert cmd[cmd.index("--epochs") + 1] == "200" and "--eval-limit" not in cmd


def test_table2_gpu_tabulates_finished_runs(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "examples"))
    from table2_gpu import curves, table

    run = tmp_path / "R-PMG-20-seg"
    run.mkdir()
    epochs = [{"epoch": 10, "train_seconds": 60.0, "test_mean_iou": 0.05, "test_mean_error": 0.6,
               "test_mean_iou_at_0.3": 0.1, "test_fg_class_accuracy": 0.4, "test_loss": 0.06,
               "test_base_bce": 0.075},
              {"epoch": 11, "train_seconds": 6.0}]
    (run / "metrics.json").write_text(json.dumps({"epochs": epochs}))
    rows = [{"model": "R-PMG-20-seg"}, {"model": "SG-11-seg"}]
    text = table(tmp_path, rows)
    assert "| R-PMG-20-seg | 5.00 | 60.00 | 81.91 / 8.89 | 10.00 | 40.00 | 0.0600 (0.0750) | 11 | 1.1 |" in text
    assert "| SG-11-seg | – |" in text
    assert curves(tmp_path, rows).read_bytes()[:4] == b"\x89PNG"
