"""The passage index: a ChromaDB collection plus a manifest, kept in step with the corpus.

Scope: what both stores share: the manifest (this client's record of what is indexed),
bringing a collection in step with the articles by content hash (only new or changed
articles are embedded; removed ones are deleted), and dense per-article queries (`where`
on the article id). `open_index()` picks the store: the embedded, persistent one
(embedded.py, the default) or a Chroma server (server.py, `chroma_url`). Each keeps its own
rules for opening, deciding what is indexed, recovering and reporting errors.
Not here: lexical ranking and fusion (app/retrieve); chunking (app/corpus/chunks.py).

Invariant: for every article in the manifest, the collection holds exactly the passages
`chunk_article(article)` produces, with ids that encode the article's content hash.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from app.corpus.articles import CLEANER_VERSION, Article
from app.corpus.chunks import CHUNKER_VERSION, Passage, Span, chunk_article
from app.errors import StoreError
from app.index.embed import MODEL_ID, Embedder
from app.index.sentences import SentenceStore, passage_vectors

COLLECTION = "passages"
UPSERT_PASSAGES = 256  # passages per Chroma write while indexing
# 2: passage vectors are made from sentence vectors. With the bundled embedding model; see Index.format.
FORMAT = f"2/{CLEANER_VERSION}/{CHUNKER_VERSION}/{MODEL_ID}"
# The embedded store opens more SQLite handles as more threads query it, and the web app's
# handlers run on a pool of up to 40 threads that grows with load: queries go through one
# thread. A 3-minute soak then kept its idle open files flat (twice; 36 -> 40 before), but a
# 15-minute soak still went from 5 to 10 chroma.sqlite3 handles: see the report of issue 16.
_QUERY_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="perspectives-query")

Notify = Callable[[str], None]


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    passages_embedded: int = 0
    rebuilt: str = ""  # why the whole store was rebuilt, if it was
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.updated)} updated", f"{len(self.removed)} removed", f"{len(self.unchanged)} unchanged"]
        return f"Index: {', '.join(parts)}; {self.passages_embedded} passages embedded in {self.seconds:.1f} s."


def open_index(data_dir: Path, embedder: Embedder, *, chroma_url: str | None = None, notify: Notify | None = None) -> "Index":
    """The index under `data_dir`: in a Chroma server when `chroma_url` is given, else embedded."""
    if chroma_url:
        from app.index.server import ServerIndex

        return ServerIndex(data_dir, embedder, chroma_url, notify=notify)
    from app.index.embedded import EmbeddedIndex

    return EmbeddedIndex(data_dir, embedder, notify=notify)


class Index:
    """One corpus' passages in Chroma. Get one with `open_index(...)`, then `sync()` and `query()`.

    Subclasses say how to connect (`_connect`), bring the store in step (`sync`), start over
    (`_reset_store`), decide whether an article is already indexed (`_unchanged`) and word a
    failed read (`_read_error`).
    """

    chroma_url: str | None = None

    def __init__(self, data_dir: Path, embedder: Embedder, *, notify: Notify | None = None):
        self.dir = Path(data_dir) / "index"
        self.store_dir = self.dir / "chroma"
        self.manifest_path = self.dir / "manifest.json"
        self.embedder = embedder
        self.notify = notify or (lambda msg: None)
        self._collection = None
        self.sentences = SentenceStore(self.dir / "sentences", embedder)  # passage vectors are made from these
        self.format = FORMAT.replace(MODEL_ID, embedder.model_id)  # another embedding model = another index

    # -- what each store does its own way -------------------------------------------------
    def sync(self, articles: list[Article], *, progress: bool = False, force: bool = False) -> SyncReport:
        """Make the store match `articles`; embed only what is new or changed."""
        raise NotImplementedError

    def _connect(self):
        raise NotImplementedError

    def _reset_store(self, why: str) -> None:
        raise NotImplementedError

    def _unchanged(self, art: Article, passages: list[Passage], entry: dict | None, stored: dict[str, set[str]]) -> bool:
        raise NotImplementedError

    def _read_error(self, exc: Exception) -> StoreError:
        raise NotImplementedError

    def _check_readable(self) -> None:
        """Before a query: raise StoreError if the store is known to be gone."""

    # -- shared -----------------------------------------------------------------------------
    def _open(self):
        if self._collection is None:
            self._check_writable()
            self._collection = self._connect()
        return self._collection

    def _check_writable(self) -> None:
        """A clear error, up front, for a data directory that cannot hold the index (or its manifest)."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            probe = self.dir / f".write-test-{os.getpid()}"
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            raise StoreError(f"The data directory {self.dir.parent} is not usable: {exc.strerror or exc}. "
                             "Pass --data-dir (or set PERSPECTIVES_DATA_DIR) to a writable folder with free space.") from exc

    def read_manifest(self) -> dict:
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"format": self.format, "complete": True, "articles": {}}
        except (OSError, ValueError):
            return {"format": "damaged", "complete": False, "articles": {}}
        return data if isinstance(data, dict) and isinstance(data.get("articles"), dict) else {"format": "damaged", "complete": False, "articles": {}}

    def _write_manifest(self, articles: dict, *, complete: bool) -> None:
        tmp = self.manifest_path.with_suffix(".tmp")
        payload = {"format": self.format, "complete": complete, "updated": time.strftime("%Y-%m-%dT%H:%M:%S"), "articles": articles}
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            with tmp.open("w", encoding="utf-8") as fh:
                json.dump(payload, fh, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.manifest_path)
        except OSError as exc:
            raise StoreError(f"Cannot write the index manifest {self.manifest_path}: {exc.strerror}. Is the data directory writable and not full?") from exc

    def _embed_ahead(self, articles: list[Article], manifest: dict, force: bool, progress: bool = False) -> None:
        """Embed the sentences of new or changed articles while chromadb is imported on another
        thread: the import is Python work holding the interpreter, embedding is ONNX Runtime's
        native work, so on two cores they overlap (the import alone is ~1 s of a cold build)."""
        import importlib
        import threading

        known = manifest.get("articles", {})
        todo = [a for a in articles if force or (known.get(a.id) or {}).get("sha256") != a.sha256]
        if not todo:
            return
        importer = threading.Thread(target=importlib.import_module, args=("chromadb",), daemon=True)
        importer.start()
        self.sentences.ensure(todo, progress=progress)
        importer.join()

    def _vectors(self, art: Article, passages: list[Passage]) -> np.ndarray:
        """The passages' vectors, made from their sentences' (see `passage_vectors`); a passage
        that holds no whole sentence is embedded as it is."""
        found = self.sentences.load(art)
        vectors = passage_vectors(found, [Span(p.start, p.end) for p in passages])
        missing = [i for i, v in enumerate(vectors) if v is None]
        if missing:
            for i, v in zip(missing, self.embedder.embed([passages[i].text for i in missing])):
                vectors[i] = v
        return np.stack(vectors).astype(np.float32) if passages else np.zeros((0, self.embedder.dim), np.float32)

    def _apply(self, col, articles: list[Article], manifest: dict, stored: dict[str, set[str]], report: SyncReport, t0: float, *,
               progress: bool) -> SyncReport:
        """Embed what is new or changed, delete what is gone, keep the manifest in step."""
        known: dict = dict(manifest.get("articles", {}))
        wanted = {a.id for a in articles}
        todo: list[tuple[Article, list[Passage]]] = []
        for art in articles:
            passages = chunk_article(art)
            entry = known.get(art.id)
            if self._unchanged(art, passages, entry, stored):
                report.unchanged.append(art.id)
                known[art.id] = _entry(art, passages)
            else:
                (report.updated if entry or art.id in stored else report.added).append(art.id)
                todo.append((art, passages))
        stale = [aid for aid in set(known) | set(stored) if aid not in wanted]
        if todo or stale:
            self._write_manifest(known, complete=False)  # marks the run in progress
        for aid in stale:
            col.delete(where={"article_id": aid})
            known.pop(aid, None)
            report.removed.append(aid)
        self._embed(col, todo, known, report, progress, stored)
        if todo or stale or not manifest.get("complete", True) or report.rebuilt or known != manifest.get("articles"):
            self._write_manifest(known, complete=True)
        report.seconds = time.perf_counter() - t0
        return report

    def _embed(self, col, todo: list[tuple[Article, list[Passage]]], known: dict, report: SyncReport, progress: bool,
               stored: dict[str, set[str]]) -> None:
        """Store the passages of new and changed articles, a few hundred per Chroma call (one call
        per article cost ~50 ms each); the manifest records each group as it lands."""
        total = sum(len(p) for _, p in todo)
        bar = None
        if progress and total:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="passage", desc="Indexing", leave=False)
        try:
            for group in _groups(todo, UPSERT_PASSAGES):
                self._store(col, group, stored)
                for art, passages in group:
                    report.passages_embedded += len(passages)
                    known[art.id] = _entry(art, passages)
                self._write_manifest(known, complete=False)
                if bar:
                    bar.update(sum(len(p) for _, p in group))
        finally:
            if bar:
                bar.close()

    def _store(self, col, group: list[tuple[Article, list[Passage]]], stored: dict[str, set[str]]) -> None:
        for art, _ in group:
            if art.id in stored:  # a changed article: its old passages go first
                col.delete(where={"article_id": art.id})
        passages = [p for _, ps in group for p in ps]
        if not passages:
            return
        col.upsert(  # upsert: another client may be adding the same passages right now
            ids=[p.id for p in passages],
            embeddings=np.concatenate([self._vectors(art, ps) for art, ps in group]),
            documents=[p.text for p in passages],
            metadatas=[{"article_id": p.article_id, "position": p.position, "start": p.start, "end": p.end} for p in passages],
        )

    def _stored_counts(self, col) -> dict[str, int]:
        return {aid: len(ids) for aid, ids in self._stored_ids(col).items()}

    def _stored_ids(self, col) -> dict[str, set[str]]:
        got = col.get(include=["metadatas"])
        ids: dict[str, set[str]] = {}
        for pid, meta in zip(got.get("ids") or [], got.get("metadatas") or []):
            aid = (meta or {}).get("article_id")
            if aid is not None:
                ids.setdefault(aid, set()).add(pid)
        return ids

    def query(self, vector: np.ndarray, article_id: str, n: int) -> list[tuple[str, float]]:
        """The `n` passages of one article nearest to `vector`, as (passage id, cosine similarity)."""
        return self._query(vector, n, where={"article_id": article_id})

    def query_all(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """The `n` passages of the whole corpus nearest to `vector` (Chroma's ANN index): the
        candidate articles of a question come from these, whatever the corpus's size."""
        return self._query(vector, n, where=None)

    def _query(self, vector: np.ndarray, n: int, where: dict | None) -> list[tuple[str, float]]:
        self._check_readable()
        try:
            col = self._open()
            res = _QUERY_THREAD.submit(col.query, query_embeddings=vector[None, :], n_results=n, where=where,
                                       include=["distances"]).result()
        except StoreError:
            self._collection = None
            raise
        except Exception as exc:
            self._collection = None
            raise self._read_error(exc) from exc
        ids = res["ids"][0] if res.get("ids") else []
        dists = res["distances"][0] if res.get("distances") else []
        return [(pid, 1.0 - float(d)) for pid, d in zip(ids, dists)]

    def status(self) -> dict:
        """What the corpus tab and `perspectives index --status` show."""
        m = self.read_manifest()
        return {"path": str(self.dir), "complete": bool(m.get("complete")), "format_ok": m.get("format") == self.format, "articles": m.get("articles", {}), "updated": m.get("updated")}


def _groups(todo: list[tuple[Article, list[Passage]]], size: int) -> list[list[tuple[Article, list[Passage]]]]:
    """Consecutive articles with about `size` passages per group (an article is never split)."""
    groups: list[list[tuple[Article, list[Passage]]]] = [[]]
    count = 0
    for item in todo:
        if groups[-1] and count + len(item[1]) > size:
            groups.append([])
            count = 0
        groups[-1].append(item)
        count += len(item[1])
    return [g for g in groups if g]


def _entry(art: Article, passages: list[Passage]) -> dict:
    """An article's manifest entry."""
    return {"sha256": art.sha256, "passages": len(passages), "title": art.title}


def chroma_settings():
    """chromadb's client settings for both stores: no telemetry; reset allowed (rebuilds)."""
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=True)


def new_collection(client):
    return client.get_or_create_collection(COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
