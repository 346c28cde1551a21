"""The bundled GGUF through llama.cpp, end to end: a cited answer led by verbatim evidence."""

import pytest

from app.answer.citations import cited_numbers
from app.answer.ask import ask


@pytest.mark.real_model
def test_real_model_answer_is_cited(stub_pipe, real_model, monkeypatch):
    monkeypatch.setattr(stub_pipe, "_model", real_model)
    res = ask(stub_pipe, "Did the Chinese government deserve credit for DeepSeek's success?")
    assert res.answer.strip()
    listed = {p.citation for p in res.passages}
    assert cited_numbers(res.answer) and set(cited_numbers(res.answer)) <= listed
    assert res.model.endswith(".gguf") or "(as Q8_0)" in res.model
    addressed = [p for p in res.perspectives if p.addressed]
    assert addressed and all(p.viewpoint.startswith("“") and cited_numbers(p.viewpoint) for p in addressed)  # evidence leads
    assert res.timing["prompt_tokens"] > 0  # the model really ran (its sentences were checked, maybe all dropped)
