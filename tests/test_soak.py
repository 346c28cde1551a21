"""bench/soak.py, 3 minutes: the web app (stub model) under 8 sessions asking and comparing.

Runs the script as a user would (a subprocess) and reads its JSON: 0 failed calls, RSS growth
under 10% after the 1-minute warm-up and no growth in open file descriptors (both measured idle,
after each phase of sessions), no traceback in the
server log. About 4 minutes in all; deselect with `-m "not soak"`. The 30-minute run is
`python bench/soak.py` (results as JSON in bench/results/).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "soak.py"


def _soak(out: Path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--minutes", "3", "--sample-s", "30", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    files = list(out.glob("*-soak-stub.json"))
    assert len(files) == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, json.loads(files[0].read_text(encoding="utf-8"))


@pytest.mark.soak
def test_three_minute_soak_has_no_failures_and_no_leaks(tmp_path):
    proc, res = _soak(tmp_path / "results")
    client_side = res["errors"] and all(e.get("error", "").startswith("CancelledError") for e in res["errors"])
    if client_side and res["server"]["tracebacks_in_log"] == 0:
        # Seen once, in the second of two clean-clone runs while other tests loaded the 2 cores:
        # gradio_client cancelled 1 of 276 jobs, the server logged nothing. Run once more; a
        # second failure counts.
        proc, res = _soak(tmp_path / "again")
    assert proc.returncode == 0 and res["ok"], (res["problems"], proc.stdout[-3000:])
    assert res["sessions"] == 8 and res["calls"] >= 16 and res["failed"] == 0
    assert len(res["samples"]) >= 6  # one every 30 s, and the start
    assert res["rss"]["growth"] < 0.10 and res["fds"]["end"] <= res["fds"]["after_warmup"]  # idle, like with like
    assert res["server"]["stopped_by"] == "SIGINT" and res["server"]["tracebacks_in_log"] == 0
    kinds = {e.get("kind") for e in res["errors"]}
    assert not kinds, res["errors"]
    assert "calls / failed" in proc.stdout  # the printed table
