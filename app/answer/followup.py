"""Tell a follow-up question from a new one, so a chat reads earlier turns only when asked to.

Scope: one pure decision over the question's words. A question is a follow-up only when it
cannot be understood alone: it opens by continuing the last turn ("and the NRC piece?",
"what about them?"), it points back at the conversation ("your last answer", "the second
article", "tell me more"), it is an ellipsis with no subject of its own ("Why?", "In which
year?"), or it uses a pronoun with nothing in the question for it to stand for ("How old is
he?", "What do they say about chips?"). Anything else is answered exactly as in a fresh
chat: joining every question to the one before it answered "Where is the company based?" with
the quotes of the government question asked just before.
Not here: what the chat does with the answer (app/ui/chat.py), retrieval (the caller joins
the earlier question to the query, app/answer/ask.py).
"""

from __future__ import annotations

import re

from app.corpus.lexicon import GENERIC_NOUNS, STOPWORDS, fold
from app.rules import RULES

# Opens by carrying on from the last turn.
_CONTINUES = re.compile(r"^\s*(?:and|but|or|so|also|plus|then|what about|how about|what of|same for|same question)\b", re.I)
# Points at the conversation itself.
_REFERS_BACK = re.compile(
    r"\b(?:you (?:said|mentioned|quoted|cited|wrote|meant)"
    r"|your (?:(?:last|previous|first|earlier) )?(?:answer|reply|quotes?|sources?|summary)"
    r"|(?:the|that|this) (?:previous|last|earlier|above) (?:answer|question|reply)"
    r"|(?:said|mentioned|quoted|shown) (?:above|earlier|before)"
    r"|the (?:first|second|third|fourth|fifth|last|other|same) (?:one|ones|article|articles|piece|pieces|source|sources|quote|quotes)"
    r"|(?:that|this|those|these) (?:article|articles|piece|pieces|source|sources|quote|quotes|answer|one|ones|claim|claims|point|points)"
    r"|tell me more|more (?:about|on) (?:it|that|this|them)|elaborate|explain (?:it|that|this|them)|go on)\b", re.I)
# Pronouns that stand for something said before. "that" is left out (it mostly joins a clause:
# "Is it true that…"); "this/these/those" before a time word are no reference ("this year").
_PRONOUN = re.compile(r"\b(?:he|him|his|she|her|hers|they|them|their|theirs|it|its|this|these|those)\b(?!\s+(?:year|month|week|time|days?)\b)", re.I)
_THAT_ALONE = re.compile(r"\bthat\s*[?.!]*$", re.I)  # "Why is that?", "Who said that?"
# "it" that points forward, at a clause later in the question: "Is it true that…", "How long did it take…to".
_EXPLETIVE_IT = re.compile(r"\bit\b(?=.*\b(?:that|to|whether)\b)", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# Words that name nothing a pronoun could stand for: function and question-frame words, and
# nouns too generic to be a subject ("In which year?", "What do the articles say about it?").
_NAMES_NOTHING = STOPWORDS | GENERIC_NOUNS | {"done", "really", "exactly", "else", "ever", "still", "others", "way", "ways"}


def follow_up_reason(question: str) -> str:
    """Why `question` needs the conversation to be understood, or "" when it stands alone."""
    q = question.strip()
    words = _WORD.findall(q)
    if not words:
        return ""
    if _CONTINUES.match(q):
        return "continues the last question"
    if _REFERS_BACK.search(q):
        return "refers to an earlier answer"
    if len(words) <= RULES.ellipsis_words and not _names_something(words):
        return "has no subject of its own"
    if _THAT_ALONE.search(q):
        return "uses a pronoun"
    for m in _PRONOUN.finditer(q):
        if m.group(0).lower() == "it" and _EXPLETIVE_IT.search(q[m.start():]):
            continue
        if not any(_content(w) for w in _WORD.findall(q[:m.start()])):
            return "uses a pronoun"  # nothing before it in the question for it to stand for
    return ""


def is_follow_up(question: str) -> bool:
    return bool(follow_up_reason(question))


def _content(word: str) -> bool:
    """Whether a word names something a pronoun could stand for ("Airbus's" counts as "airbus")."""
    return fold(word).split("'")[0] not in _NAMES_NOTHING


def _names_something(words: list[str]) -> bool:
    return any(_content(w) for w in words)
