"""The passage index: an embedded, persistent ChromaDB collection plus a manifest.

Scope: keeping the store in step with the corpus by content hash (only new or changed
articles are embedded; removed ones are deleted), detecting an interrupted or damaged
store and rebuilding it, and dense per-article queries (`where` on the article id).
Not here: lexical ranking and fusion (retrieve.py); chunking (chunks.py).

Invariant: for every article in the manifest, the collection holds exactly the passages
`chunk_article(article)` produces, with ids that encode the article's content hash.

With a Chroma server (`chroma_url`) the server is the shared truth, so several clients can
use one collection: the index format lives in the collection's metadata, an article counts
as indexed when the server holds exactly its expected passage ids (ids encode the content
hash), and the local manifest is only this client's record (used by `status`). A server
that cannot be reached is a StoreError naming the URL - never a reason to rebuild. All
clients of one collection must index the same article folder: articles a client does not
have are removed from the collection.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from app.corpus.chunks import CHUNKER_VERSION, Passage, chunk_article
from app.corpus.articles import CLEANER_VERSION, Article
from app.index.embed import MODEL_ID, Embedder
from app.errors import StoreError, describe

COLLECTION = "passages"
FORMAT = f"1/{CLEANER_VERSION}/{CHUNKER_VERSION}/{MODEL_ID}"  # with the bundled embedding model; see Index.format
CHROMA_TIMEOUT = 60.0  # seconds per request to a Chroma server (chromadb's own client has none)
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


def _client(path: Path, url: str | None = None):
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=True)
    if url:
        return _http_client(url, settings)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def _http_client(url: str, settings):
    """A chromadb HttpClient, after a bounded heartbeat, with a request timeout set."""
    from urllib.parse import urlparse

    import chromadb
    import httpx

    u = urlparse(url)
    base = f"{u.scheme}://{u.hostname or '127.0.0.1'}:{u.port or 8000}"
    hint = "Start it with: chroma run --path DIR --host 127.0.0.1 --port PORT, or fix --chroma-url / PERSPECTIVES_CHROMA_URL."
    try:
        r = httpx.get(base + "/api/v2/heartbeat", timeout=httpx.Timeout(min(10.0, CHROMA_TIMEOUT), connect=5.0))
    except httpx.TimeoutException as exc:
        raise StoreError(f"The Chroma server at {url} did not answer within {min(10.0, CHROMA_TIMEOUT):g} s ({type(exc).__name__}). Is it overloaded or hung? {hint}") from exc
    except httpx.HTTPError as exc:
        raise StoreError(f"Cannot reach the Chroma server at {url} ({type(exc).__name__}). {hint}") from exc
    if r.status_code != 200:
        raise StoreError(f"{url} is not a working Chroma server (heartbeat answered HTTP {r.status_code}: {r.text[:200]!r}). {hint}")
    try:
        client = chromadb.HttpClient(host=u.hostname or "127.0.0.1", port=u.port or 8000, ssl=u.scheme == "https", settings=settings)
    except Exception as exc:  # chromadb raises ValueError / its own errors for an unusable server
        raise StoreError(f"Cannot use the Chroma server at {url}: {exc}. {hint}") from exc
    session = getattr(getattr(client, "_server", None), "_session", None)  # chromadb creates it with timeout=None
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(CHROMA_TIMEOUT, connect=5.0)
    return client


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
        self.format = FORMAT.replace(MODEL_ID, getattr(embedder, "model_id", MODEL_ID))  # another embedding model = another index

    # -- store handling ---------------------------------------------------------------
    def _open(self):
        if self._collection is None:
            self._check_writable()
            client = _client(self.store_dir, self.chroma_url)
            try:
                self._collection = client.get_or_create_collection(COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
            except Exception as exc:
                if not self.chroma_url:
                    raise
                raise _server_error(self.chroma_url, exc) from exc
        return self._collection

    def _check_writable(self) -> None:
        """A clear error, up front, for a data directory that cannot hold the index."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            probe = self.dir / f".write-test-{os.getpid()}"
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            raise StoreError(f"The data directory {self.dir.parent} is not usable: {exc.strerror or exc}. "
                             "Pass --data-dir (or set PERSPECTIVES_DATA_DIR) to a writable folder with free space.") from exc

    def _store_gone(self) -> bool:
        """Embedded store deleted from disk (say, by hand) while this process holds it open."""
        return not self.chroma_url and not (self.store_dir / "chroma.sqlite3").is_file()

    def _server_format_ok(self, col) -> bool:
        """Server mode: does the collection hold this version's passages? Tags an empty one."""
        fmt = (col.metadata or {}).get("format")
        if fmt == self.format:
            return True
        if fmt is None and col.count() == 0:
            col.modify(metadata={"format": self.format})
            return True
        return False

    def _reset_store(self, why: str) -> None:
        """Move a damaged store aside (kept for inspection) and start empty."""
        self._collection = None
        if self.chroma_url:
            client = _client(self.store_dir, self.chroma_url)
            try:
                client.delete_collection(COLLECTION)
            except Exception:
                pass
            self.notify(f"{why} The collection {COLLECTION!r} on {self.chroma_url} is being rebuilt.")
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

    # -- sync -------------------------------------------------------------------------
    def sync(self, articles: list[Article], *, progress: bool = False, force: bool = False) -> SyncReport:
        """Make the store match `articles`; embed only what is new or changed."""
        t0 = time.perf_counter()
        report = SyncReport()
        manifest = self.read_manifest()
        if self.chroma_url:
            return self._sync_server(articles, manifest, report, t0, progress=progress, force=force)
        self._check_writable()
        if self._collection is not None and self._store_gone():
            self._collection = None  # the files under our open client were deleted: start afresh
            _forget_clients()
        if force:
            report.rebuilt = "requested"
            self._reset_store("A full rebuild was requested.")
            manifest = self.read_manifest()
        elif manifest.get("format") != self.format:
            report.rebuilt = "format" if manifest.get("format") != "damaged" else "damaged manifest"
            self._reset_store("The index was built by another version or embedding model (or its manifest is damaged).")
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
            try:
                col = self._open()
            except Exception as exc2:
                raise self._write_error(exc2) from exc2
            counts = {}
        try:
            return self._apply(col, articles, manifest, counts, None, report, t0, progress=progress)
        except StoreError:
            raise
        except Exception as exc:  # disk full, read-only, deleted under us: the manifest still says "incomplete"
            self._collection = None
            _forget_clients()
            raise self._write_error(exc) from exc

    def _write_error(self, exc: Exception) -> StoreError:
        return StoreError(f"Could not write the index in {self.dir} ({describe(exc)}). "
                          "Is the disk full or the folder read-only? Nothing else was changed; "
                          "free some space and run: perspectives index (it finishes the interrupted run).")

    def _sync_server(self, articles, manifest, report, t0, *, progress, force) -> SyncReport:
        """Server mode: the collection (format tag, passage ids) decides what is indexed."""
        try:
            col = self._open()
            if force or not self._server_format_ok(col):
                report.rebuilt = "requested" if force else "format"
                self._reset_store("A full rebuild was requested." if force else "The server's collection was built by another version.")
                manifest = self.read_manifest()
                col = self._open()
                self._server_format_ok(col)
            ids = self._stored_ids(col)
        except StoreError:
            raise
        except Exception as exc:
            self._collection = None
            raise _server_error(self.chroma_url, exc) from exc
        counts = {aid: len(v) for aid, v in ids.items()}
        try:
            return self._apply(col, articles, manifest, counts, ids, report, t0, progress=progress)
        except StoreError:
            raise
        except Exception as exc:
            self._collection = None
            raise _server_error(self.chroma_url, exc) from exc

    def _apply(self, col, articles, manifest, counts, stored_ids, report, t0, *, progress) -> SyncReport:
        """Embed what is new or changed, delete what is gone, keep the manifest in step.

        `stored_ids` (server mode) makes the store itself the judge: an article is unchanged
        when the store holds exactly its expected passage ids, whatever this client's manifest says.
        """
        known: dict = dict(manifest.get("articles", {}))
        wanted = {a.id: a for a in articles}
        todo: list[tuple[Article, list[Passage]]] = []
        for art in articles:
            passages = chunk_article(art)
            entry = known.get(art.id)
            if stored_ids is not None:
                same = stored_ids.get(art.id) == {p.id for p in passages}
            else:
                same = bool(entry) and entry.get("sha256") == art.sha256 and counts.get(art.id) == len(passages)
            if same:
                report.unchanged.append(art.id)
                if stored_ids is not None:
                    known[art.id] = {"sha256": art.sha256, "passages": len(passages), "title": art.title}
            else:
                (report.updated if entry or (stored_ids is not None and art.id in counts) else report.added).append(art.id)
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
                col.upsert(  # upsert: another client may be adding the same passages right now
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
        if todo or stale or not manifest.get("complete", True) or report.rebuilt or (stored_ids is not None and known != manifest.get("articles")):
            self._write_manifest(known, complete=True)
        report.seconds = time.perf_counter() - t0
        return report

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

    # -- queries ----------------------------------------------------------------------
    def query(self, vector: np.ndarray, article_id: str, n: int) -> list[tuple[str, float]]:
        """The `n` passages of one article nearest to `vector`, as (passage id, cosine similarity)."""
        if self._store_gone():
            self._collection = None
            _forget_clients()
            raise StoreError(f"The index in {self.dir} is gone (deleted while the app was running?). "
                             "Re-index: perspectives index, or the Re-index button in the web app's Corpus tab.")
        try:
            col = self._open()
            res = _QUERY_THREAD.submit(col.query, query_embeddings=vector[None, :], n_results=n, where={"article_id": article_id},
                                       include=["distances"]).result()
        except StoreError:
            self._collection = None
            raise
        except Exception as exc:
            self._collection = None
            if self.chroma_url:
                raise _server_error(self.chroma_url, exc) from exc
            _forget_clients()
            raise StoreError(f"The index in {self.dir} could not be read ({describe(exc)}). "
                             "Rebuild it: perspectives index --rebuild, or Re-index (rebuild) in the web app's Corpus tab.") from exc
        ids = res["ids"][0] if res.get("ids") else []
        dists = res["distances"][0] if res.get("distances") else []
        return [(pid, 1.0 - float(d)) for pid, d in zip(ids, dists)]

    def status(self) -> dict:
        """What the corpus tab and `perspectives index --status` show."""
        m = self.read_manifest()
        return {"path": str(self.dir), "complete": bool(m.get("complete")), "format_ok": m.get("format") == self.format, "articles": m.get("articles", {}), "updated": m.get("updated")}


def _server_error(url: str, exc: Exception) -> StoreError:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return StoreError(f"The Chroma server at {url} did not answer within {CHROMA_TIMEOUT:g} s ({type(exc).__name__}). Is it overloaded or hung? Try again.")
    if isinstance(exc, httpx.HTTPError):
        return StoreError(f"Lost the connection to the Chroma server at {url} ({type(exc).__name__}). Is it still running (chroma run ...)?")
    return StoreError(f"The Chroma server at {url} failed: {describe(exc, 300)}")
