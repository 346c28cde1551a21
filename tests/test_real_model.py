"""The bundled GGUF through llama.cpp, end to end: a non-empty, cited answer."""

import pytest

from app.answer.citations import cited_numbers
from app.answer.ask import ask


@pytest.mark.real_model
def test_real_model_answer_is_cited(stub_pipe, real_model, monkeypatch):
    monkeypatch.setattr(stub_pipe, "_model", real_model)
    res = ask(stub_pipe, "Did the Chinese government deserve credit for DeepSeek's success?")
    assert res.answer.strip()
    listed = {p["citation"] for p in res.passages}
    assert cited_numbers(res.answer) and set(cited_numbers(res.answer)) <= listed
    assert res.model.endswith(".gguf")
    addressed = [p for p in res.perspectives if p["addressed"]]
    assert addressed and all(p["viewpoint"].strip() and cited_numbers(p["viewpoint"]) for p in addressed)
