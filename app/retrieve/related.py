"""Words of the corpus related to a question's term, by the embedding model: synonyms from data.

Scope: at index time, one MiniLM vector per word of the corpus's vocabulary (each stem's
commonest written form, from corpus_words.py, when it is in at least `min_sentences`
sentences), kept in `<data dir>/index/words/related.*` and computed only for forms not seen
before. At question time, a term's related words are the corpus words whose vectors lie
closest to the term's ("funding" ~ "funds", "money", "grants"; "company" ~ "firms",
"business"): no hand list of synonyms, and none that names a corpus's subject.
Not here: how related words count as evidence (terms.Term, evidence.py, app/rules.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from app.retrieve.corpus_words import CorpusWords

FORMAT = "vectors1"  # bump when the embedding of a word changes


class RelatedWords:
    """`near(form, stem, min_cosine, most)`: the stems of the corpus words closest to a term."""

    def __init__(self, stems: list[str], vectors: np.ndarray, embedder):
        self.stems = stems
        self.vectors = vectors
        self.embedder = embedder
        self._row = {s: i for i, s in enumerate(stems)}
        self._asked: dict[str, np.ndarray] = {}

    @classmethod
    def build(cls, words: CorpusWords, embedder, folder: Path | None, min_sentences: int = 2) -> "RelatedWords":
        """Vectors for the vocabulary, read from `folder` where they were computed before."""
        vocab = sorted(s for s, form in words.forms.items()
                       if words.df.get(s, 0) >= min_sentences and form.isalpha() and len(form) >= 3)
        forms = [words.forms[s] for s in vocab]
        known = _read(folder) if folder is not None else {}
        missing = [f for f in dict.fromkeys(forms) if f not in known]
        if missing:
            known.update(zip(missing, embedder.embed(missing)))
            if folder is not None:
                _write(folder, known)
        dim = getattr(embedder, "dim", 384)
        vectors = np.stack([known[f] for f in forms]).astype(np.float32) if forms else np.zeros((0, dim), np.float32)
        return cls(vocab, vectors, embedder)

    def near(self, form: str, stem: str, min_cosine: float, most: int) -> list[str]:
        """Up to `most` stems of corpus words whose vectors have at least `min_cosine` with the
        term's (the term itself left out), closest first."""
        if most <= 0 or not len(self.stems):
            return []
        sims = self.vectors @ self._vector(form, stem)
        order = np.argsort(-sims)[: most + 1]
        return [self.stems[i] for i in order if sims[i] >= min_cosine and self.stems[i] != stem][:most]

    def prepare(self, words: list[tuple[str, str]]) -> None:
        """Embed, in one call, the (form, stem) words the corpus has no vector for."""
        missing = [f for f, s in words if s not in self._row and f not in self._asked]
        if missing:
            self._asked.update(zip(missing, self.embedder.embed(missing)))

    def _vector(self, form: str, stem: str) -> np.ndarray:
        if stem in self._row:
            return self.vectors[self._row[stem]]
        if form not in self._asked:  # a word the corpus does not use: embedded once per process
            self._asked[form] = self.embedder.embed([form])[0]
        return self._asked[form]


def _paths(folder: Path) -> tuple[Path, Path]:
    return Path(folder) / f"related.{FORMAT}.json", Path(folder) / f"related.{FORMAT}.npy"


def _read(folder: Path) -> dict[str, np.ndarray]:
    names, matrix = _paths(folder)
    try:
        forms = json.loads(names.read_text(encoding="utf-8"))
        vectors = np.load(matrix, allow_pickle=False)
        if isinstance(forms, list) and len(forms) == len(vectors):
            return dict(zip(forms, vectors))
    except (OSError, ValueError):
        pass
    return {}


def _write(folder: Path, known: dict[str, np.ndarray]) -> None:
    names, matrix = _paths(folder)
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        forms = list(known)
        tmp = matrix.with_name(f"{matrix.stem}.tmp{os.getpid()}.npy")
        np.save(tmp, np.stack([known[f] for f in forms]).astype(np.float32), allow_pickle=False)
        os.replace(tmp, matrix)
        tmp_names = names.with_name(f"{names.name}.tmp{os.getpid()}")
        tmp_names.write_text(json.dumps(forms), encoding="utf-8")
        os.replace(tmp_names, names)
    except OSError:
        pass  # a read-only or full disk: computed again next time
