"""Cleaned articles and their passages, kept between runs, by content hash.

Scope: cleaning (ftfy, the front matter, junk lines) and chunking are most of what a process
spends before it can answer over a large collection (1,000 articles: about 5 s of the 6 s on
an idle 2-core machine). They depend only on a file's bytes, the cleaner's and the chunker's
versions, so the results are kept in one JSON file under the data directory and reused
for every file whose bytes hash the same (a passage is stored as its offsets: its text is
the article's text between them). A cache that cannot be read is ignored and rewritten:
it never decides what an article says.
Not here: reading and cleaning (articles.py), chunking (chunks.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from app.cachefile import save_json
from app.corpus.articles import CLEANER_VERSION, Article, Source
from app.corpus.chunks import CHUNKER_VERSION, Passage, chunk_article

FORMAT = f"articles{CLEANER_VERSION}.chunks{CHUNKER_VERSION}.v1"


class CorpusCache:
    """`known`: cleaned articles by content hash; `passages(article)`: its passages, cached."""

    def __init__(self, file: Path | None):
        self.file = Path(file) if file else None
        self._articles: dict[str, Article] = {}
        self._passages: dict[str, list[Passage]] = {}
        self._changed = False
        self._read()

    @property
    def known(self) -> dict[str, Article]:
        return self._articles

    def passages(self, article: Article) -> list[Passage]:
        found = self._passages.get(article.sha256)
        if found is None or (found and found[0].article_id != article.id):
            found = self._passages[article.sha256] = chunk_article(article)
            self._changed = True
        return found

    def keep(self, articles: list[Article]) -> None:
        """Remember exactly these articles (and forget removed ones), writing only on a change."""
        wanted = {a.sha256: a for a in articles}
        if wanted.keys() != self._articles.keys() or self._changed:
            self._articles = wanted
            self._passages = {k: v for k, v in self._passages.items() if k in wanted}
            self._write()
        self._changed = False

    def _read(self) -> None:
        if self.file is None or not self.file.is_file():
            return
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                return
            for row in data["articles"]:
                art = Article(**{**row, "source": Source(**row["source"])})
                self._articles[art.sha256] = art
                self._passages[art.sha256] = [Passage(pid, art.id, pos, a, b, art.text[a:b]) for pid, pos, a, b in data["passages"][art.sha256]]
        except (OSError, ValueError, KeyError, TypeError):  # damaged or from another version: start empty
            self._articles, self._passages = {}, {}

    def _write(self) -> None:
        if self.file is None:
            return
        data = {"format": FORMAT, "articles": [asdict(a) for a in self._articles.values()],
                "passages": {k: [(p.id, p.position, p.start, p.end) for p in v] for k, v in self._passages.items()}}
        save_json(self.file, data, ensure_ascii=False)  # read-only or full: cleaned again next time
