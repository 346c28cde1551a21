"""Start-up, side by side: this tree against another (say, an older commit), fresh processes.

    git archive 5bbb52f | tar -x -C /tmp/base          # the tree to compare against
    python bench/startup.py --against /tmp/base --rounds 5 [--model default]

Each tree gets its own data dir and a built index; then, alternately, one fresh
`perspectives ask QUESTION --json` per tree per round. Reported per tree (medians): wall
time, the part before retrieval (wall minus the flow's own total), retrieval, and peak RSS
(VmHWM), then the ratios this/other, which stay meaningful on a busy machine because both
trees see the same load. Nothing is written into either tree (no bytecode files).
Not here: model speed (bench/run.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from run import CHILD  # noqa: E402  (the child that reports its own peak RSS)

QUESTION = "How did US export controls affect DeepSeek?"


def run(tree: Path, data: Path, args: list[str]) -> tuple[float, float, str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "PERSPECTIVES_DATA_DIR": str(data), "PERSPECTIVES_SEEDS": str(ROOT / "seeds"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{tree}: perspectives {' '.join(args)} failed: {r.stderr[-500:]}")
    hwm = [line.split()[1] for line in r.stderr.splitlines() if line.startswith("VmHWM ")]
    return wall, int(hwm[-1]) / 1024, r.stdout


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--against", required=True, type=Path, help="the other tree (a folder with app/)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--model", default="stub")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="perspectives-startup-") as tmp:
        trees = {"this": (ROOT, Path(tmp) / "this"), "other": (args.against.resolve(), Path(tmp) / "other")}
        for tree, data in trees.values():
            run(tree, data, ["index"])
        rows: dict[str, list[tuple]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, (tree, data) in trees.items():
                wall, rss, out = run(tree, data, ["ask", QUESTION, "--json", "--model", args.model])
                t = json.loads(out)["timing"]
                rows[name].append((wall, wall - t["total_s"], t["retrieval_s"], rss))
    med = {name: [statistics.median(col) for col in zip(*r)] for name, r in rows.items()}
    for name, (wall, before, retrieval, rss) in med.items():
        print(f"{name:5s}  wall {wall:.2f} s  before retrieval {before:.2f} s  retrieval {retrieval:.2f} s  peak RSS {rss:.0f} MB")
    print(f"this/other: wall {med['this'][0] / med['other'][0]:.2f}, before retrieval {med['this'][1] / med['other'][1]:.2f}, "
          f"peak RSS {med['this'][3] / med['other'][3]:.2f}  (load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
