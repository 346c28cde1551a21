"""A read-only copy of the embedded store's vectors, so an unchanged index opens without Chroma.

Scope: after every sync of the embedded store, `Index` saves the passage ids, article ids and
vectors it holds into one `.npz` file next to the manifest; a later process whose articles
and manifest have not changed loads that file (a few ms) and answers per-article dense
queries from it with exact cosine similarity (vectors are unit length, so a dot product),
instead of importing chromadb and opening its client (about 0.5 s and 70 MB per process,
see models.md "Speed and memory"). Chroma stays the store every write goes to.

Trust: the copy is used only while (a) it was written for exactly the manifest's articles
(a digest of the manifest is stored in it) and (b) Chroma's SQLite file, read with the
standard `sqlite3` module in read-only mode, holds exactly the copy's passage ids. Anything
else (a damaged, replaced or changed store, a newer chromadb schema) sends the caller back
to Chroma itself, which then detects and repairs what is wrong as before: the copy can be
missing or stale, never silently used.
Not here: writing to Chroma, deciding what to re-embed (store.py), server mode (a Chroma
server is shared by several clients, so it is always asked directly).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np


def manifest_digest(fmt: str, articles: dict) -> str:
    """What a snapshot is valid for: the index format and every article's content hash."""
    key = json.dumps([fmt, sorted((aid, (e or {}).get("sha256"), (e or {}).get("passages")) for aid, e in articles.items())])
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def _stamp(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def stored_ids(sqlite_path: Path) -> set[str] | None:
    """The passage ids in Chroma's SQLite file, read-only; None if it cannot be read as one."""
    if not sqlite_path.is_file():
        return None
    try:
        con = sqlite3.connect(f"{sqlite_path.resolve().as_uri()}?mode=ro", uri=True, timeout=2.0)
        try:
            return {row[0] for row in con.execute("SELECT embedding_id FROM embeddings")}
        finally:
            con.close()
    except sqlite3.Error:  # not a database, damaged, locked, or a chromadb with another schema
        return None


@dataclass
class Snapshot:
    ids: np.ndarray  # passage ids (str), one per row of `vectors`
    vectors: np.ndarray  # float32, unit length
    rows: dict[str, np.ndarray]  # article id -> row numbers
    digest: str
    sqlite_path: Path
    stamp: tuple | None = None  # the SQLite file's (inode, size, mtime) when last found to match

    @classmethod
    def build(cls, ids: list[str], article_ids: list[str], vectors, digest: str, sqlite_path: Path) -> "Snapshot":
        rows: dict[str, list[int]] = {}
        for i, aid in enumerate(article_ids):
            rows.setdefault(aid, []).append(i)
        vecs = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1)
        return cls(np.asarray(ids, dtype=str), vecs, {a: np.asarray(r) for a, r in rows.items()}, digest, sqlite_path)

    def save(self, path: Path) -> None:
        """Write atomically (a temporary name, then rename): a reader sees the old file or the new one."""
        article_ids = np.empty(len(self.ids), dtype=object)
        for aid, rows in self.rows.items():
            article_ids[rows] = aid
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        with tmp.open("wb") as fh:
            np.savez(fh, ids=self.ids, article_ids=article_ids.astype(str), vectors=self.vectors, digest=np.asarray(self.digest))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, digest: str, sqlite_path: Path) -> "Snapshot | None":
        """The saved snapshot if it was written for `digest`, else None (missing or unreadable too)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["digest"]) != digest:
                    return None
                return cls.build(list(data["ids"]), list(data["article_ids"]), data["vectors"], digest, sqlite_path)
        except (OSError, ValueError, KeyError, EOFError):
            return None

    def matches_store(self) -> bool:
        """Does Chroma's file hold exactly these passages? Re-read only when the file changed."""
        stamp = _stamp(self.sqlite_path)
        if stamp is not None and stamp == self.stamp:
            return True
        ok = stored_ids(self.sqlite_path) == set(self.ids.tolist())
        self.stamp = stamp if ok else None
        return ok

    def query(self, vector: np.ndarray, article_id: str, n: int) -> list[tuple[str, float]]:
        """The `n` rows of one article nearest to `vector`: (passage id, cosine similarity), best first."""
        rows = self.rows.get(article_id)
        if rows is None or n <= 0:
            return []
        sims = self.vectors[rows] @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-sims, kind="stable")[:n]
        return [(str(self.ids[rows[i]]), float(sims[i])) for i in order]

    def query_all(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """The `n` rows of the whole corpus nearest to `vector`, best first (exact: one product)."""
        if n <= 0 or not len(self.ids):
            return []
        sims = self.vectors @ np.asarray(vector, dtype=np.float32)
        top = np.argpartition(-sims, min(n, len(sims)) - 1)[:n]
        order = top[np.argsort(-sims[top], kind="stable")]
        return [(str(self.ids[i]), float(sims[i])) for i in order]
