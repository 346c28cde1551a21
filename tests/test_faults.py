"""Faults: a killed indexer, and the store deleted or damaged under a running app.

SIGKILL during a batch run lives with the batch tests
(test_batch.py::test_sigkill_mid_run_loses_nothing_and_rerun_has_no_duplicates).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from app.ui.chat import ChatEvents
from app.ui.corpus import CorpusEvents
from app.answer.ask import ask

PROJECT = Path(__file__).resolve().parent.parent
QUESTION = "What do the articles say about US export controls on chips?"


def _bigger_corpus(seeds: Path, copies: int = 6) -> None:
    """More articles so indexing runs long enough to be killed half-way."""
    originals = sorted(seeds.glob("*.txt"))
    for i in range(copies):
        for src in originals:
            text = src.read_text(encoding="utf-8")
            (seeds / f"copy{i}_{src.name}").write_text(f"{text}\n\nEdition {i}.\n", encoding="utf-8")


def _stored(pipe) -> tuple[int, set[str]]:
    got = pipe.index._open().get(include=[])
    return len(got["ids"]), set(got["ids"])


def test_sigkill_during_indexing_is_detected_and_finished_on_the_next_run(seeds_copy, tmp_path, make_pipe):
    _bigger_corpus(seeds_copy)
    data = tmp_path / "d"
    manifest = data / "index" / "manifest.json"
    env = {**os.environ, "PERSPECTIVES_DATA_DIR": str(data), "PERSPECTIVES_SEEDS": str(seeds_copy), "PERSPECTIVES_MODEL": "stub"}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli.main", "index"], env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    total = len(list(seeds_copy.glob("*.txt")))
    killed_at = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            m = json.loads(manifest.read_text())
        except (OSError, ValueError):
            m = {}
        if m.get("complete") is False and 2 <= len(m.get("articles", {})) < total:
            proc.send_signal(signal.SIGKILL)
            killed_at = len(m["articles"])
            break
        time.sleep(0.02)
    proc.wait(timeout=30)
    assert killed_at is not None, "indexing finished before it could be killed; make the corpus bigger"
    assert proc.returncode == -signal.SIGKILL

    r = subprocess.run([sys.executable, "-m", "app.cli.main", "index"], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "The last indexing run did not finish" in r.stderr
    m = json.loads(manifest.read_text())
    assert m["complete"] is True and len(m["articles"]) == total
    pipe = make_pipe(seeds_copy, data_dir=data)
    assert pipe.sync_report.passages_embedded == 0  # nothing left to do
    count, ids = _stored(pipe)
    assert count == len(pipe.passages) and ids == {p.id for p in pipe.passages}  # nothing lost, nothing twice


def _chat(pipe, question=QUESTION) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs = list(ChatEvents(pipe).answer(question, [], [], 3, 0.0))
    return outs[-1]["chatbot"][-1]["content"]


def _reindex(pipe, rebuild=False) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CorpusEvents(pipe).reindex(rebuild, progress=lambda *a, **k: None)["message"]


@pytest.mark.parametrize("fault, message", [
    ("deleted", "is gone (deleted while the app was running?)"),
    ("damaged", "could not be read"),
])
def test_store_lost_under_a_running_app_fails_clearly_then_reindex_recovers(seeds_copy, make_pipe, tmp_path, fault, message):
    pipe = make_pipe(seeds_copy)
    before = ask(pipe, QUESTION)
    assert "[" in _chat(pipe)  # a cited answer
    store = tmp_path / "data" / "index"
    if fault == "deleted":
        shutil.rmtree(store)
    else:
        (store / "chroma" / "chroma.sqlite3").write_bytes(b"\0garbage" * 4096)

    shown = _chat(pipe)
    assert shown.startswith("⚠") and message in shown and "Re-index" in shown
    assert "Traceback" not in shown
    again = _chat(pipe)  # still failing clearly, not hanging or crashing
    assert again.startswith("⚠")

    msg = _reindex(pipe)  # the Corpus tab's button, same process
    assert "5 added" in msg
    after = ask(pipe, QUESTION)
    assert [p.id for p in after.passages] == [p.id for p in before.passages]
    assert after.answer == before.answer
    count, _ = _stored(pipe)
    assert count == len(pipe.passages)
