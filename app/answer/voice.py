"""Whose words a shown quote carries, in the words every front end uses.

Scope: one wording for the voice of an Evidence (app/corpus/attribution.py decides it): a
named speaker's words read "Grassley, quoted: “…”"; the article's own words are shown bare
(the card, row or line already names the article); words the article gives to someone it
does not name are marked "unattributed" only when they stand in quotation marks, since a
sentence of reported speech says who speaks itself ("Some people pointed to…").
Not here: deciding the voice (attribution.py), HTML (app/ui/html.py), layout (app/render).
"""

from __future__ import annotations

import re

from app.answer.citations import quoted
from app.answer.results import Evidence
from app.corpus.attribution import QUOTED, UNATTRIBUTED

UNATTRIBUTED_LABEL = "unattributed"
_QUOTE_MARK = re.compile(r"[“”\"«»„]")


def voice_label(q: Evidence) -> str:
    """"Kudlow, quoted", "unattributed" or "" (the article's own words)."""
    return label(q.voice, q.speaker, q.text)


def label(voice: str, speaker: str | None, text: str) -> str:
    """voice_label for the fields of an Evidence (a compare row reaches the web app as a dict)."""
    if voice == QUOTED and speaker:
        return f"{speaker}, quoted"
    if voice == UNATTRIBUTED and _QUOTE_MARK.search(text):
        return UNATTRIBUTED_LABEL
    return ""


def voiced(q: Evidence) -> str:
    """The quote in marks, led by whose words it carries: "Kudlow, quoted: “…”"."""
    label = voice_label(q)
    return f"{label}: {quoted(q.text)}" if label else quoted(q.text)
