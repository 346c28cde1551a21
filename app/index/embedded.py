"""The embedded index: a persistent ChromaDB store under <data dir>/index/chroma (the default).

Scope: this client alone owns the store, so its manifest decides what is indexed (an
article is unchanged when its hash and passage count match). A store left by another
version or embedding model, a damaged manifest, or a store chromadb cannot read is moved
aside (kept for inspection) and rebuilt; an interrupted run is noticed and finished; a
store deleted while the process runs, a full disk or a read-only folder is a StoreError
that says how to recover.
Opening an unchanged store does not touch Chroma: when the manifest matches the articles and
the vector snapshot (snapshot.py) matches both, queries are answered from the snapshot and
chromadb is not even imported. Any change, doubt or damage takes the full path.
Not here: what both stores share (store.py), the Chroma server (server.py).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from app.corpus.articles import Article
from app.corpus.chunks import Passage
from app.errors import StoreError, describe
from app.index.embed import Embedder
from app.index.snapshot import Snapshot, manifest_digest
from app.index.store import Index, Notify, SyncReport, chroma_settings, new_collection


class EmbeddedIndex(Index):
    def __init__(self, data_dir: Path, embedder: Embedder, *, notify: Notify | None = None):
        super().__init__(data_dir, embedder, notify=notify)
        self.snapshot_path = self.dir / "vectors.npz"
        self._snapshot: Snapshot | None = None  # set while the snapshot may answer queries

    def _connect(self):
        import chromadb

        return new_collection(chromadb.PersistentClient(path=str(self.store_dir), settings=chroma_settings()))

    def sync(self, articles: list[Article], *, progress: bool = False, force: bool = False) -> SyncReport:
        t0 = time.perf_counter()
        report = SyncReport()
        self._check_writable()
        if not force and self._use_snapshot(articles, self.read_manifest()):
            report.unchanged = [a.id for a in articles]
            report.seconds = time.perf_counter() - t0
            return report
        self._snapshot = None
        if self._collection is not None and self._store_gone():
            self._collection = None  # the files under our open client were deleted: start afresh
            _forget_clients()
        manifest = self._manifest_to_use(report, force)
        if self._collection is None:  # chromadb not opened yet in this process: embed while it imports
            self._embed_ahead(articles, manifest, force or bool(report.rebuilt), progress)
        try:
            col = self._open()
            stored = self._stored_ids(col)
        except StoreError:
            raise
        except Exception as exc:  # chromadb raises assorted errors for a damaged sqlite/hnsw store
            report.rebuilt = f"damaged store ({type(exc).__name__})"
            self._reset_store(f"The index store could not be read ({type(exc).__name__}: {exc}).")
            manifest = self.read_manifest()
            try:
                col = self._open()
            except Exception as exc2:
                raise self._write_error(exc2) from exc2
            stored = {}
        try:
            report = self._apply(col, articles, manifest, stored, report, t0, progress=progress)
        except StoreError:
            raise
        except Exception as exc:  # disk full, read-only, deleted under us: the manifest still says "incomplete"
            self._collection = None
            _forget_clients()
            raise self._write_error(exc) from exc
        self._save_snapshot(col)
        return report

    # -- the vector snapshot --------------------------------------------------------------
    def _use_snapshot(self, articles: list[Article], manifest: dict) -> bool:
        """True when nothing changed and the saved snapshot may answer queries (loads it)."""
        known = manifest.get("articles", {})
        unchanged = (
            manifest.get("format") == self.format and manifest.get("complete", False)
            and set(known) == {a.id for a in articles}
            and all((known[a.id] or {}).get("sha256") == a.sha256 for a in articles)
        )
        if not unchanged or self._store_gone():
            return False
        snap = self._snapshot
        digest = manifest_digest(self.format, known)
        if snap is None or snap.digest != digest:
            snap = Snapshot.load(self.snapshot_path, digest, self.store_dir / "chroma.sqlite3")
        if snap is None or not snap.matches_store():
            return False
        self._snapshot = snap
        return True

    def _save_snapshot(self, col) -> None:
        """After a sync: copy what the store now holds. Best effort (the store stays the truth)."""
        self._snapshot = None
        try:
            got = col.get(include=["embeddings", "metadatas"])
            ids = list(got.get("ids") or [])
            aids = [(m or {}).get("article_id", "") for m in got.get("metadatas") or []]
            digest = manifest_digest(self.format, self.read_manifest().get("articles", {}))
            vectors = got.get("embeddings") if ids else np.zeros((0, self.embedder.dim))
            snap = Snapshot.build(ids, aids, vectors, digest, self.store_dir / "chroma.sqlite3")
            snap.save(self.snapshot_path)
        except Exception:  # a failed copy only costs speed next time; never fail the sync for it
            self._drop_snapshot()
            return
        if snap.matches_store():
            self._snapshot = snap

    def _drop_snapshot(self) -> None:
        self._snapshot = None
        try:
            self.snapshot_path.unlink(missing_ok=True)
        except OSError:
            pass

    def query(self, vector, article_id: str, n: int) -> list[tuple[str, float]]:
        if not self._store_gone() and self._snapshot is not None and self._snapshot.matches_store():
            return self._snapshot.query(vector, article_id, n)
        self._snapshot = None  # the store changed under us: ask Chroma, which detects damage
        return super().query(vector, article_id, n)

    def query_all(self, vector, n: int) -> list[tuple[str, float]]:
        if not self._store_gone() and self._snapshot is not None and self._snapshot.matches_store():
            return self._snapshot.query_all(vector, n)
        self._snapshot = None
        return super().query_all(vector, n)

    def _manifest_to_use(self, report: SyncReport, force: bool) -> dict:
        """The manifest, after starting over when asked to or when it cannot be trusted."""
        manifest = self.read_manifest()
        why = ""
        if force:
            report.rebuilt, why = "requested", "A full rebuild was requested."
        elif manifest.get("format") != self.format:
            report.rebuilt = "format" if manifest.get("format") != "damaged" else "damaged manifest"
            why = "The index was built by another version or embedding model (or its manifest is damaged)."
        if why:
            self._reset_store(why)
            return self.read_manifest()
        if not manifest.get("complete", True):
            self.notify("The last indexing run did not finish (interrupted?); checking every article.")
        return manifest

    def _unchanged(self, art: Article, passages: list[Passage], entry: dict | None, stored: dict[str, set[str]]) -> bool:
        return bool(entry) and entry.get("sha256") == art.sha256 and len(stored.get(art.id, ())) == len(passages)

    def _reset_store(self, why: str) -> None:
        """Move a damaged store aside (kept for inspection) and start empty."""
        self._collection = None
        self._drop_snapshot()
        _forget_clients()  # Chroma caches one client per path; drop it before moving files
        if self.store_dir.exists():
            broken = self.dir / f"chroma.broken-{int(time.time())}"
            shutil.move(str(self.store_dir), str(broken))
            self.notify(f"{why} The old store was moved to {broken} and the index is being rebuilt.")
        self._write_manifest({}, complete=False)

    def _store_gone(self) -> bool:
        """Store deleted from disk (say, by hand) while this process holds it open."""
        return not (self.store_dir / "chroma.sqlite3").is_file()

    def _check_readable(self) -> None:
        if self._store_gone():
            self._collection = None
            _forget_clients()
            raise StoreError(f"The index in {self.dir} is gone (deleted while the app was running?). "
                             "Re-index: perspectives index, or the Re-index button in the web app's Corpus tab.")

    def _read_error(self, exc: Exception) -> StoreError:
        _forget_clients()
        return StoreError(f"The index in {self.dir} could not be read ({describe(exc)}). "
                          "Rebuild it: perspectives index --rebuild, or Re-index (rebuild) in the web app's Corpus tab.")

    def _write_error(self, exc: Exception) -> StoreError:
        return StoreError(f"Could not write the index in {self.dir} ({describe(exc)}). "
                          "Is the disk full or the folder read-only? Nothing else was changed; "
                          "free some space and run: perspectives index (it finishes the interrupted run).")


def _forget_clients() -> None:
    try:
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception:  # older/newer chromadb without this helper: nothing cached to drop
        pass
