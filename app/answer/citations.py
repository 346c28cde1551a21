"""Citation markers `[n]`: validation while streaming, and verbatim-quote checks.

Scope: the small, strict rules that make every shown citation and quote trustworthy.
A `[n]` survives only if `n` is a listed source; a quote survives only if it is the exact
substring of its article at its offsets.
"""

from __future__ import annotations

import re

CITE = re.compile(r"\[(\d{1,3})\]")


def cited_numbers(text: str) -> list[int]:
    """Citation numbers in order of first appearance."""
    seen: list[int] = []
    for m in CITE.finditer(text):
        n = int(m.group(1))
        if n not in seen:
            seen.append(n)
    return seen


class CitationFilter:
    """Drops `[n]` markers whose n is not allowed, from a stream of text pieces.

    A piece may end in the middle of a marker ("... [1" then "2]"), so a possible marker
    is held back until it is complete.
    """

    def __init__(self, allowed: set[int]):
        self.allowed = allowed
        self._held = ""

    def feed(self, piece: str) -> str:
        text = self._held + piece
        self._held = ""
        out = []
        i = 0
        while i < len(text):
            j = text.find("[", i)
            if j < 0:
                out.append(text[i:])
                break
            out.append(text[i:j])
            m = re.match(r"\[(\d{0,3})(\])?", text[j:])
            if m and not m.group(2) and j + len(m.group(0)) == len(text):
                self._held = text[j:]  # incomplete marker at the end: wait for more
                break
            if m and m.group(2) and m.group(1):
                if int(m.group(1)) in self.allowed:
                    out.append(m.group(0))
                i = j + len(m.group(0))
            else:
                out.append("[")
                i = j + 1
        return "".join(out)

    def flush(self) -> str:
        held, self._held = self._held, ""
        return "" if re.fullmatch(r"\[\d*", held) else held


def clean_citations(text: str, allowed: set[int]) -> str:
    f = CitationFilter(allowed)
    return f.feed(text) + f.flush()


def verify_quote(article_text: str, text: str, start: int, end: int) -> bool:
    """True when `text` is exactly the article's text at [start, end)."""
    return 0 <= start < end <= len(article_text) and article_text[start:end] == text


def quoted(text: str) -> str:
    """`text` in quote marks, unless it opens with a quotation of its own: then it is shown as
    it stands, so a quoted speaker's sentence ("“If the US does not reform…,” he wrote online.")
    is not wrapped into ““…” … .”."""
    if text.startswith(("“", '"', "‘", "«")):
        return text
    return f"“{text}”"
