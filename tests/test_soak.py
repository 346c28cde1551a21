"""bench/soak.py, 3 minutes: the web app (stub model) under 8 sessions asking and comparing.

Runs the script as a user would (a subprocess) and reads its JSON: 0 failed calls, idle RSS at
the end under 10% above the most held in the warm-up, no growth in open file descriptors
(measured idle, after each phase of sessions), no traceback in the server log. About 4 minutes in all; deselect with
`-m "not soak"`. The 30-minute run is `python bench/soak.py` (results as JSON in bench/results/).

Failures and leaks decide, not speed, so the test holds on a busy machine (checked with a
CPU-bound job on each of the 2 cores alongside): each phase lasts until every session has made
its minimum number of calls, however long they take, and every time bound (a call's, the
subprocess's) only catches a hang.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "soak.py"


@pytest.mark.soak
def test_three_minute_soak_has_no_failures_and_no_leaks(tmp_path):
    out = tmp_path / "results"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--minutes", "3", "--sample-s", "30", "--out", str(out)],
                          capture_output=True, text=True, timeout=1200)
    files = list(out.glob("*-soak-stub.json"))
    assert len(files) == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    res = json.loads(files[0].read_text(encoding="utf-8"))
    assert proc.returncode == 0 and res["ok"], (res["problems"], res["errors"], proc.stdout[-3000:])
    assert res["sessions"] == 8 and res["failed"] == 0
    assert res["calls"] >= 2 * res["sessions"] * res["min_turns"]  # two phases, each session its minimum
    assert len(res["samples"]) >= 6  # one every 30 s of the 3 minutes, and the start
    assert res["rss"]["growth"] < 0.10 and res["fds"]["end"] <= res["fds"]["after_warmup"]  # idle, like with like
    assert res["server"]["stopped_by"] == "SIGINT" and res["server"]["tracebacks_in_log"] == 0
    kinds = {e.get("kind") for e in res["errors"]}
    assert not kinds, res["errors"]
    assert "calls / failed" in proc.stdout  # the printed table
