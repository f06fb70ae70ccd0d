"""Tabulate the runs of examples/reproduce.sh beside the paper's numbers (markdown).

    python examples/collect_results.py runs/table2 --table 2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

# The paper's (mean IoU %, mean error %) from Tables 2 and 3 for the rows we have them for;
# the others are left blank rather than guessed.
PAPER = {
    ("2", "R-PMG-20"): (81.91, 8.89),
    ("3", "SG-11"): (0.0, 100.0),
    ("3", "R-SG-20"): (0.0, 82.98),
}


def rows(out: Path, table: str) -> list[str]:
    """One markdown row per run folder under `out` that has an eval.json."""
    lines = []
    for run in sorted(p for p in out.iterdir() if (p / "eval.json").exists()):
        ev = json.loads((run / "eval.json").read_text())
        res = ev["results"]
        history = json.loads((run / "metrics.json").read_text()) if (run / "metrics.json").exists() \
            else {}
        epochs = history.get("epochs", [])
        last = epochs[-1] if epochs else {}
        wall = sum(e.get("train_seconds", 0) for e in epochs)  # every *_seconds column is per epoch
        base = run.name.rsplit("-", 1)[0]
        paper = PAPER.get((table, base))
        paper_text = f"{paper[0]:.2f} / {paper[1]:.2f}" if paper else "–"
        lines.append(f"| {run.name} | {100 * res['mean_iou']:.2f} | {100 * res['mean_error']:.2f} | "
                     f"{paper_text} | {last.get('step', '?')} | {last.get('train_loss', float('nan')):.4f} | "
                     f"{wall / 60:.1f} | {res.get('images', res.get('samples', '?'))} |")
    return lines


def markdown(out: Path, table: str) -> str:
    """The whole markdown table (header and one row per evaluated run) for `out`."""
    header = ["| model | mean IoU % | mean error % | paper IoU / error % | steps | final train loss "
              "| train min | test images |", "|---|---|---|---|---|---|---|---|"]
    return "\n".join(header + rows(out, table))


def main() -> None:
    """Print the table for one output folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--table", choices=["2", "3"], required=True)
    args = parser.parse_args()
    print(markdown(args.out, args.table))


if __name__ == "__main__":
    main()
