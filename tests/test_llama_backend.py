"""The llama.cpp backend: model-file checks, settings that reach it, and a real load of the bundled GGUF."""

import math

import pytest

from app.errors import ModelError
from app.llm.loader import default_model_path
from app.llm.llama import check_gguf
from app.pipeline import model_options
from app.settings import Settings

@pytest.mark.parametrize("env, expected", [("0", False), ("1", True), ("", None)])
def test_extra_bufts_setting_reaches_the_model_options(env, expected, monkeypatch):
    monkeypatch.setenv("PERSPECTIVES_EXTRA_BUFTS", env)
    assert model_options(Settings.load(model="default"))["extra_bufts"] is expected  # None = the fastest configuration a probe has shown to work


def test_check_gguf_messages(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        check_gguf(tmp_path / "missing.gguf")
    with pytest.raises(ModelError, match="directory"):
        check_gguf(tmp_path)
    (tmp_path / "x.gguf").write_bytes(b"nope")
    with pytest.raises(ModelError, match="Not a GGUF"):
        check_gguf(tmp_path / "x.gguf")
    check_gguf(default_model_path())


def test_truncated_gguf_is_a_clear_error(tmp_path):
    from app.llm import load_model

    src = default_model_path().read_bytes()[: 1 << 20]
    (tmp_path / "cut.gguf").write_bytes(src)
    with pytest.raises(ModelError, match="could not load"):
        load_model(str(tmp_path / "cut.gguf")).context_size  # a worker loads it: its error arrives on first use
    with pytest.raises(ModelError, match="could not load"):
        load_model(str(tmp_path / "cut.gguf"), process="inline")


@pytest.mark.real_model
def test_real_model_generates_and_obeys_schema(real_model):
    out = "".join(real_model.generate([{"role": "user", "content": "Say hello."}], max_tokens=8))
    assert out.strip()
    import json

    schema = {"type": "object", "properties": {"stance": {"enum": ["supports", "opposes", "mixed"]}}, "required": ["stance"]}
    js = "".join(real_model.generate([{"role": "user", "content": "Claim: chips matter. Stance?"}], max_tokens=20, schema=schema))
    assert json.loads(js)["stance"] in {"supports", "opposes", "mixed"}


@pytest.mark.real_model
def test_label_scores_follow_the_models_own_greedy_choice(real_model):
    """score_labels drives llama-cpp-python's KV cache by hand (n_tokens, input_ids, eval, ctx;
    written against 0.3.36): if those move or change meaning, the scores stop matching what the
    model itself would say, or generation after scoring changes."""
    msgs = [{"role": "user", "content": "Is fire hot? Answer with one word."}]
    greedy = "".join(real_model.generate(msgs, max_tokens=4)).strip()
    word = greedy.split()[0].strip(".,!")
    labels = [word, "banana", "zebra"]
    scores = real_model.score_labels(msgs, labels)
    assert max(scores, key=scores.get) == word, (greedy, scores)
    assert all(math.isfinite(v) and v < 0 for v in scores.values())
    assert real_model.score_labels(msgs, labels) == scores  # the cached prompt is reused, not corrupted
    assert "".join(real_model.generate(msgs, max_tokens=4)).strip() == greedy


def test_fact_questions_answer_with_no_environment_variable(tmp_path, seeds_copy):
    """On a CPU whose AMX buffers segfault (this project's CI machines), the README's `ask`
    answers a fact question with nothing set: the probe keeps llama.cpp on what works here."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PERSPECTIVES_EXTRA_BUFTS"}
    r = subprocess.run([sys.executable, "-m", "app.cli.main", "ask", "Where is DeepSeek based?", "--json",
                        "--data-dir", str(tmp_path / "d"), "--seeds", str(seeds_copy)],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, f"exit {r.returncode}: {r.stderr[-500:]}"
    assert "Hangzhou" in r.stdout


@pytest.mark.parametrize("cores, load, expected", [(2, 0.1, 2), (2, 0.6, 1), (2, 2.4, 1), (8, 1.2, 7), (8, 30.0, 1), (4, 0.0, 4)])
def test_auto_threads_leaves_busy_cores_alone(monkeypatch, cores, load, expected):
    from app.llm import cores as cores_module

    monkeypatch.setattr(cores_module, "usable_cores", lambda: cores)
    monkeypatch.setattr(cores_module.os, "getloadavg", lambda: (load, load, load))
    assert cores_module.auto_threads() == expected
