"""Follow-up or new question: only a question that needs the conversation is read with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.answer.followup import follow_up_reason, is_follow_up

EVAL = Path(__file__).resolve().parent / "eval" / "questions.jsonl"


@pytest.mark.parametrize("question, reason", [
    ("and the NRC piece?", "continues the last question"),
    ("what about them?", "continues the last question"),
    ("And what about its founder?", "continues the last question"),
    ("Tell me more", "refers to an earlier answer"),
    ("Which of those articles is most critical?", "refers to an earlier answer"),
    ("Can you explain your last answer?", "refers to an earlier answer"),
    ("What did the second article say?", "refers to an earlier answer"),
    ("Why?", "has no subject of its own"),
    ("How so?", "has no subject of its own"),
    ("In which year?", "has no subject of its own"),
    ("Who else?", "has no subject of its own"),
    ("Why is that?", "has no subject of its own"),
    ("How old is he?", "uses a pronoun"),
    ("Where did he study?", "uses a pronoun"),
    ("What do they say about chips?", "uses a pronoun"),
    ("What do the articles say about it?", "uses a pronoun"),
    ("Is this company profitable?", "uses a pronoun"),
    ("Who said that?", "has no subject of its own"),
    ("What did DeepSeek's founder mean by that?", "uses a pronoun"),
])
def test_questions_that_need_the_conversation(question, reason):
    assert follow_up_reason(question) == reason


@pytest.mark.parametrize("question", [
    "Where is DeepSeek based?",
    "Did the Chinese government deserve credit for DeepSeek's success?",
    "Which university did DeepSeek's founder study at, and what did he major in?",  # "he": the founder, named before it
    "Did Liang Wenfeng say his team was young?",
    "Is it true that DeepSeek used 2,000 chips?",  # "it" points forward, at the clause
    "How long did it take DeepSeek to train V3?",
    "What did DeepSeek release this year?",  # "this year" is a time, not a reference
    "Export controls?",
    "Nvidia?",
    "",
])
def test_questions_that_stand_alone(question):
    assert not is_follow_up(question)


def test_every_eval_question_stands_alone():
    """The eval questions are each asked in a fresh chat; none reads as a follow-up."""
    questions = [json.loads(line)["question"] for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(questions) > 40
    assert [q for q in questions if is_follow_up(q)] == []
