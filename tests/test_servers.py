"""Beyond one process: the real llama-cpp-python server and a real `chroma run`, on loopback.

Both servers are started here (once for the module) and stopped afterwards. The main path
is never mocked: generation goes over HTTP to `python -m llama_cpp.server` on the bundled
GGUF, and the index lives in a Chroma server. Only the failure cases (HTTP 500, a silent
server, a stream cut short, a server rejecting `response_format`) use a tiny local stub
server, and a socket that accepts connections but never answers.
Also here: the config file / environment / flag precedence shown by `perspectives config`.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.answer.citations import cited_numbers
from app.cli.main import cli
from app.errors import ModelError, StoreError
from app.llm import load_model
from app.llm.base import GenerationStats
from app.llm.loader import default_model_path
from app.answer.ask import ask
from app.pipeline import build_pipeline
from app.settings import Settings
from app.answer.stance import LABELS, SCHEMA, judge_schema
from serverkit import free_port, start, stop

QUESTION = "Did the Chinese government deserve credit for DeepSeek's success?"
BIN = Path(sys.executable).parent


_free_port, _start, _stop = free_port, start, stop


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    cmd = [sys.executable, str(Path(__file__).resolve().parent / "plain_buffers_server.py"), "--model", str(default_model_path()), "--host", "127.0.0.1", "--port", str(port),
           "--n_ctx", "2048", "--n_threads", "1", "--n_threads_batch", "1", "--interrupt_requests", "False"]
    proc, fh = _start(cmd, f"http://127.0.0.1:{port}/v1/models", log, timeout=120)
    yield f"http://127.0.0.1:{port}/v1"
    _stop(proc, fh)


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    chroma = shutil.which("chroma", path=str(BIN)) or shutil.which("chroma")
    if chroma is None:
        pytest.fail("The `chroma` command (from the chromadb package) is not installed.")
    port = _free_port()
    root = tmp_path_factory.mktemp("chroma")
    proc, fh = _start([chroma, "run", "--path", str(root / "db"), "--host", "127.0.0.1", "--port", str(port)],
                      f"http://127.0.0.1:{port}/api/v2/heartbeat", root / "server.log", timeout=60)
    yield f"http://127.0.0.1:{port}"
    _stop(proc, fh)


# -- the main path, through both real servers ----------------------------------------------
def test_ask_end_to_end_through_both_servers(seeds_copy, tmp_path, llm_url, chroma_url):
    s = Settings(data_dir=tmp_path / "d", seeds=seeds_copy, llm_url=llm_url, chroma_url=chroma_url, viewpoint_tokens=40, answer_tokens=60)
    pipe = build_pipeline(s)
    res = ask(pipe, QUESTION)
    assert res.model.endswith(".gguf @ " + llm_url)  # the server's model, not the in-process one
    listed = {p.citation for p in res.passages}
    assert res.answer.strip() and cited_numbers(res.answer) and set(cited_numbers(res.answer)) <= listed
    addressed = [p for p in res.perspectives if p.addressed]
    assert addressed and all(p.viewpoint.strip() for p in addressed)
    assert res.timing["prompt_tokens"] > 0  # the server's model was asked (its sentences checked before any is shown)
    by_id = {a.id: a for a in pipe.articles}
    for p in res.passages:  # passages come back from the Chroma server intact
        assert by_id[p.article_id].text[p.start:p.end] == p.text


def test_server_streams_the_same_text_as_in_process(llm_url, real_model):
    msgs = [{"role": "system", "content": "Answer in one sentence."}, {"role": "user", "content": "What is DeepSeek?"}]
    model = load_model(llm_url)
    stats = GenerationStats()
    pieces = list(model.generate(msgs, max_tokens=16, stats=stats))
    assert len(pieces) > 3 and stats.completion_tokens == len(pieces) and stats.seconds_to_first_token > 0
    assert "".join(pieces) == "".join(real_model.generate(msgs, max_tokens=16))  # same template, same greedy sampling
    assert model.count_tokens("DeepSeek's success") == real_model.count_tokens("DeepSeek's success")  # /extras/tokenize


def test_schema_output_through_the_server_parses(llm_url):
    model = load_model(llm_url)
    j = judge_schema(model, "The government deserves credit.", "An article", "[1] The state funded the lab for years.", max_tokens=60)
    assert j.stance in LABELS
    reply = "".join(model.generate([{"role": "user", "content": "Classify: the sky is blue."}], max_tokens=60, schema=SCHEMA))
    obj = json.loads(reply)
    assert obj["stance"] in LABELS and isinstance(obj["viewpoint"], str)
    cut = json.loads("".join(model.generate([{"role": "user", "content": "Classify: the sky is blue."}], max_tokens=4, schema=SCHEMA)))
    assert cut["stance"] in LABELS and "cut-off JSON closed" in cut["_repaired"]  # repaired and marked, never unparseable


def test_index_sync_is_incremental_against_the_chroma_server(seeds_copy, tmp_path, chroma_url):
    first = build_pipeline(Settings(data_dir=tmp_path / "a", seeds=seeds_copy, model="stub", chroma_url=chroma_url))
    assert len(first.sync_report.added) + len(first.sync_report.unchanged) == 5
    # A second client with an empty data dir: the server is the shared truth, nothing re-embedded.
    other = build_pipeline(Settings(data_dir=tmp_path / "b", seeds=seeds_copy, model="stub", chroma_url=chroma_url))
    assert other.sync_report.passages_embedded == 0 and len(other.sync_report.unchanged) == 5
    files = sorted(seeds_copy.glob("*.txt"))
    files[0].write_text(files[0].read_text(encoding="utf-8") + "\n\nAn added closing paragraph about chips.", encoding="utf-8")
    files[1].unlink()
    r = other.reload()
    assert r.updated == [files[0].stem] and r.removed == [files[1].stem] and len(r.unchanged) == 3
    assert r.passages_embedded == sum(1 for p in other.passages if p.article_id == files[0].stem)
    # The first client sees the same server state: nothing to do but record it.
    again = first.reload()
    assert again.passages_embedded == 0 and len(again.unchanged) == 4
    # Retrieval is the same as with the embedded store: same passages, same similarities.
    local = build_pipeline(Settings(data_dir=tmp_path / "embedded", seeds=seeds_copy, model="stub"))
    for question in (QUESTION, "export controls on chips"):
        remote = {x.article.id: [(h.passage.id, round(h.score, 4)) for h in x.hits] for x in first.retriever.retrieve(question, k=3)}
        mine = {x.article.id: [(h.passage.id, round(h.score, 4)) for h in x.hits] for x in local.retriever.retrieve(question, k=3)}
        assert remote == mine


# -- a collection of thousands, on the server ---------------------------------------------
def test_two_thousand_articles_on_the_chroma_server_read_only_the_candidates(seeds_copy, tmp_path, chroma_url):
    """The real embedder and a real `chroma run` with 2,005 articles: the question's nearest
    passages come from the server's ANN index as an exact product would find them, the seeds
    that discuss it are read, and the rest are counted, not walked."""
    import numpy as np

    from test_scale import filler

    for i in range(2000):
        (seeds_copy / f"sport_{i:04d}.md").write_text(filler(i), encoding="utf-8")
    pipe = build_pipeline(Settings(data_dir=tmp_path / "r", seeds=seeds_copy, model="stub", chroma_url=chroma_url))
    assert len(pipe.articles) == 2005
    question = "How did US export controls affect DeepSeek?"
    qvec = pipe.embedder.embed([question])[0]
    stored = pipe.index._open().get(include=["embeddings"])
    vectors = np.asarray(stored["embeddings"], dtype=np.float32)
    exact = [stored["ids"][i] for i in np.argsort(-(vectors @ qvec))[:20]]
    nearest = [pid for pid, _ in pipe.index.query_all(qvec, 20)]
    assert len(set(nearest) & set(exact)) >= 18  # the server's ANN recall at 20
    result = ask(pipe, question)
    assert len(result.perspectives) <= 64 and len(result.perspectives) + len(result.not_examined) == 2005
    assert len(result.answer) <= 1500 and "other articles do not appear to discuss it" in result.answer
    speaking = {p.article_id for p in result.perspectives if p.status != "silent"}
    seeds = {a.id for a in pipe.articles if not a.id.startswith("sport_")}
    assert len(speaking & seeds) >= 4 and not any(aid.startswith("sport_") for aid in speaking)


# -- failures: clear, quick, no hang --------------------------------------------------------
def test_unreachable_servers_fail_fast_with_the_url():
    dead = f"http://127.0.0.1:{_free_port()}"
    t0 = time.monotonic()
    with pytest.raises(ModelError, match=rf"Cannot reach the model server at {dead}/v1 .*llama_cpp.server"):
        load_model(dead + "/v1")
    with pytest.raises(StoreError, match=rf"Cannot reach the Chroma server at {dead} .*chroma run"):
        build_pipeline(Settings(model="stub", chroma_url=dead))
    assert time.monotonic() - t0 < 10


def test_cli_reports_an_unreachable_chroma_server_in_one_line(seeds_copy, tmp_path):
    dead = f"http://127.0.0.1:{_free_port()}"
    r = CliRunner().invoke(cli, ["index", "--seeds", str(seeds_copy), "--data-dir", str(tmp_path / "d"), "--chroma-url", dead])
    assert r.exit_code == 4 and f"Cannot reach the Chroma server at {dead}" in r.output and "Traceback" not in r.output


class _Stub(BaseHTTPRequestHandler):
    """/<mode>/v1/...: 'fail' answers 500, 'slow' sleeps, 'cut' ends the stream early,
    'noschema' rejects response_format (400) and replies with JSON wrapped in prose."""

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._send(200, json.dumps({"object": "list", "data": [{"id": "stub-model"}]}).encode())

    def do_POST(self):
        mode = self.path.strip("/").split("/")[0]
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if mode == "fail":
            return self._send(500, json.dumps({"error": {"message": "the model crashed", "type": "internal_server_error"}}).encode())
        if mode == "slow":
            time.sleep(3)
        if mode == "noschema" and "response_format" in body:
            return self._send(400, json.dumps({"error": {"message": "Unknown parameter: response_format"}}).encode())
        content = 'Sure: {"viewpoint": "It agrees.", "stance": "Supports"}' if mode == "noschema" else "Hello there"
        events = [{"choices": [{"delta": {"content": w}, "finish_reason": None}]} for w in re.findall(r"\S+\s*", content)]
        if mode != "cut":
            events.append({"choices": [{"delta": {}, "finish_reason": "stop"}]})
        sse = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        self._send(200, sse.encode(), "text/event-stream")


@pytest.fixture(scope="module")
def stub_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _gen(model, **kw) -> str:
    return "".join(model.generate([{"role": "user", "content": "hi"}], max_tokens=8, **kw))


def test_server_error_status_is_reported_with_its_message(stub_url):
    with pytest.raises(ModelError, match=r"answered HTTP 500: the model crashed"):
        _gen(load_model(stub_url + "/fail/v1"))


def test_slow_server_times_out_with_a_message(stub_url):
    model = load_model(stub_url + "/slow/v1", timeout=1.0)
    t0 = time.monotonic()
    with pytest.raises(ModelError, match=r"sent nothing for 1 s \(timeout\).*PERSPECTIVES_LLM_TIMEOUT"):
        _gen(model)
    assert time.monotonic() - t0 < 2.5


def test_silent_servers_time_out(monkeypatch):
    """A socket that accepts connections and never answers: both clients give up, with a message."""
    import app.index.server

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(ModelError, match="timeout"):
            load_model(url, timeout=1.0)
        monkeypatch.setattr(app.index.server, "CHROMA_TIMEOUT", 1.0)
        t0 = time.monotonic()
        with pytest.raises(StoreError, match=rf"Chroma server at {url} did not answer within 1 s"):
            build_pipeline(Settings(model="stub", chroma_url=url))
        assert time.monotonic() - t0 < 5


def test_a_stream_cut_short_is_an_error(stub_url):
    with pytest.raises(ModelError, match="ended the reply early"):
        _gen(load_model(stub_url + "/cut/v1"))


def test_schema_fallback_when_the_server_rejects_response_format(stub_url):
    model = load_model(stub_url + "/noschema/v1")
    obj = json.loads(_gen(model, schema=SCHEMA))
    assert obj["stance"] == "supports" and obj["viewpoint"] == "It agrees."
    assert "read as 'supports'" in obj["_repaired"] and "text around the JSON dropped" in model.last_repair


# -- one configuration place ---------------------------------------------------------------
def test_config_precedence_flags_over_env_over_file(tmp_path, monkeypatch):
    cfg = tmp_path / "team.toml"
    cfg.write_text('k = 4\nquotes = 1\nllm_url = "http://gpu:8000/v1"\nseeds = "articles"\n', encoding="utf-8")
    monkeypatch.setenv("PERSPECTIVES_QUOTES", "3")
    monkeypatch.setenv("PERSPECTIVES_LLM_API_KEY", "sk-secret-value")
    r = CliRunner().invoke(cli, ["config", "--json", "--config", str(cfg), "--chroma-url", "http://db:8001"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    got = {k: (v["value"], v["source"]) for k, v in out["settings"].items()}
    assert got["k"] == (4, f"file {cfg}") and got["quotes"] == (3, "env PERSPECTIVES_QUOTES")
    assert got["chroma_url"] == ("http://db:8001", "flag") and got["floor"] == (0.2, "default")
    assert got["seeds"][0] == str(tmp_path / "articles")  # relative to the file
    assert "sk-secret-value" not in r.output and got["llm_api_key"][0] == "(set)"
    text = CliRunner().invoke(cli, ["config", "--config", str(cfg)])
    assert "sk-secret-value" not in text.output and "env PERSPECTIVES_QUOTES" in text.output


def test_config_file_mistakes_are_one_line_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    for content, msg in (("kk = 4\n", "unknown setting 'kk'"), ('k = "four"\n', "k = 'four' should be int"),
                         ('llm_api_key = "x"\n', "PERSPECTIVES_LLM_API_KEY"), ("k = \n", "not valid TOML")):
        bad.write_text(content, encoding="utf-8")
        r = CliRunner().invoke(cli, ["config", "--config", str(bad)])
        assert r.exit_code == 2 and msg in r.output, r.output
