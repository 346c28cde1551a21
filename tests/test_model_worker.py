"""llama.cpp in a worker process: the probe's decision and cache, and crashes that cost one answer.

Crashes here are real: the worker is sent SIGSEGV or SIGKILL, or a worker that segfaults on
start stands in for llama.cpp's AMX path (tests/crashing_worker.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.errors import ModelCrashed
from app.llm.loader import default_model_path
from app.llm.probe import FILE_NAME, ProbeVerdicts
from app.llm.worker import WorkerModel

CRASHING = [sys.executable, str(Path(__file__).resolve().parent / "crashing_worker.py")]
FACT = "Where is DeepSeek based?"


def test_verdicts_order_the_fast_configuration_first_and_drop_what_crashed(tmp_path):
    model = default_model_path()
    first = ProbeVerdicts(model, tmp_path)
    assert first.candidates(None) == [True, False] and first.candidates(False) == [False]
    first.record(True, False)
    first.record(False, True)
    again = ProbeVerdicts(model, tmp_path)  # read back from the file, as a later run does
    assert again.candidates(None) == [False] and again.candidates(True) == [False]
    assert again.known(False) and not again.known(True)


def test_verdicts_belong_to_one_model_file_and_a_damaged_cache_costs_only_a_probe(tmp_path):
    ProbeVerdicts(default_model_path(), tmp_path).record(True, False)
    other = tmp_path / "other.gguf"
    other.write_bytes(default_model_path().read_bytes()[: 1 << 21] + b"changed")
    assert ProbeVerdicts(other, tmp_path).candidates(None) == [True, False]
    (tmp_path / FILE_NAME).write_text("{not json", encoding="utf-8")
    assert ProbeVerdicts(default_model_path(), tmp_path).candidates(None) == [True, False]


@pytest.fixture
def crashing_worker(tmp_path, monkeypatch):
    log = tmp_path / "starts.jsonl"
    monkeypatch.setenv("CRASHING_WORKER_LOG", str(log))
    monkeypatch.setattr(WorkerModel, "worker_command", CRASHING)
    return lambda: [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


@pytest.mark.real_model
def test_a_configuration_that_crashes_in_the_probe_is_said_once_and_never_used_again(tmp_path, crashing_worker):
    said: list[str] = []
    model = WorkerModel(default_model_path(), n_ctx=512, cache_dir=tmp_path / "models", notify=said.append)
    try:
        assert model.extra_bufts is False
        assert "".join(model.generate([{"role": "user", "content": "Hi"}], max_tokens=3)).strip()
    finally:
        model.close()
    assert len(said) == 1 and "SIGSEGV" in said[0] and "plain CPU buffers" in said[0]
    starts = crashing_worker()
    assert [(s["options"]["extra_bufts"], s["probe"]) for s in starts] == [(True, True), (False, True)]

    later: list[str] = []
    WorkerModel(default_model_path(), n_ctx=512, cache_dir=tmp_path / "models", notify=later.append).close()
    assert later == []  # the verdict was cached: no second crash, no second line
    assert [(s["options"]["extra_bufts"], s["probe"]) for s in crashing_worker()[len(starts):]] == [(False, False)]


def _kill_at_first_piece(model: WorkerModel, sig: int) -> list[int]:
    """The worker gets `sig` as soon as the first piece of the next batch reaches us."""
    real, killed = model._call, []

    def dying(op, kwargs, on_piece=None):
        if op != "batch" or killed:
            return real(op, kwargs, on_piece)

        def piece(i, text):
            if not killed:
                killed.append(model.worker_pid())
                os.kill(killed[0], sig)
            if on_piece:
                on_piece(i, text)
        return real(op, kwargs, piece)

    model._call = dying
    return killed


@pytest.mark.real_model
def test_a_worker_killed_mid_reply_costs_that_call_and_the_next_one_works(worker_model):
    chats = [[{"role": "user", "content": "Name a colour."}]]
    before = worker_model.generate_many(chats, max_tokens=8)
    killed = _kill_at_first_piece(worker_model, signal.SIGKILL)
    with pytest.raises(ModelCrashed, match=r"signal 9, SIGKILL.*restarted; ask again"):
        worker_model.generate_many(chats, max_tokens=8)
    assert killed and worker_model.worker_pid() not in (None, killed[0])
    worker_model.clear_cache()
    assert worker_model.generate_many(chats, max_tokens=8) == before


@pytest.mark.real_model
def test_a_crash_mid_answer_keeps_the_quotes_and_the_cli_exits_3_with_one_line(stub_pipe, worker_model, monkeypatch):
    from app.answer.ask import ask
    from app.cli.main import cli
    import app.pipeline as pipeline

    monkeypatch.setattr(stub_pipe, "_model", worker_model)
    fresh = ask(stub_pipe, FACT)
    _kill_at_first_piece(worker_model, signal.SIGSEGV)
    crashed = ask(stub_pipe, FACT)
    assert "signal 11, SIGSEGV" in crashed.model_error and crashed.model_error in crashed.notices[-1]
    assert [c.viewpoint for c in crashed.perspectives] == [c.viewpoint for c in fresh.perspectives]
    assert crashed.answer.startswith(fresh.answer.split(" [")[0])  # the evidence lead stands
    assert ask(stub_pipe, FACT).model_error == ""

    _kill_at_first_piece(worker_model, signal.SIGSEGV)
    monkeypatch.setattr(pipeline, "load_model_for", lambda settings: worker_model)
    seeds, data = stub_pipe.settings.seeds, stub_pipe.settings.data_dir
    run = CliRunner().invoke(cli, ["ask", FACT, "--seeds", str(seeds), "--data-dir", str(data)])
    assert run.exit_code == 3
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "The model crashed (signal 11, SIGSEGV)" in errors[0]
    assert "Segmentation fault" not in run.output and "Hangzhou" in run.stdout


@pytest.mark.real_model
def test_the_web_app_keeps_serving_when_the_model_segfaults_mid_answer(tmp_path, seeds_copy, make_pipe, worker_model):
    """One user's answer says the model crashed; the server stays up; a second session is
    answered meanwhile; the next answer equals the one before the crash."""
    from gradio_client import Client

    from app.ui import app as ui

    pipe = make_pipe(seeds_copy)
    pipe.set_model(worker_model)
    demo = ui.launch(pipe, port=_free_port(), block=False, quiet=True)
    try:
        def ask_web(question: str) -> str:
            client = Client(demo.local_url, verbose=False, download_files=False)
            out = client.predict(question, [], 3, 0.0, api_name="/ask")
            return re.sub(r"\d+(\.\d+)? s\b", "N s", str(out[1][-1]["content"]))  # timings differ

        worker_model.clear_cache()
        before = ask_web(FACT)
        _kill_at_first_piece(worker_model, signal.SIGSEGV)
        other: dict[str, str] = {}
        second = threading.Thread(target=lambda: other.setdefault("answer", ask_web("How did US export controls affect DeepSeek?")))
        second.start()
        crashed = ask_web(FACT)
        second.join(300)
        assert "The model crashed (signal 11, SIGSEGV)" in crashed and "Hangzhou" in crashed
        assert "⚠" not in other.get("answer", "⚠") and re.search(r"\[\d+\]", other["answer"])
        worker_model.clear_cache()
        assert ask_web(FACT) == before
    finally:
        demo.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
