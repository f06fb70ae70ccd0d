"""`mgdsl serve` under load: N clients at once, each editing its own file.

`python -m benchmarks.serve [--clients 50] [--rounds 6]` starts `mgdsl serve` as its own
process on a folder of N files (the zoo's `.mg` files, copied round-robin), then N
client threads each send `rounds` checks of their file on one keep-alive connection, as a
browser tab does while its user types: the edits alternate between breaking a call (an
unknown function: one diagnostic, no diagram) and mending it (a fresh diagram). Every
check must be answered 200 with its own text's result; the latencies (request sent ->
answer read) are reported as median, p95 and max, in Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

__all__ = ["run_serve", "main"]

ROOT = Path(__file__).resolve().parents[1]


def _edit_site(text: str) -> tuple[int, str]:
    """Offset and name of the first call in a network body (the language-server
    benchmark's edit)."""
    from benchmarks.lsp import _edit_site as site

    line, col, name = site(text)
    return sum(len(t) + 1 for t in text.split("\n")[:line]) + col, name


def _start(folder: Path) -> tuple[subprocess.Popen, str, int]:
    process = subprocess.Popen([sys.executable, "-m", "mgdsl", "serve", str(folder), "--port", "0"],
                               stderr=subprocess.PIPE, text=True, cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = process.stderr.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)", line)
    if not m:
        process.kill()
        raise RuntimeError(f"mgdsl serve did not start: {line!r}")
    return process, m.group(2), int(m.group(1))


def run_serve(clients: int = 50, rounds: int = 6) -> dict:
    """Run the load and return its numbers (see the module docstring)."""
    sources = sorted((ROOT / "architectures").glob("*.mg"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        texts = {}
        sites = {}
        for c in range(clients):
            src = sources[c % len(sources)]
            name = f"c{c:02d}-{src.name}"
            shutil.copy(src, folder / name)
            texts[name] = src.read_text(encoding="utf-8")
            sites[name] = _edit_site(texts[name])
        process, token, port = _start(folder)
        latencies: list[float] = []
        failures: list[str] = []
        counts = {"answered": 0, "drawn": 0, "with_error": 0}
        lock = threading.Lock()
        barrier = threading.Barrier(clients)

        def client(name: str) -> None:
            text = texts[name]
            at, call = sites[name]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            barrier.wait(60)
            for r in range(rounds):
                broken = r % 2 == 0
                body = text[:at] + call + ("x" if broken else "") + text[at + len(call):]
                payload = json.dumps({"path": name, "text": body})
                sent = time.perf_counter()
                try:
                    conn.request("POST", "/api/check", body=payload, headers={
                        "Content-Type": "application/json", "Authorization": f"token {token}"})
                    answer = conn.getresponse()
                    data = json.loads(answer.read())
                except (OSError, http.client.HTTPException, ValueError) as exc:
                    with lock:
                        failures.append(f"{name} round {r}: {exc!r}")
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
                    continue
                took = 1000 * (time.perf_counter() - sent)
                codes = [d["code"] for d in data.get("diagnostics", [])]
                ok = answer.status == 200 and not data.get("stale") and (
                    (broken and codes == ["E201"] and data["svg"] is None)
                    or (not broken and data["svg"] and not any(c.startswith("E") for c in codes)))
                with lock:
                    latencies.append(took)
                    if ok:
                        counts["answered"] += 1
                        counts["drawn" if not broken else "with_error"] += 1
                    else:
                        failures.append(f"{name} round {r}: {answer.status} {codes} "
                                        f"stale={data.get('stale')}")
            conn.close()

        threads = [threading.Thread(target=client, args=(n,)) for n in texts]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        process.terminate()
        _, err = process.communicate(timeout=10)
    latencies.sort()
    sent = clients * rounds
    return {"clients": clients, "files": clients, "rounds": rounds, "checks": sent,
            "answered": counts["answered"], "drawn": counts["drawn"],
            "with_error": counts["with_error"], "failures": failures[:10],
            "median_ms": statistics.median(latencies),
            "p95_ms": latencies[max(0, int(round(0.95 * len(latencies))) - 1)],
            "max_ms": latencies[-1], "wall_s": wall, "per_s": sent / wall,
            "load": os.getloadavg()[0], "cores": os.cpu_count(),
            "tracebacks": err.count("Traceback")}


def markdown(r: dict) -> str:
    """The result as the Markdown of docs/benchmarks.md."""
    return "\n".join([
        f"{r['clients']} clients, each checking its own file ({r['rounds']} edits: broken, "
        f"mended, ...), all at once, against one `mgdsl serve` process:",
        "",
        "| checks sent | answered with their own result | diagrams | with the error | "
        "median | p95 | max | wall | checks/s | load (cores) |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        f"| {r['checks']} | {r['answered']} | {r['drawn']} | {r['with_error']} | "
        f"{r['median_ms']:.0f} ms | {r['p95_ms']:.0f} ms | {r['max_ms']:.0f} ms | "
        f"{r['wall_s']:.1f} s | {r['per_s']:.1f} | {r['load']:.1f} ({r['cores']}) |",
    ])


def main(argv: list[str] | None = None) -> int:
    """Run from the command line; exit 1 unless every check was answered."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--json", help="also write the numbers to this file")
    args = ap.parse_args(argv)
    result = run_serve(args.clients, args.rounds)
    print(markdown(result))
    for failure in result["failures"]:
        print("FAILED:", failure, file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0 if result["answered"] == result["checks"] and not result["tracebacks"] else 1


if __name__ == "__main__":
    sys.exit(main())
