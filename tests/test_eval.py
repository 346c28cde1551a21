"""The dev eval itself, run as a test: what it promises about every answer on the dev set.

Over all dev questions: no model sentence is shown that fails the support check, no answer is
cut mid-sentence, every [n] is a listed source and every quote is verbatim. With the stub
(fast, every run) and with the bundled model (the real path: its sentences are the ones that
need checking).
"""

from __future__ import annotations

import copy

import pytest

from app.eval.answers import evaluate, load_questions


def _assert_promises(figures: dict) -> None:
    for split, m in figures.items():
        assert m["unsupported_shown"] == 0, split
        assert m["cut_mid_sentence"] == 0, split
        assert m["citation_validity"] == 1.0 and m["quote_validity"] == 1.0, split


def test_eval_promises_hold_with_the_stub(stub_pipe):
    figures = evaluate(stub_pipe, load_questions())
    _assert_promises(figures)
    assert figures["dev"]["generated_shown"] > 0  # the stub's restatements pass, so the check is exercised


@pytest.mark.real_model
def test_eval_promises_hold_with_the_bundled_model(stub_pipe, real_model):
    view = copy.copy(stub_pipe)
    view.set_model(real_model)
    figures = evaluate(view, [q for q in load_questions() if q["split"] == "dev"])
    _assert_promises(figures)
    assert figures["dev"]["dropped"] > 0  # the tiny model's unsupported sentences were caught, not shown
