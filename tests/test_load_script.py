"""bench/load.py itself, small: the real `perspectives serve` (stub model), 3 concurrent sessions.

Runs the script as a user would (a subprocess) and reads its JSON, so the load test cannot
silently rot when the app's /ask endpoint or gradio_client changes. About 30 s.

Failures decide, not speed: latencies are reported, and the time bounds (--timeout, the
subprocess's) only catch a hang, so the test holds on a busy machine (checked with a CPU-bound
job on each of the 2 cores alongside).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "load.py"


def test_load_script_serves_three_concurrent_sessions(tmp_path):
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--model", "stub", "--sessions", "3", "--questions", "1",
         "--timeout", "600", "--stub-delay", "0.1", "--out", str(out)],
        capture_output=True, text=True, timeout=900,
    )
    files = list(out.glob("*-load-stub.json"))
    assert len(files) == 1, proc.stdout + proc.stderr
    res = json.loads(files[0].read_text(encoding="utf-8"))
    s, srv = res["summary"], res["server"]
    assert proc.returncode == 0 and res["ok"], (res["problems"], proc.stdout[-2000:], proc.stderr[-2000:])
    assert (s["answered"], s["failed"], s["grounded"]) == (3, 0, 3)
    assert s["sessions_fully_served"] == 3 and s["everyone_served"]
    assert s["saw_queue_any"] >= 1 and s["waited_saw_queue"] == s["waited"]  # queue positions reach API clients
    assert srv["alive_after_load"] and srv["post_load"]["ok"] and srv["tracebacks_in_log"] == 0
    assert srv["stopped_by"] == "SIGINT" and srv["exit_code"] == 0
    assert all(r["latency_s"] > 0 and r["citations"] >= 1 for r in res["runs"])
    assert "answered / failed" in proc.stdout  # the printed table
