"""Server mode under faults: the model server or the Chroma server dies, hangs or answers garbage.

Real servers on 127.0.0.1 only. The misbehaving model server is tests/fake_llm_server.py,
run as its own process so it can be killed mid-stream like a crashed server; the index
server is a real `chroma run`, killed and restarted. Each case must end in a one-line
error (CLI), a marked failure (batch) or a "⚠" message (web chat), with nothing
half-written, and a rerun (or the next question) must complete once the server is back.
Not here: the main path through healthy servers (test_servers.py).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

import app.index.server
import app.index.store
from app.cli.main import cli
from app.errors import ModelError
from app.llm import load_model
from app.pipeline import build_pipeline
from app.settings import Settings
from app.ui.chat import ChatEvents
from serverkit import free_port, start, stop

FAKE = Path(__file__).resolve().parent / "fake_llm_server.py"
BIN = Path(sys.executable).parent
QUESTIONS = [
    "Did the Chinese government deserve credit for DeepSeek's success?",
    "What do the articles say about US export controls?",
    "Is DeepSeek a breakthrough in original innovation?",
    "What does China's education system have to do with DeepSeek?",
]


class FakeServer:
    """tests/fake_llm_server.py in its own process, on a fixed port so it can be restarted."""

    def __init__(self, tmp: Path):
        self.port, self.log = free_port(), tmp / "fake-llm.log"
        self.proc = self.fh = None

    def start(self) -> "FakeServer":
        self.proc, self.fh = start([sys.executable, str(FAKE), str(self.port)], f"{self.root}/v1/models", self.log, timeout=30)
        return self

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, mode: str) -> str:
        return f"{self.root}/{mode}/v1"

    def chat_requests(self) -> int:
        return httpx.get(self.root + "/stats", timeout=5).json()["chat_requests"]

    def die_after(self, n: int) -> None:
        httpx.post(f"{self.root}/control/die_after/{n}", timeout=5)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc, self.fh)


@pytest.fixture
def fake(tmp_path):
    server = FakeServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """Seeds and an embedded index shared by this module's pipelines (built once)."""
    root = tmp_path_factory.mktemp("faults")
    shutil.copytree(Path(__file__).resolve().parent.parent / "seeds", root / "seeds")
    build_pipeline(Settings(data_dir=root / "data", seeds=root / "seeds", model="stub"))
    return root


def _gen(model) -> str:
    return "".join(model.generate([{"role": "user", "content": "hi"}], max_tokens=8))


def _one_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


# -- the model server: each fault is one clear line, within the timeout ---------------------
@pytest.mark.parametrize("mode, message", [
    ("fail", r"answered HTTP 500: the model crashed"),
    ("malformed", r"sent a malformed stream event"),
    ("notobject", r"sent a malformed stream event: '\[1, 2, 3\]'"),
    ("html", r"answered with text/html, not an event stream: '<html><body>502 Bad Gateway"),
    ("silent", r"sent nothing for 1 s \(timeout\)"),
    ("stall", r"sent nothing for 1 s \(timeout\)"),
    ("drip", r"sent no text for 1 s \(only keep-alives\)"),
])
def test_a_model_server_fault_is_one_clear_error_not_a_hang(fake, mode, message):
    model = load_model(fake.url(mode), timeout=1.0)
    t0 = time.monotonic()
    with pytest.raises(ModelError, match=message) as err:
        _gen(model)
    assert time.monotonic() - t0 < 4  # the 1 s timeout, plus a little; never a hang
    assert "\n" not in str(err.value) and fake.url(mode) in str(err.value)


def test_a_model_server_killed_mid_stream_is_reported(fake):
    model = load_model(fake.url("slow"), timeout=5.0)
    stream = model.generate([{"role": "user", "content": "hi"}], max_tokens=64)
    assert next(stream) == "word0 "
    fake.kill()  # SIGKILL, as when the server crashes or is OOM-killed
    t0 = time.monotonic()
    with pytest.raises(ModelError, match=r"closed the connection mid-reply|ended the reply early.*server stopped"):
        list(stream)
    assert time.monotonic() - t0 < 3
    with pytest.raises(ModelError, match=r"Cannot reach the model server"):
        _gen(model)  # and the next call says the server is gone


