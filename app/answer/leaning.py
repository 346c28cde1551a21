"""A quote that leans on the sentence before it is shown with that sentence.

Scope: "It has deposited money into research projects…" says nothing until the reader sees
the sentence that names "it" ("The Chinese government also helped promote…"). Evidence
(app/retrieve/evidence.py, `leaned_on`) puts such sentences on the card as context; here a
line of the answer that quotes one sentence (the fact lead, "Most direct", a disagreement)
takes the sentences it leans on from the same card, in reading order.
Not here: deciding what leans back (evidence.leans_back), choosing the quote.
"""

from __future__ import annotations

from app.answer.results import Evidence
from app.answer.voice import voiced
from app.retrieve.evidence import LEAN_BACK, leans_back

ADJACENT = 3  # characters: at most this between two sentences that follow each other (a space, a paragraph break)


def leaned_on(quotes: list[Evidence], key: Evidence) -> list[Evidence]:
    """The card's quotes that `key` leans on, in reading order (none when it does not lean)."""
    chain: list[Evidence] = []
    current = key
    while len(chain) < LEAN_BACK and leans_back(current.text):
        before = next((q for q in quotes if q.end <= current.start and current.start - q.end <= ADJACENT), None)
        if before is None:
            break
        chain.insert(0, before)
        current = before
    return chain


def with_context(quotes: list[Evidence], key: Evidence, shown: set[tuple[int, int]] | None = None) -> str:
    """`key` as the answer quotes it: the sentences it leans on first, each with whose words it
    is and its citation. `shown`: spans already quoted in this line, not repeated."""
    shown = set() if shown is None else shown
    parts = []
    for q in [*leaned_on(quotes, key), key]:
        if (q.start, q.end) not in shown:
            shown.add((q.start, q.end))
            parts.append(f"{voiced(q)} [{q.citation}]")
    return " ".join(parts)
