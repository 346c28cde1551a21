"""The embedded index: a persistent ChromaDB store under <data dir>/index/chroma (the default).

Scope: this client alone owns the store, so its manifest decides what is indexed (an
article is unchanged when its hash and passage count match). A store left by another
version or embedding model, a damaged manifest, or a store chromadb cannot read is moved
aside (kept for inspection) and rebuilt; an interrupted run is noticed and finished; a
store deleted while the process runs, a full disk or a read-only folder is a StoreError
that says how to recover.
Not here: what both stores share (store.py), the Chroma server (server.py).
"""

from __future__ import annotations

import shutil
import time

from app.corpus.articles import Article
from app.corpus.chunks import Passage
from app.errors import StoreError, describe
from app.index.store import Index, SyncReport, chroma_settings, new_collection


class EmbeddedIndex(Index):
    def _connect(self):
        import chromadb

        return new_collection(chromadb.PersistentClient(path=str(self.store_dir), settings=chroma_settings()))

    def sync(self, articles: list[Article], *, progress: bool = False, force: bool = False) -> SyncReport:
        t0 = time.perf_counter()
        report = SyncReport()
        self._check_writable()
        if self._collection is not None and self._store_gone():
            self._collection = None  # the files under our open client were deleted: start afresh
            _forget_clients()
        manifest = self._manifest_to_use(report, force)
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
            return self._apply(col, articles, manifest, stored, report, t0, progress=progress)
        except StoreError:
            raise
        except Exception as exc:  # disk full, read-only, deleted under us: the manifest still says "incomplete"
            self._collection = None
            _forget_clients()
            raise self._write_error(exc) from exc

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
