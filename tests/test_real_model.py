"""The bundled GGUF through llama.cpp, end to end: a cited answer led by verbatim evidence."""

import pytest

from app.answer.citations import cited_numbers
from app.answer.ask import ask


@pytest.mark.real_model
def test_real_model_answer_is_cited(stub_pipe, real_model, monkeypatch):
    monkeypatch.setattr(stub_pipe, "_model", real_model)
    res = ask(stub_pipe, "Which university did DeepSeek's founder study at?")
    assert res.kind == "fact" and res.answer.strip()
    listed = {p.citation for p in res.passages}
    assert cited_numbers(res.answer) and set(cited_numbers(res.answer)) <= listed
    assert res.model.endswith(".gguf") or "(as Q8_0)" in res.model
    addressed = [p for p in res.perspectives if p.addressed]
    assert addressed and all(p.viewpoint.startswith("“") and cited_numbers(p.viewpoint) for p in addressed)  # evidence leads
    assert res.timing["prompt_tokens"] > 0  # the model really ran (its sentences were checked, maybe all dropped)


@pytest.mark.real_model
def test_the_bundled_model_writes_about_views_only_when_told(stub_pipe, real_model, monkeypatch):
    """The 135M model is not asked to write about views by default (its contrast sentences
    all failed the support check on the tuning corpora): a view question costs no model
    tokens, a fact one at most 400 prompt and 120 generated; `paraphrase = "on"` asks for
    the paraphrases and the contrast again."""
    monkeypatch.setattr(stub_pipe, "_model", real_model)
    assert real_model.parameters and real_model.parameters < 1_000_000_000
    question = "Did the Chinese government deserve credit for DeepSeek's success?"
    res = ask(stub_pipe, question)
    assert res.kind == "view" and res.timing["prompt_tokens"] == 0 and res.answer_generated == []
    assert not any(p.paraphrase for p in res.perspectives) and sum(p.addressed for p in res.perspectives) >= 2
    fact = ask(stub_pipe, "Which university did DeepSeek's founder study at?")
    assert 0 < fact.timing["prompt_tokens"] <= 400 and fact.timing["completion_tokens"] <= 120
    monkeypatch.setattr(stub_pipe, "settings", stub_pipe.settings.with_(paraphrase="on"))
    more = ask(stub_pipe, question)
    assert more.timing["prompt_tokens"] > 200  # a sequence per addressing article, and the contrast
