"""The index in a Chroma server (`chroma run`), shared by several clients (`chroma_url`).

Scope: the server is the shared truth. The index format lives in the collection's metadata;
an article counts as indexed when the server holds exactly its expected passage ids (ids
encode the content hash), whatever this client's manifest says; the local manifest is only
this client's record (used by `status`). A server that cannot be reached, is too slow or
fails is a StoreError naming the URL - never a reason to rebuild. All clients of one
collection must index the same article folder: articles a client does not have are removed.
Not here: what both stores share (store.py), the embedded store (embedded.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlparse

from app.corpus.articles import Article
from app.corpus.chunks import Passage
from app.errors import StoreError, describe
from app.index.embed import Embedder
from app.index.store import COLLECTION, Index, Notify, SyncReport, chroma_settings, new_collection

CHROMA_TIMEOUT = 60.0  # seconds per request to a Chroma server (chromadb's own client has none)
HINT = "Start it with: chroma run --path DIR --host 127.0.0.1 --port PORT, or fix --chroma-url / PERSPECTIVES_CHROMA_URL."


class ServerIndex(Index):
    def __init__(self, data_dir: Path, embedder: Embedder, chroma_url: str, *, notify: Notify | None = None):
        super().__init__(data_dir, embedder, notify=notify)
        self.chroma_url = chroma_url

    def _connect(self):
        try:
            return new_collection(_http_client(self.chroma_url))
        except StoreError:
            raise
        except Exception as exc:
            raise self._read_error(exc) from exc

    def sync(self, articles: list[Article], *, progress: bool = False, force: bool = False) -> SyncReport:
        """The collection (format tag, passage ids) decides what is indexed."""
        t0 = time.perf_counter()
        report = SyncReport()
        manifest = self.read_manifest()
        try:
            col = self._open()
            if force or not self._format_ok(col):
                report.rebuilt = "requested" if force else "format"
                self._reset_store("A full rebuild was requested." if force else "The server's collection was built by another version.")
                manifest = self.read_manifest()
                col = self._open()
                self._format_ok(col)
            stored = self._stored_ids(col)
            return self._apply(col, articles, manifest, stored, report, t0, progress=progress)
        except StoreError:
            raise
        except Exception as exc:
            self._collection = None
            raise self._read_error(exc) from exc

    def _format_ok(self, col) -> bool:
        """Does the collection hold this version's passages? Tags an empty one."""
        fmt = (col.metadata or {}).get("format")
        if fmt == self.format:
            return True
        if fmt is None and col.count() == 0:
            col.modify(metadata={"format": self.format})
            return True
        return False

    def _unchanged(self, art: Article, passages: list[Passage], entry: dict | None, stored: dict[str, set[str]]) -> bool:
        return stored.get(art.id) == {p.id for p in passages}

    def _reset_store(self, why: str) -> None:
        """Drop the server's collection and start empty (the next `_open` creates it again)."""
        self._collection = None
        client = _http_client(self.chroma_url)
        try:
            client.delete_collection(COLLECTION)
        except Exception:  # already gone, or never created: either way it is empty now
            pass
        self.notify(f"{why} The collection {COLLECTION!r} on {self.chroma_url} is being rebuilt.")
        self._write_manifest({}, complete=False)

    def _read_error(self, exc: Exception) -> StoreError:
        import httpx

        url = self.chroma_url
        if isinstance(exc, httpx.TimeoutException):
            return StoreError(f"The Chroma server at {url} did not answer within {CHROMA_TIMEOUT:g} s ({type(exc).__name__}). Is it overloaded or hung? Try again.")
        if isinstance(exc, httpx.HTTPError):
            return StoreError(f"Lost the connection to the Chroma server at {url} ({type(exc).__name__}). Is it still running (chroma run ...)?")
        return StoreError(f"The Chroma server at {url} failed: {describe(exc, 300)}")


def _http_client(url: str):
    """A chromadb HttpClient, after a bounded heartbeat, with a request timeout set."""
    import chromadb
    import httpx

    u = urlparse(url)
    base = f"{u.scheme}://{u.hostname or '127.0.0.1'}:{u.port or 8000}"
    try:
        r = httpx.get(base + "/api/v2/heartbeat", timeout=httpx.Timeout(min(10.0, CHROMA_TIMEOUT), connect=5.0))
    except httpx.TimeoutException as exc:
        raise StoreError(f"The Chroma server at {url} did not answer within {min(10.0, CHROMA_TIMEOUT):g} s ({type(exc).__name__}). Is it overloaded or hung? {HINT}") from exc
    except httpx.HTTPError as exc:
        raise StoreError(f"Cannot reach the Chroma server at {url} ({type(exc).__name__}). {HINT}") from exc
    if r.status_code != 200:
        raise StoreError(f"{url} is not a working Chroma server (heartbeat answered HTTP {r.status_code}: {r.text[:200]!r}). {HINT}")
    try:
        client = chromadb.HttpClient(host=u.hostname or "127.0.0.1", port=u.port or 8000, ssl=u.scheme == "https", settings=chroma_settings())
    except Exception as exc:  # chromadb raises ValueError / its own errors for an unusable server
        raise StoreError(f"Cannot use the Chroma server at {url}: {exc}. {HINT}") from exc
    # chromadb creates its HTTP session with timeout=None; this private attribute (chromadb
    # 1.5) is the only way to bound it. If it moves, requests just keep chromadb's default.
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(CHROMA_TIMEOUT, connect=5.0)
    return client
