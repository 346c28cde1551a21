"""Whose words a shown quote carries, in the words every front end uses.

Scope: one wording for the voice of an Evidence (app/corpus/attribution.py decides it). A
named speaker's words read "Grassley, quoted: “…”", unless the sentence names the speaker
itself ("“…,” said Grassley." needs no second "Grassley"); the article's own words are
shown bare (the card, row or line already names the article); words the article gives to
someone it does not name are marked "unattributed" only when they stand in quotation marks,
since a sentence of reported speech says who speaks itself ("Some people pointed to…").
Machines get the voice whole (`whose`, the JSON's voice and speaker). A model-written
sentence that restates someone's quoted words without naming them would give them to the
article: `borrowed_voice` finds that, and `checked` (the support check, then this) refuses it.
Not here: deciding the voice (attribution.py), HTML (app/ui/html.py), layout (app/render).
"""

from __future__ import annotations

import re

from app.answer import support
from app.answer.citations import quoted
from app.answer.results import Evidence
from app.corpus.attribution import QUOTED, UNATTRIBUTED

UNATTRIBUTED_LABEL = "unattributed"
BORROWED = "gives a quoted voice as the article's own"  # the reason a model sentence is dropped (JSON dropped_reasons)
_QUOTE_MARK = re.compile(r"[“”\"«»„]")


def whose(q: Evidence) -> str:
    """"Kudlow, quoted", "unattributed" or "own", whatever the sentence says itself (CSV)."""
    if q.voice == QUOTED and q.speaker:
        return f"{q.speaker}, quoted"
    return UNATTRIBUTED_LABEL if q.voice == UNATTRIBUTED else "own"


def voice_label(q: Evidence) -> str:
    """What a reader is told before the quote: "Kudlow, quoted", "unattributed" or ""."""
    return label(q.voice, q.speaker, q.text)


def label(voice: str, speaker: str | None, text: str) -> str:
    """voice_label for the fields of an Evidence (a compare row reaches the web app as a dict)."""
    if voice == QUOTED and speaker:
        return "" if _names(text, speaker) else f"{speaker}, quoted"
    if voice == UNATTRIBUTED and _QUOTE_MARK.search(text):
        return UNATTRIBUTED_LABEL
    return ""


def _names(text: str, speaker: str) -> bool:
    """Whether the sentence names its speaker itself: the speaker's last word is in it."""
    last = re.sub(r"[’']s$", "", speaker.split()[-1])
    return bool(re.search(rf"(?<![\w-]){re.escape(last)}(?![\w-])", text))


def voiced(q: Evidence) -> str:
    """The quote in marks, led by whose words it carries: "Kudlow, quoted: “…”"."""
    said = voice_label(q)
    return f"{said}: {quoted(q.text)}" if said else quoted(q.text)


def borrowed_voice(sentence: str, evidence: list[Evidence]) -> str:
    """Whose words a model-written sentence restates without saying so: the speaker of the
    quote it is closest to when the sentence does not name them ("The tariffs will hurt." over
    Kudlow's “Tariffs will hurt,” he said), "unattributed" for a quotation of someone unnamed;
    "" when it restates the article's own words or names the speaker."""
    if not evidence:
        return ""
    text = support.closest(sentence, [q.text for q in evidence])
    q = next(q for q in evidence if q.text == text)
    if q.voice == QUOTED and q.speaker:
        return "" if _names(sentence, q.speaker) else q.speaker
    return UNATTRIBUTED_LABEL if q.voice == UNATTRIBUTED and _QUOTE_MARK.search(q.text) else ""


def checked(sentence: str, evidence: list[Evidence], **check_options) -> support.Verdict:
    """The support check of a model-written sentence over `evidence`, then whose words it gives:
    one that restates a quoted voice without naming it fails too (BORROWED)."""
    verdict = support.check(sentence, [q.text for q in evidence], **check_options)
    if verdict.ok and borrowed_voice(sentence, evidence):
        return support.Verdict(False, BORROWED)
    return verdict
