"""Check and normalise what a user types as a question or topic.

Scope: remove control characters and terminal escapes, cut over-long text at a word, and
note a question in a non-Latin script; each change is reported as a notice. Also tell a
fact question (one specific fact) from a question about views. Not here: retrieval.
"""

from __future__ import annotations

import re
import unicodedata

from app.errors import InputError

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


def clean_question(question: str, max_chars: int) -> tuple[str, list[str]]:
    """Validate and normalise a question; returns (question, notices).

    Control characters and undecodable bytes (a terminal escape, a stray NUL, invalid
    UTF-8 passed on the command line) are removed with a notice; an over-long question is
    cut at a word boundary with a notice; a question mostly in a non-Latin script gets a
    notice that the articles and the search model are English.
    """
    if not isinstance(question, str):
        raise InputError("The question must be text.")
    q, removed = _ANSI.subn("", unicodedata.normalize("NFC", question))  # terminal colour codes, cursor moves
    junk = {ch for ch in set(q) if not ch.isspace() and unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")}
    removed += sum(1 for ch in q if ch in junk)
    q = "".join(ch for ch in q if ch not in junk)
    q = re.sub(r"\s+", " ", q).strip()
    if not q:
        raise InputError("The question is empty. Type a question, e.g. perspectives ask \"What do the articles say about export controls?\"")
    notices = []
    if removed:
        notices.append(f"Removed {removed} control character{'s' if removed != 1 else ''} or invalid byte{'s' if removed != 1 else ''} from the question.")
    if len(q) > max_chars:
        notices.append(f"The question was {len(q):,} characters long; only the first {max_chars:,} were used.")
        q = q[:max_chars].rsplit(" ", 1)[0] or q[:max_chars]
    letters = [ch for ch in q if ch.isalpha()]
    foreign = sum(1 for ch in letters if not unicodedata.name(ch, "").startswith("LATIN"))
    if letters and foreign / len(letters) > 0.5:
        notices.append("The articles are in English and the search model understands English best; "
                       "a question in another language may miss passages. Try asking in English too.")
    return q, notices