def test_cli_ask_against_a_failing_model_server_is_exit_3_in_one_line(fake, shared):
    args = ["ask", QUESTIONS[0], "--seeds", str(shared / "seeds"), "--data-dir", str(shared / "data")]
    for mode in ("fail", "malformed", "silent"):
        r = CliRunner().invoke(cli, [*args, "--json", "--llm-url", fake.url(mode)], env={"PERSPECTIVES_LLM_TIMEOUT": "1"})
        assert r.exit_code == 3, (mode, r.output)
        assert _one_line(r.stderr).startswith("Error: The model server at " + fake.url(mode))
        assert r.stdout == ""  # --json: no half an answer on stdout


# -- a batch: the model server dies in the middle, a rerun completes ------------------------
def _batch(shared: Path, tmp_path: Path, *extra: str):
    qfile = tmp_path / "questions.txt"
    qfile.write_text("\n".join(QUESTIONS) + "\n", encoding="utf-8")
    args = ["batch", str(qfile), "-o", str(tmp_path / "answers.jsonl"), "--seeds", str(shared / "seeds"),
            "--data-dir", str(shared / "data"), "--no-progress", *extra]
    return CliRunner().invoke(cli, args, env={"PERSPECTIVES_LLM_TIMEOUT": "2"})


def _answers(tmp_path: Path) -> list[dict]:
    raw = (tmp_path / "answers.jsonl").read_bytes()
    assert raw == b"" or raw.endswith(b"\n")  # only whole lines
    return [json.loads(line) for line in raw.decode("utf-8").splitlines()]


def test_a_model_server_killed_mid_batch_marks_failures_and_a_rerun_completes(fake, shared, tmp_path):
    # How many model calls one question takes (whatever the answer flow is), measured, not assumed.
    r = CliRunner().invoke(cli, ["ask", QUESTIONS[0], "--json", "--seeds", str(shared / "seeds"), "--data-dir", str(shared / "data"),
                                 "--llm-url", fake.url("ok")])
    assert r.exit_code == 0, r.output
    per_question = fake.chat_requests()
    assert per_question > 0
    fake.die_after(2 * per_question + 1)  # the first question of the batch completes, the second one kills the server

    r = _batch(shared, tmp_path, "--llm-url", fake.url("ok"))
    assert r.exit_code == 1, r.output
    done = _answers(tmp_path)
    assert [d["question"] for d in done] == QUESTIONS[:1]
    assert "line 2 (" in r.stderr and "failed: The model server at" in r.stderr
    assert "closed the connection mid-reply" in r.stderr or "ended the reply early" in r.stderr
    assert r.stderr.count("Cannot reach the model server") == 2  # lines 3 and 4: marked, not hung
    assert "Answered 1, failed 3" in r.stdout
    report = (tmp_path / "answers.md").read_text(encoding="utf-8")
    assert "## Not answered" in report and report.count("Cannot reach the model server") == 2

    fake.start()  # the server is back
    r = _batch(shared, tmp_path, "--llm-url", fake.url("ok"))
    assert r.exit_code == 0, r.output
    done = _answers(tmp_path)
    assert [d["question"] for d in done] == QUESTIONS[:1] + QUESTIONS[1:]  # nothing twice, nothing lost
    assert "Answered 3, failed 0, skipped 1" in r.stdout


def test_a_silent_model_server_fails_each_batch_item_within_the_timeout(fake, shared, tmp_path):
    t0 = time.monotonic()
    r = _batch(shared, tmp_path, "--llm-url", fake.url("stall"))
    assert r.exit_code == 1 and _answers(tmp_path) == []
    assert r.stderr.count("sent nothing for 2 s (timeout)") == len(QUESTIONS)
    assert time.monotonic() - t0 < 60
    r = _batch(shared, tmp_path, "--llm-url", fake.url("ok"))
    assert r.exit_code == 0 and len(_answers(tmp_path)) == len(QUESTIONS)


# -- the web app: a fault is a message in the chat, and the next question works -------------
def _chat_messages(pipe, question=QUESTIONS[0]) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs = list(ChatEvents(pipe).answer(question, [], [], 3, 0.0))
    return str(outs[-1]["chatbot"][-1]["content"])


def _dies_after_first_piece(model, kill):
    """The model server is killed as soon as its first piece of text has arrived."""
    real = model.generate

    def generate(*args, **kwargs):
        for i, piece in enumerate(real(*args, **kwargs)):
            if i == 0:
                kill()
            yield piece

    model.generate = generate
    return model


