"""The passage index: an embedded, persistent ChromaDB collection plus a manifest.

Scope: keeping the store in step with the corpus by content hash (only new or changed
articles are embedded; removed ones are deleted), detecting an interrupted or damaged
store and rebuilding it, and dense per-article queries (`where` on the article id).
Not here: lexical ranking and fusion (retrieve.py); chunking (chunks.py).

Invariant: for every article in the manifest, the collection holds exactly the passages
`chunk_article(article)` produces, with ids that encode the article's content hash.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .chunks import CHUNKER_VERSION, Passage, chunk_article
from .corpus import CLEANER_VERSION, Article
from .embed import MODEL_ID, Embedder
from .errors import StoreError

COLLECTION = "passages"
FORMAT = f"1/{CLEANER_VERSION}/{CHUNKER_VERSION}/{MODEL_ID}"

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


def _client(path: Path, url: str | None = None):
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=True)
    if url:
        from urllib.parse import urlparse

        u = urlparse(url)
        return chromadb.HttpClient(host=u.hostname or "127.0.0.1", port=u.port or 8000, ssl=u.scheme == "https", settings=settings)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def _forget_clients() -> None:
    try:
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception:  # older/newer chromadb without this helper: nothing cached to drop
        pass


class Index:
    """One corpus' passages in Chroma. Build with `Index(data_dir, embedder)`, then `sync()`."""

    def __init__(self, data_dir: Path, embedder: Embedder, *, chroma_url: str | None = None, notify: Notify | None = None):
        self.dir = Path(data_dir) / "index"
        self.store_dir = self.dir / "chroma"
        self.manifest_path = self.dir / "manifest.json"
        self.embedder = embedder
        self.chroma_url = chroma_url
        self.notify = notify or (lambda msg: None)
        self._collection = None

    # -- store handling ---------------------------------------------------------------
    def _open(self):
        if self._collection is None:
            try:
                self.dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"Cannot create the data directory {self.dir}: {exc.strerror}. Pass --data-dir to a writable folder.") from exc
            client = _client(self.store_dir, self.chroma_url)
            self._collection = client.get_or_create_collection(COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
        return self._collection

    def _reset_store(self, why: str) -> None:
        """Move a damaged store aside (kept for inspection) and start empty."""
        self._collection = None
        if self.chroma_url:
            client = _client(self.store_dir, self.chroma_url)
            try:
                client.delete_collection(COLLECTION)
            except Exception:
                pass
        else:
            _forget_clients()  # Chroma caches one client per path; drop it before moving files
        if not self.chroma_url and self.store_dir.exists():
            broken = self.dir / f"chroma.broken-{int(time.time())}"
            shutil.move(str(self.store_dir), str(broken))
            self.notify(f"{why} The old store was moved to {broken} and the index is being rebuilt.")
        self._write_manifest({}, complete=False)

    def read_manifest(self) -> dict:
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"format": FORMAT, "complete": True, "articles": {}}
        except (OSError, ValueError):
            return {"format": "damaged", "complete": False, "articles": {}}
        return data if isinstance(data, dict) and isinstance(data.get("articles"), dict) else {"format": "damaged", "complete": False, "articles": {}}

    def _write_manifest(self, articles: dict, *, complete: bool) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.manifest_path.with_suffix(".tmp")
        payload = {"format": FORMAT, "complete": complete, "updated": time.strftime("%Y-%m-%dT%H:%M:%S"), "articles": articles}
        try:
            with tmp.open("w", encoding="utf-8") as fh:
                json.dump(payload, fh, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.manifest_path)
        except OSError as exc:
            raise StoreError(f"Cannot write the index manifest {self.manifest_path}: {exc.strerror}. Is the data directory writable and not full?") from exc

    # -- sync -------------------------------------------------------------------------
    def sync(self, articles: list[Article], *, progress: bool = False, force: bool = False) -> SyncReport:
        """Make the store match `articles`; embed only what is new or changed."""
        t0 = time.perf_counter()
        report = SyncReport()
        manifest = self.read_manifest()
        if force:
            report.rebuilt = "requested"
            self._reset_store("A full rebuild was requested.")
            manifest = self.read_manifest()
        elif manifest.get("format") != FORMAT:
            report.rebuilt = "format" if manifest.get("format") != "damaged" else "damaged manifest"
            self._reset_store("The index was built by another version (or its manifest is damaged).")
            manifest = self.read_manifest()
        elif not manifest.get("complete", True):
            self.notify("The last indexing run did not finish (interrupted?); checking every article.")
        try:
            col = self._open()
            counts = self._stored_counts(col)
        except StoreError:
            raise
        except Exception as exc:  # chromadb raises assorted errors for a damaged sqlite/hnsw store
            report.rebuilt = f"damaged store ({type(exc).__name__})"
            self._reset_store(f"The index store could not be read ({type(exc).__name__}: {exc}).")
            manifest = self.read_manifest()
            col = self._open()
            counts = {}
        known: dict = dict(manifest.get("articles", {}))
        wanted = {a.id: a for a in articles}
        todo: list[tuple[Article, list[Passage]]] = []
        for art in articles:
            passages = chunk_article(art)
            entry = known.get(art.id)
            if entry and entry.get("sha256") == art.sha256 and counts.get(art.id) == len(passages):
                report.unchanged.append(art.id)
            else:
                (report.updated if entry else report.added).append(art.id)
                todo.append((art, passages))
        stale = [aid for aid in set(known) | set(counts) if aid not in wanted]
        if todo or stale:
            self._write_manifest(known, complete=False)  # marks the run in progress
        for aid in stale:
            col.delete(where={"article_id": aid})
            known.pop(aid, None)
            report.removed.append(aid)
        bar = None
        total = sum(len(p) for _, p in todo)
        if progress and total:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="passage", desc="Indexing", leave=False)
        try:
            for art, passages in todo:
                col.delete(where={"article_id": art.id})
                vectors = self.embedder.embed([p.text for p in passages])
                col.add(
                    ids=[p.id for p in passages],
                    embeddings=vectors,
                    documents=[p.text for p in passages],
                    metadatas=[{"article_id": p.article_id, "position": p.position, "start": p.start, "end": p.end} for p in passages],
                )
                report.passages_embedded += len(passages)
                known[art.id] = {"sha256": art.sha256, "passages": len(passages), "title": art.title}
                self._write_manifest(known, complete=False)
                if bar:
                    bar.update(len(passages))
        finally:
            if bar:
                bar.close()
        if todo or stale or not manifest.get("complete", True) or report.rebuilt:
            self._write_manifest(known, complete=True)
        report.seconds = time.perf_counter() - t0
        return report

    def _stored_counts(self, col) -> dict[str, int]:
        got = col.get(include=["metadatas"])
        counts: dict[str, int] = {}
        for meta in got.get("metadatas") or []:
            aid = (meta or {}).get("article_id")
            if aid is not None:
                counts[aid] = counts.get(aid, 0) + 1
        return counts

    # -- queries ----------------------------------------------------------------------
    def query(self, vector: np.ndarray, article_id: str, n: int) -> list[tuple[str, float]]:
        """The `n` passages of one article nearest to `vector`, as (passage id, cosine similarity)."""
        try:
            col = self._open()
            res = col.query(query_embeddings=vector[None, :], n_results=n, where={"article_id": article_id}, include=["distances"])
        except Exception as exc:
            self._collection = None
            raise StoreError(f"The index could not be queried ({type(exc).__name__}: {exc}). Rebuild it with: perspectives index --rebuild") from exc
        ids = res["ids"][0] if res.get("ids") else []
        dists = res["distances"][0] if res.get("distances") else []
        return [(pid, 1.0 - float(d)) for pid, d in zip(ids, dists)]

    def status(self) -> dict:
        """What the corpus tab and `perspectives index --status` show."""
        m = self.read_manifest()
        return {"path": str(self.dir), "complete": bool(m.get("complete")), "format_ok": m.get("format") == FORMAT, "articles": m.get("articles", {}), "updated": m.get("updated")}
