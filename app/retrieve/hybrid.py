"""Hybrid retrieval: dense (Chroma) and lexical (BM25) ranks fused by RRF, in two steps.

Scope: first the candidate articles of a question, found over the whole corpus at once
(its nearest passages and its best BM25 passages: one ANN query and one sparse product, so
the cost grows with the number of candidates, not with the corpus); then the top passages of
*each* candidate separately, so a terse article is never crowded out by a verbose one.
Not here: sentences and whether an article addresses the question (evidence.py), prompting
or generation.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from app.corpus.chunks import Passage
from app.corpus.articles import Article
from app.index.embed import Embedder
from app.index.store import Index

RRF_K = 60
CANDIDATE_DEPTH = 4  # passages looked at per candidate article wanted, in each ranking


@dataclass
class Hit:
    passage: Passage
    score: float  # cosine similarity of passage and question (0..1, higher is closer)
    lexical: float  # BM25 score
    fused: float  # reciprocal-rank fusion of the two ranks (what the order follows)


@dataclass
class ArticleHits:
    article: Article
    hits: list[Hit]

    @property
    def best(self) -> float:
        return max((h.score for h in self.hits), default=0.0)


def _tokenize(texts: list[str]):
    return bm25s.tokenize(texts, stopwords="en", show_progress=False, return_ids=False)


def _bm25(passages: list[Passage], cache_dir: Path | None) -> bm25s.BM25:
    """The BM25 index of these passages, saved under `cache_dir` by a digest of their ids (which
    carry their articles' content hashes) and loaded from there when the corpus is unchanged:
    building it is O(corpus) for every process (seconds at 1,000 articles)."""
    key = hashlib.sha256("\n".join(p.id for p in passages).encode()).hexdigest()[:20]
    folder = Path(cache_dir) / f"bm25-{key}" if cache_dir else None
    if folder is not None and (folder / "params.index.json").is_file():
        try:
            return bm25s.BM25.load(str(folder), show_progress=False)
        except Exception:  # damaged or from another bm25s: built again below
            pass
    bm25 = bm25s.BM25()
    bm25.index(_tokenize([p.text for p in passages]), show_progress=False)
    if folder is not None:
        try:
            for old in folder.parent.glob("bm25-*"):
                shutil.rmtree(old, ignore_errors=True)
            tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
            bm25.save(str(tmp), show_progress=False)
            os.replace(tmp, folder)
        except OSError:
            pass  # a read-only data dir: built again next time
    return bm25


class Retriever:
    """Holds the BM25 index and the passage table; dense search goes through `Index`."""

    def __init__(self, articles: list[Article], passages: list[Passage], index: Index, embedder: Embedder, cache_dir: Path | None = None):
        self.articles = articles
        self.passages = {p.id: p for p in passages}
        self.by_article: dict[str, list[Passage]] = {}
        for p in passages:
            self.by_article.setdefault(p.article_id, []).append(p)
        self.index = index
        self.embedder = embedder
        self._order = [p.id for p in passages]
        self._bm25 = _bm25(passages, cache_dir)

    def lexical_scores(self, question: str) -> dict[str, float]:
        tokens = _tokenize([question])[0]
        if not tokens:
            return {pid: 0.0 for pid in self._order}
        scores = self._bm25.get_scores(tokens)
        return dict(zip(self._order, map(float, scores)))

    def candidates(self, question: str, qvec: np.ndarray, limit: int, *, lexical: dict[str, float] | None = None) -> list[str]:
        """The ids of the articles most likely to discuss the question, best first (the first
        `limit` are read; the others had a passage near the top too): each article scored by the
        best rank of its passages among the corpus's nearest passages and among its best BM25
        passages, the two fused by reciprocal rank. Every article, when there are no more than
        `limit`."""
        if len(self.articles) <= limit:
            return [a.id for a in self.articles]
        n = limit * CANDIDATE_DEPTH
        dense = [pid for pid, _ in self.index.query_all(qvec, n)]
        lexical = self.lexical_scores(question) if lexical is None else lexical
        best_lexical = sorted((pid for pid, v in lexical.items() if v > 0), key=lambda pid: -lexical[pid])[:n]
        fused: dict[str, float] = {}
        for ranking in (dense, best_lexical):
            seen: set[str] = set()
            for rank, pid in enumerate(ranking):
                passage = self.passages.get(pid)
                if passage is None or passage.article_id in seen:
                    continue  # an article counts with its best passage only, once per ranking
                seen.add(passage.article_id)
                fused[passage.article_id] = fused.get(passage.article_id, 0.0) + 1.0 / (RRF_K + rank)
        return sorted(fused, key=lambda aid: -fused[aid])[: limit * CANDIDATE_DEPTH]

    def retrieve(self, question: str, k: int = 3, *, qvec: np.ndarray | None = None, only: list[str] | None = None,
                 lexical: dict[str, float] | None = None) -> list[ArticleHits]:
        """Top-`k` passages for every article (or those in `only`), in corpus order."""
        qvec = self.embedder.embed([question])[0] if qvec is None else qvec
        lexical = self.lexical_scores(question) if lexical is None else lexical
        wanted = set(only) if only is not None else None
        results = []
        for art in self.articles:
            if wanted is not None and art.id not in wanted:
                continue
            own = self.by_article.get(art.id, [])
            if not own:
                results.append(ArticleHits(art, []))
                continue
            dense = self.index.query(qvec, art.id, min(len(own), max(k * 3, 8)))
            dense_rank = {pid: r for r, (pid, _) in enumerate(dense)}
            sims = dict(dense)
            lex_order = sorted((p.id for p in own), key=lambda pid: -lexical.get(pid, 0.0))
            lex_rank = {pid: r for r, pid in enumerate(lex_order) if lexical.get(pid, 0.0) > 0}
            fused = {}
            for p in own:
                f = 0.0
                if p.id in dense_rank:
                    f += 1.0 / (RRF_K + dense_rank[p.id])
                if p.id in lex_rank:
                    f += 1.0 / (RRF_K + lex_rank[p.id])
                fused[p.id] = f
            top = sorted(own, key=lambda p: -fused[p.id])[:k]
            hits = [Hit(p, sims.get(p.id, 0.0), lexical.get(p.id, 0.0), fused[p.id]) for p in top]
            results.append(ArticleHits(art, hits))
        return results