def test_web_chat_shows_model_server_faults_and_recovers(fake, shared):
    s = Settings(data_dir=shared / "data", seeds=shared / "seeds", llm_url=fake.url("fail"), llm_timeout=1.0)
    pipe = build_pipeline(s)
    shown = _chat_messages(pipe)
    assert shown.startswith("⚠") and "HTTP 500: the model crashed" in shown and "Traceback" not in shown

    pipe.set_model(_dies_after_first_piece(load_model(fake.url("slow"), timeout=5.0), fake.kill))
    shown = _chat_messages(pipe)  # the server dies while a reply streams in
    assert shown.startswith("⚠") and ("closed the connection mid-reply" in shown or "ended the reply early" in shown)

    fake.start()
    pipe.set_model(load_model(fake.url("ok")))
    shown = _chat_messages(pipe)
    assert not shown.startswith("⚠") and "address" in shown  # answered again (the server's text itself is checked, maybe not shown)


# -- the Chroma server: gone mid-batch and mid-session, back again --------------------------
@pytest.fixture
def chroma(tmp_path):
    exe = shutil.which("chroma", path=str(BIN)) or shutil.which("chroma")
    if exe is None:
        pytest.fail("The `chroma` command (from the chromadb package) is not installed.")
    port = free_port()
    cmd = [exe, "run", "--path", str(tmp_path / "chroma-db"), "--host", "127.0.0.1", "--port", str(port)]
    state = {}

    def up():
        state["proc"], state["fh"] = start(cmd, f"http://127.0.0.1:{port}/api/v2/heartbeat", tmp_path / "chroma.log", timeout=60)

    def down():
        state["proc"].kill()
        state["proc"].wait(timeout=10)
        state["fh"].close()

    up()
    yield {"url": f"http://127.0.0.1:{port}", "up": up, "down": down}
    if state["proc"].poll() is None:
        stop(state["proc"], state["fh"])


def test_chroma_server_killed_mid_batch_marks_failures_and_a_rerun_completes(chroma, shared, tmp_path, monkeypatch):
    real_query, calls = app.index.store.Index.query, []

    def query_then_kill(self, *a, **kw):  # the server dies while question 2 is being retrieved
        calls.append(1)
        if len(calls) == len(list((shared / "seeds").glob("*.txt"))) + 2:
            chroma["down"]()
        return real_query(self, *a, **kw)

    monkeypatch.setattr(app.index.store.Index, "query", query_then_kill)
    monkeypatch.setattr(app.index.server, "CHROMA_TIMEOUT", 5.0)
    r = _batch(shared, tmp_path, "--model", "stub", "--chroma-url", chroma["url"])
    assert r.exit_code == 1, r.output
    assert [d["question"] for d in _answers(tmp_path)] == QUESTIONS[:1]
    assert "line 2 (" in r.stderr and f"Chroma server at {chroma['url']}" in r.stderr
    assert r.stderr.count(f"Cannot reach the Chroma server at {chroma['url']}") == 2  # lines 3, 4

    monkeypatch.setattr(app.index.store.Index, "query", real_query)
    chroma["up"]()  # same data folder: the index is still there
    r = _batch(shared, tmp_path, "--model", "stub", "--chroma-url", chroma["url"])
    assert r.exit_code == 0, r.output
    assert [d["question"] for d in _answers(tmp_path)] == QUESTIONS
    assert "Index: 0 added" in r.stderr or "Answered 3" in r.stdout


def test_web_chat_survives_the_chroma_server_going_away_and_coming_back(chroma, shared, tmp_path):
    pipe = build_pipeline(Settings(data_dir=tmp_path / "d", seeds=shared / "seeds", model="stub", chroma_url=chroma["url"]))
    before = _chat_messages(pipe)
    assert not before.startswith("⚠")
    chroma["down"]()
    shown = _chat_messages(pipe)
    assert shown.startswith("⚠") and "Chroma server at " + chroma["url"] in shown and "Traceback" not in shown
    chroma["up"]()
    untimed = lambda html: re.sub(r"\d+(\.\d+)? s\b", "", html)  # noqa: E731 - the answer, not its timing
    assert untimed(_chat_messages(pipe)) == untimed(before)  # the same answer once the server is back, no restart


def test_chroma_server_down_at_start_is_exit_4_and_nothing_written(shared, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    r = _batch(shared, tmp_path, "--model", "stub", "--chroma-url", dead)
    assert r.exit_code == 4 and _one_line(r.stderr).startswith(f"Error: Cannot reach the Chroma server at {dead}")
    assert _answers(tmp_path) == []
