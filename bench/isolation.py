"""What running llama.cpp in a worker process costs: `perspectives ask` with the model in a
worker (the default) against the model in the same process, side by side in one run.

Each round runs both commands one after the other, in alternating order, on one warm data
directory (index built, model re-stored, probe verdict cached), so the figures are a later
`ask` as users see it. Wall time is the whole command; memory is the peak of the sum of the
proportional set sizes (PSS) of the command and its child processes (the worker is a child),
sampled every 20 ms: PSS splits shared pages between the processes that map them, so the
sum is what the machine spends (summed RSS counts a fork's shared pages twice). Ratios are taken round by round, worker ÷ inline, and their median reported.

    python bench/isolation.py [--rounds 7] [--question "…"]

Results: bench/results/<timestamp>-isolation.json.
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
from datetime import datetime, timezone
from pathlib import Path

import psutil

QUESTIONS = ("How many GPUs did Liang Wenfeng acquire before the export restrictions?",
             "Did the Chinese government deserve credit for DeepSeek's success?")


def run_once(process: str, question: str, data_dir: Path) -> dict:
    cmd = [sys.executable, "-m", "app.cli.main", "ask", question, "--json", "--data-dir", str(data_dir)]
    env = dict(os.environ, PERSPECTIVES_MODEL_PROCESS=process)
    t0 = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_full_info().pss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    out = json.loads(proc.stdout.read() or b"{}")
    return {"wall_s": round(wall, 3), "peak_pss_mb": round(peak / 2**20, 1), "exit": proc.returncode,
            "model_s": out.get("timing", {}).get("model_s")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--question", action="append", help="repeatable; default: one fact and one view question")
    args = ap.parse_args()
    questions = args.question or list(QUESTIONS)
    data_dir = Path(tempfile.mkdtemp(prefix="perspectives-isolation-"))
    for process in ("worker", "inline"):  # warm: index, re-stored model, probe verdict
        run_once(process, questions[0], data_dir)
    rows = []
    for r in range(args.rounds):
        for question in questions:
            order = ("worker", "inline") if r % 2 == 0 else ("inline", "worker")
            pair = {p: run_once(p, question, data_dir) for p in order}
            rows.append({"round": r, "question": question, **pair})
            print(f"{r} {question[:40]:40} worker {pair['worker']['wall_s']:.2f}s {pair['worker']['peak_pss_mb']:.0f}MB"
                  f" | inline {pair['inline']['wall_s']:.2f}s {pair['inline']['peak_pss_mb']:.0f}MB", flush=True)

    def median(key, process):
        return round(statistics.median(row[process][key] for row in rows), 3)

    summary = {
        "wall_s": {"worker": median("wall_s", "worker"), "inline": median("wall_s", "inline")},
        "peak_pss_mb": {"worker": median("peak_pss_mb", "worker"), "inline": median("peak_pss_mb", "inline")},
        "ratio_wall": round(statistics.median(row["worker"]["wall_s"] / row["inline"]["wall_s"] for row in rows), 3),
        "ratio_peak_pss": round(statistics.median(row["worker"]["peak_pss_mb"] / row["inline"]["peak_pss_mb"] for row in rows), 3),
        "failed": sum(row[p]["exit"] != 0 for row in rows for p in ("worker", "inline")),
    }
    print(json.dumps(summary, indent=1))
    out = Path(__file__).resolve().parent / "results" / f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-isolation.json"
    out.write_text(json.dumps({"summary": summary, "rows": rows, "cores": psutil.cpu_count()}, indent=1), encoding="utf-8")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
