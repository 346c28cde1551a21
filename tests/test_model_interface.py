"""What each model backend declares it can do (app/llm/base.py), and what callers get when they ask
for something a backend cannot do."""

from __future__ import annotations

import pytest

from app.errors import ModelError
from app.llm.base import Model
from app.llm.llama import LlamaModel
from app.llm.openai_http import OpenAIHTTPModel
from app.llm.stub import StubModel


@pytest.mark.parametrize("backend, can_score, supports_schema", [
    (LlamaModel, True, True), (StubModel, True, True), (OpenAIHTTPModel, False, True),
])
def test_backends_declare_their_capabilities(backend, can_score, supports_schema):
    assert (backend.can_stream, backend.can_score, backend.supports_schema) == (True, can_score, supports_schema)


def test_a_backend_that_cannot_score_says_so_instead_of_guessing():
    http = OpenAIHTTPModel("http://127.0.0.1:9/v1", probe=False)
    assert isinstance(http, Model)
    with pytest.raises(ModelError, match="cannot score labels"):
        http.score_labels([{"role": "user", "content": "q"}], ["yes", "no"])
    http.close()


def test_the_stub_scores_labels_deterministically():
    stub = StubModel()
    assert isinstance(stub, Model)
    msgs = [{"role": "user", "content": "Claim: chips matter."}]
    first = stub.score_labels(msgs, ["supports", "opposes", "mixed"])
    assert first == StubModel().score_labels(msgs, ["supports", "opposes", "mixed"])
    assert sorted(first.values()) == [-2.5, -2.5, -0.5]
