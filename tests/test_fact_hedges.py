"""Hedges that match the evidence: an article that quotes the fact is shown as answering it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import app.answer.ask as ask_module
from app.answer.ask import ask
from app.answer.results import ADDRESSES, MENTIONS
from app.retrieve.terms import analyse

EVAL = Path(__file__).resolve().parent / "eval" / "questions.jsonl"
NRC = "002_a288e786907b7547"


def test_the_nrc_card_that_states_where_deepseek_is_based_answers_it(stub_pipe):
    res = ask(stub_pipe, "Where is DeepSeek based?")
    nrc = next(p for p in res.perspectives if p.article_id == NRC)
    assert any("The company is based in Hangzhou" in q.text for q in nrc.quotes)
    assert nrc.status == ADDRESSES  # was "may not address it", beside its own quote of the answer
    assert f"«{nrc.label}»" in res.answer and f"«{nrc.label}» may not" not in res.answer
    assert "may not address it" not in res.answer.split("Hangzhou")[0]  # nothing before the answer hedges it


def _dev_fact_questions() -> list[dict]:
    rows = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["split"] == "dev" and analyse(r["question"]).kind == "fact"]


def test_no_dev_fact_answer_hedges_a_card_that_quotes_the_fact(stub_pipe):
    rows = _dev_fact_questions()
    assert len(rows) >= 10
    hedged = []
    for r in rows:
        for p in ask(stub_pipe, r["question"]).perspectives:
            if p.status == MENTIONS and any(r["needs"].lower() in q.text.lower() for q in p.quotes):
                hedged.append((r["id"], p.article_id))
    assert hedged == []


def test_only_articles_that_address_a_dev_fact_question_are_lifted(stub_pipe, monkeypatch):
    """The lift from "may not address it" never lands on an article the gold set calls silent."""
    real = ask_module.confirm_fact_holders
    wrong = []
    for r in _dev_fact_questions():
        monkeypatch.setattr(ask_module, "confirm_fact_holders", lambda qt, cards, rules=None: None)
        before = {p.article_id: p.status for p in ask(stub_pipe, r["question"]).perspectives}
        monkeypatch.setattr(ask_module, "confirm_fact_holders", real)
        lifted = [p.article_id for p in ask(stub_pipe, r["question"]).perspectives if p.status != before[p.article_id]]
        wrong += [(r["id"], a) for a in lifted if a not in r["articles"]]
    assert wrong == []


@pytest.mark.parametrize("question", ["Did the Chinese government deserve credit for DeepSeek's success?",
                                      "What does DeepSeek's success say about China's education system?"])
def test_view_questions_keep_their_hedges(stub_pipe, question, monkeypatch):
    monkeypatch.setattr(ask_module, "confirm_fact_holders", lambda qt, cards, rules=None: None)
    before = [p.status for p in ask(stub_pipe, question).perspectives]
    monkeypatch.undo()
    assert [p.status for p in ask(stub_pipe, question).perspectives] == before
