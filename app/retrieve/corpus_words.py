"""How many of the corpus's sentences hold each word stem: the rarity of a question's terms and
the corpus's subject words, without reading the corpus at question time.

Scope: per article, a count of the sentences that hold each stem and the stem's commonest
written form (what related.py embeds), kept in
`<data dir>/index/words/<article id>.<hash>.json`; the corpus's total in `total.json`, tagged
with the corpus state it was summed for. A process whose corpus is unchanged reads the total
only (one small file); a changed corpus re-reads the per-article counts and computes the
missing ones (one article's work for one added article). Files that cannot be read or written
are recomputed or skipped: the cache never decides an answer.
Not here: how the counts are used (evidence.py).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

from app.cachefile import save_json
from app.corpus.articles import Article
from app.corpus.chunks import CHUNKER_VERSION, sentence_spans
from app.retrieve.terms import stems, written_stems

FORMAT = f"c{CHUNKER_VERSION}.w3"  # bump when stems() changes


def sentence_words(article: Article) -> list[set[str]]:
    """Each sentence's stems, in the sentence store's order (the same spans)."""
    return [set(stems(article.text[s.start:s.end])) for s in sentence_spans(article.text)]


class CorpusWords:
    """`df[stem]`: sentences holding the stem; `sentences`: all sentences of the corpus;
    `articles_df[stem]`: articles holding it, of `articles`; `forms[stem]`: its commonest
    written form ("companies" for "compani")."""

    def __init__(self, df: Counter, sentences: int, articles_df: Counter | None = None, articles: int = 0,
                 forms: dict[str, str] | None = None):
        self.df = df
        self.sentences = sentences
        self.articles_df = articles_df or Counter()
        self.articles = articles
        self.forms = forms or {}

    @classmethod
    def build(cls, articles: list[Article], folder: Path | None) -> "CorpusWords":
        state = _state(articles)
        if folder is not None:
            total = _read(Path(folder) / "total.json")
            if total and total.get("state") == state and "forms" in total:
                return cls(Counter(total["df"]), int(total["sentences"]), Counter(total["articles_df"]), int(total["articles"]), total["forms"])
        df: Counter = Counter()
        articles_df: Counter = Counter()
        written: dict[str, Counter] = {}
        n = 0
        for art in articles:
            counts, count, forms = _article_counts(art, folder)
            df.update(counts)
            articles_df.update(counts.keys())
            for st, (form, times) in forms.items():
                written.setdefault(st, Counter())[form] += times
            n += count
        forms = {st: c.most_common(1)[0][0] for st, c in written.items()}
        if folder is not None:
            _write(Path(folder) / "total.json", {"state": state, "sentences": n, "df": df, "articles_df": articles_df,
                                                 "articles": len(articles), "forms": forms})
        return cls(df, n, articles_df, len(articles), forms)

    def found(self, alternatives: frozenset[str]) -> int:
        """Sentences holding any of `alternatives` (a term and its synonyms), at most all of them:
        a sum, as synonyms seldom share a sentence."""
        return min(self.sentences, sum(self.df.get(a, 0) for a in alternatives))

    def subject(self, share: float) -> frozenset[str]:
        """Stems found in at least `share` of all sentences: what the whole corpus is about."""
        floor = share * self.sentences
        return frozenset(w for w, n in self.df.items() if n >= floor and n > 0)

    def everywhere(self, share: float) -> frozenset[str]:
        """Stems found in at least `share` of the articles (the event's own names)."""
        floor = share * self.articles
        return frozenset(w for w, n in self.articles_df.items() if n >= floor and n > 0)


def _state(articles: list[Article]) -> str:
    key = json.dumps([FORMAT, sorted(f"{a.id}:{a.sha256}" for a in articles)])
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def _article_counts(art: Article, folder: Path | None) -> tuple[Counter, int, dict[str, tuple[str, int]]]:
    """(sentences holding each stem, sentences, each stem's commonest written form and its count)."""
    path = Path(folder) / f"{art.id}.{art.sha256[:16]}.{FORMAT}.json" if folder is not None else None
    saved = _read(path) if path else None
    if saved and "forms" in saved:
        return Counter(saved["df"]), int(saved["sentences"]), {k: tuple(v) for k, v in saved["forms"].items()}
    words = sentence_words(art)
    counts = Counter(w for sentence in words for w in sentence)
    written: dict[str, Counter] = {}
    for form, st in written_stems(art.text):
        written.setdefault(st, Counter())[form] += 1
    forms = {st: c.most_common(1)[0] for st, c in written.items()}
    if path:
        for old in path.parent.glob(f"{art.id}.*.json"):  # older versions of this article
            old.unlink(missing_ok=True)
        _write(path, {"sentences": len(words), "df": counts, "forms": forms})
    return counts, len(words), forms


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and "df" in data and "sentences" in data else None
    except (OSError, ValueError):
        return None


def _write(path: Path, data: dict) -> None:
    save_json(path, data)  # a read-only or full disk: computed again next time
