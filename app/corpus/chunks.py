"""Split cleaned articles into sentences and passages with character offsets.

Scope: sentence spans, and passages of roughly 60-150 words built from whole paragraphs, or
from whole sentences when a paragraph is long. A sentence ends at . ! ? or an ellipsis
(closing quotes and brackets stay with it) before a word that does not start in lower case,
and at every line break; never after a title ("Mr.", "Lt. Gen."), an initial ("Steven T.
Mnuchin"), or "No."/"Jan."/"p." before a number. After an abbreviation that may or may not
end a sentence ("made in the U.S. The plant…" against "the U.S. Commerce Department") the
Punkt model of nupunkt decides, as it learned from a large corpus which words start sentences. Every span is (start, end) into
`Article.text`, so `article.text[start:end]` is exactly the passage or sentence.
Not here: embeddings or storage.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass

from app.corpus import lexicon
from app.corpus.articles import Article

CHUNKER_VERSION = "3"  # 3: abbreviation-aware sentence ends (initials, titles, "Jan. 5", nupunkt)
MIN_WORDS = 60
MAX_WORDS = 150

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before space.
_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s+|$)")
# The word a period closes, without the opening marks before it: "U.S" in "(the “U.S.”".
_LAST_WORD = re.compile(r"([^\s\"'“‘«(\[]+)$")
_DOTTED = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")  # "U.S", "a.m", "e.g", "Ph.D"


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Passage:
    """A retrievable unit of one article. `text == article.text[start:end]`."""

    id: str
    article_id: str
    position: int  # 0-based order within the article
    start: int
    end: int
    text: str

    @property
    def words(self) -> int:
        return len(self.text.split())


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans inside text[start:end], trimmed of surrounding whitespace."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for m in _END.finditer(text, start, end):
        stop = m.end()
        nxt = text[stop:stop + 3].lstrip()
        if nxt and nxt[0].islower():
            continue  # "...e.g. something" or an ellipsis mid-sentence
        if m.group(0)[0] == "." and not _period_ends(text, cursor, m.start(), stop):
            continue
        _add_span(text, cursor, stop, spans)
        cursor = stop
    _add_span(text, cursor, end, spans)
    return spans


def _period_ends(text: str, cursor: int, period: int, stop: int) -> bool:
    """Whether the period at `period` ends a sentence (the text after `stop` does not start
    in lower case). The word before it decides, and for ambiguous abbreviations, nupunkt."""
    found = _LAST_WORD.search(text, cursor, period)
    word = found.group(1) if found else ""
    key = word.lower()
    after = text[stop:stop + 40].lstrip()
    if key in lexicon.TITLES:
        return False  # "Mr. Smith", "Lt. Gen. Smith"
    if key in lexicon.BEFORE_NUMBER and after[:1].isdigit():
        return False  # "No. 3", "Jan. 5"
    if len(word) == 1 and word.isupper() and after[:1].isupper():
        return False  # an initial: "Steven T. Mnuchin"
    if key in lexicon.AMBIGUOUS or _DOTTED.fullmatch(word):
        return _punkt_ends(text, stop)
    return True


def _punkt_ends(text: str, stop: int) -> bool:
    """nupunkt's verdict on a boundary at `stop`, read from its spans over the line around it."""
    line_start = text.rfind("\n", 0, stop) + 1
    line_end = text.find("\n", stop)
    line_end = len(text) if line_end < 0 else line_end
    nonspace = stop
    while nonspace < line_end and text[nonspace].isspace():
        nonspace += 1
    return any(stop <= line_start + a <= nonspace for a, _ in _punkt_spans(text[line_start:line_end]))


@functools.lru_cache(maxsize=256)
def _punkt_spans(line: str) -> tuple[tuple[int, int], ...]:
    """nupunkt's spans of one line (cached: a line with several abbreviations is asked once)."""
    import nupunkt  # a few ms to load its model: only texts with an ambiguous abbreviation pay it

    return tuple((a, b) for a, b in nupunkt.sent_spans(line))


def _add_span(text: str, a: int, b: int, out: list[Span]) -> None:
    # Split on paragraph breaks too: a heading without a full stop is its own sentence.
    for piece in re.finditer(r"[^\n]+", text[a:b]):
        s, e = a + piece.start(), a + piece.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append(Span(s, e))


def _paragraph_spans(text: str) -> list[Span]:
    return [Span(m.start(), m.end()) for m in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", text)]


def _words(text: str, span: Span) -> int:
    return len(text[span.start:span.end].split())


def _pieces(text: str) -> list[Span]:
    """Paragraphs, with long paragraphs broken into runs of sentences of at most MAX_WORDS."""
    pieces: list[Span] = []
    for para in _paragraph_spans(text):
        if _words(text, para) <= MAX_WORDS:
            pieces.append(para)
            continue
        run: list[Span] = []
        for sent in sentence_spans(text, para.start, para.end):
            if run and _words(text, Span(run[0].start, sent.end)) > MAX_WORDS:
                pieces.append(Span(run[0].start, run[-1].end))
                run = []
            run.append(sent)
        if run:
            pieces.append(Span(run[0].start, run[-1].end))
    return pieces


def chunk_article(article: Article) -> list[Passage]:
    """Greedy packing of paragraph pieces into passages of MIN_WORDS..MAX_WORDS words."""
    text = article.text
    groups: list[Span] = []
    current: Span | None = None
    for piece in _pieces(text):
        if current is None:
            current = piece
        elif _words(text, current) < MIN_WORDS and _words(text, Span(current.start, piece.end)) <= MAX_WORDS:
            current = Span(current.start, piece.end)
        else:
            groups.append(current)
            current = piece
    if current is not None:
        # A short tail joins the previous passage when it fits.
        if groups and _words(text, current) < MIN_WORDS // 2 and _words(text, Span(groups[-1].start, current.end)) <= MAX_WORDS * 1.3:
            groups[-1] = Span(groups[-1].start, current.end)
        else:
            groups.append(current)
    prefix = hashlib.sha1(article.sha256.encode() + CHUNKER_VERSION.encode()).hexdigest()[:8]
    return [
        Passage(id=f"{article.id}:{prefix}:{i}", article_id=article.id, position=i, start=g.start, end=g.end, text=text[g.start:g.end])
        for i, g in enumerate(groups)
    ]
