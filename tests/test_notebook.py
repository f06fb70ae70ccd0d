"""examples/tour.ipynb: its saved outputs show what a reader should see, and it runs from
top to bottom in a fresh kernel (nbclient), showing the same kinds of output again."""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from paths import ROOT

NOTEBOOK = ROOT / "examples" / "tour.ipynb"


def _outputs(nb) -> list[tuple[str, ...]]:
    """Per code cell, the sorted kinds of output it shows (MIME types or stream names)."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kinds = set()
        for o in cell.outputs:
            kinds |= set(o.get("data", {})) if "data" in o else {o.get("name", o.output_type)}
        out.append(tuple(sorted(kinds)))
    return out


def _text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            parts.append(o.get("text", ""))
            parts += [v for k, v in o.get("data", {}).items() if k.startswith("text/")
                      or k == "image/svg+xml"]
    return "\n".join(parts)


def _check(nb) -> None:
    """What the tour must show: both diagrams, both tables, the compiled module, the plot."""
    kinds = _outputs(nb)
    assert all("error" not in k and "stderr" not in k for k in kinds), kinds
    assert sum("image/svg+xml" in k for k in kinds) == 2  # the zoo network and the file's
    assert any("image/png" in k for k in kinds)  # the loss curve
    text = _text(nb)
    assert text.count('<table class="mgdsl-cost">') == 2  # the statistics tables
    assert "PMG11(n=1, w=16, classes=10): 163 IR nodes, 39,672 parameters" in text
    assert "<network RMGAttention: 183 IR nodes" in text
    assert "torch.Size([2, 10, 64, 64])\nTrue\n" in text  # the parameter count agrees
    first, last = map(float, re.search(r"20 steps, loss ([\d.]+) -> ([\d.]+)", text).groups())
    assert last < first


def test_the_saved_notebook_shows_the_diagrams_and_tables():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    _check(nb)
    assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code")


@pytest.mark.torch
@pytest.mark.slow  # about 30 s of kernel start, compiling and 20 training steps on 2 CPUs
def test_the_notebook_runs_from_top_to_bottom():
    from nbclient import NotebookClient

    saved = nbformat.read(NOTEBOOK, as_version=4)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute(env=env)  # this checkout's mgdsl in the kernel; raises at a failing cell
    _check(nb)
    assert _outputs(nb) == _outputs(saved)
