"""The reproduction scripts in examples/ run end to end (tiny schedule)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_table2_script_trains_evaluates_and_tabulates(tmp_path: Path) -> None:
    env = dict(os.environ, EPOCHS="1", ITERS="1", BATCH="2", EVAL_LIMIT="4", MODELS="SG-11",
               OUT=str(tmp_path), MGDSL=str(Path(sys.executable).parent / "mgdsl"),
               PYTHON=sys.executable)
    result = subprocess.run(["bash", "examples/table2_segmentation.sh"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| SG-11-seg |" in result.stdout
    assert (tmp_path / "SG-11-seg" / "eval.json").exists()
