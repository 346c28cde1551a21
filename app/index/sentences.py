"""Every sentence of every article with its embedding, computed once per article version.

Scope: sentence spans (offsets into the cleaned text) and their unit vectors, kept in memory
and in `<data dir>/index/sentences/` as one small .npz per article version (content hash,
chunker version and embedding model in the name), so a fresh process reads instead of
re-embedding. Evidence is ranked per sentence (app/retrieve/evidence.py), which is why
sentences get vectors of their own. A passage's vector is made from its sentences' vectors
(`passage_vectors`), so indexing runs the embedding model over the text once, not twice.
Not here: ranking, or the passage index (store.py). A file that cannot be read or written
is recomputed or skipped: the cache never decides an answer.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.corpus.articles import Article
from app.corpus.chunks import CHUNKER_VERSION, Span, sentence_spans
from app.index.embed import Embedder


@dataclass(frozen=True)
class ArticleSentences:
    spans: list[Span]
    vectors: np.ndarray  # one unit vector per span, shape (len(spans), dim)


SEEN_LIMIT = 50_000  # sentences remembered while indexing: ~75 MB of vectors


class SentenceStore:
    def __init__(self, folder: Path | None, embedder: Embedder):
        self.folder = Path(folder) if folder else None
        self.embedder = embedder
        self._memory: dict[str, ArticleSentences] = {}
        self._lock = threading.Lock()

    def _file(self, article: Article) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / f"{article.id}.{article.sha256[:16]}.c{CHUNKER_VERSION}.{self.embedder.model_id}.npz"

    def get(self, article: Article, *, keep: bool = True) -> ArticleSentences:
        key = f"{article.id}:{article.sha256}"
        with self._lock:
            found = self._memory.get(key)
            if found is None:
                found = self._read(article) or self._compute(article)
                if keep:
                    self._memory[key] = found
            return found

    def load(self, article: Article) -> ArticleSentences:
        """Like `get`, without keeping the result in memory (indexing reads every article once)."""
        return self.get(article, keep=False)

    def warm(self, articles: list[Article]) -> None:
        """Compute (or read) every article's sentences now and keep them in memory."""
        for art in articles:
            self.get(art)

    def ensure(self, articles: list[Article], *, progress: bool = False, batch: int = 32) -> int:
        """Write the sentence vectors of every article that has none on disk yet, embedding
        several articles' sentences per call (index time: a question never embeds the corpus).
        Only a file's existence is checked for the others, so an unchanged corpus costs a stat
        per article. A sentence met before in this call is not embedded again (wire copies and
        a site's boilerplate repeat sentences word for word). Returns how many articles were
        embedded."""
        missing = [a for a in articles if (f := self._file(a)) is not None and not f.is_file()]
        bar = None
        if progress and missing:
            from tqdm import tqdm

            bar = tqdm(total=len(missing), desc="Sentence vectors", unit="article", file=sys.stderr)
        seen: dict[str, np.ndarray] = {}
        for start in range(0, len(missing), batch):
            group = missing[start:start + batch]
            spans = [sentence_spans(a.text) for a in group]
            vectors = self._embed_new([a.text[s.start:s.end] for a, sp in zip(group, spans) for s in sp], seen)
            at = 0
            for art, sp in zip(group, spans):
                self._write(art, ArticleSentences(sp, vectors[at:at + len(sp)]))
                at += len(sp)
            if bar:
                bar.update(len(group))
        if bar:
            bar.close()
        return len(missing)

    def _embed_new(self, texts: list[str], seen: dict[str, np.ndarray]) -> np.ndarray:
        """One vector per text, running the model only on texts not in `seen` (which it extends;
        emptied past SEEN_LIMIT texts so memory stays bounded on any corpus)."""
        if len(seen) > SEEN_LIMIT:
            seen.clear()
        new = [t for t in dict.fromkeys(texts) if t not in seen]
        if new:
            seen.update(zip(new, self.embedder.embed(new)))
        return np.stack([seen[t] for t in texts]) if texts else np.zeros((0, self.embedder.dim), np.float32)

    def _read(self, article: Article) -> ArticleSentences | None:
        path = self._file(article)
        if path is None or not path.is_file():
            return None
        try:
            with np.load(path) as data:
                bounds, vectors = data["spans"], data["vectors"]
        except (OSError, ValueError, KeyError):
            return None  # a damaged cache file is recomputed below
        spans = [Span(int(a), int(b)) for a, b in bounds]
        if len(spans) != len(vectors) or any(b > len(article.text) for _, b in bounds):
            return None
        return ArticleSentences(spans, vectors.astype(np.float32))

    def _compute(self, article: Article) -> ArticleSentences:
        spans = sentence_spans(article.text)
        texts = [article.text[s.start:s.end] for s in spans]
        vectors = self.embedder.embed(texts) if texts else np.zeros((0, self.embedder.dim), np.float32)
        found = ArticleSentences(spans, vectors)
        self._write(article, found)
        return found

    def _write(self, article: Article, found: ArticleSentences) -> None:
        path = self._file(article)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for old in path.parent.glob(f"{article.id}.*.npz"):  # older versions of this article
                old.unlink(missing_ok=True)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, spans=np.array([(s.start, s.end) for s in found.spans], dtype=np.int64).reshape(-1, 2), vectors=found.vectors)
            tmp.replace(path)
        except OSError:
            pass  # read-only or full disk: keep it in memory only


def passage_vectors(found: ArticleSentences, spans: list[Span]) -> list[np.ndarray | None]:
    """Each span's vector as the mean of the unit vectors of the sentences inside it, made unit
    length; None for a span that holds no sentence. Against embedding each passage whole: one
    pass of the model instead of two at index time, the same fact and silence figures on the
    dev corpora; on the seeds, silent caught +0.02 and view cards quoting the article's answer
    sentence -0.06 (3 of 51; models.md). Weighting sentences by length measured no better."""
    if not found.spans:
        return [None] * len(spans)
    starts = np.array([s.start for s in found.spans])
    ends = np.array([s.end for s in found.spans])
    out: list[np.ndarray | None] = []
    for span in spans:
        inside = (starts < span.end) & (ends > span.start)
        if not inside.any():
            out.append(None)
            continue
        mean = found.vectors[inside].sum(axis=0)
        norm = float(np.linalg.norm(mean))
        out.append(mean / norm if norm > 0 else None)
    return out
