"""The web app under abuse, through its public HTTP API (what any client, not only a browser, can send).

The real app (stub model) is launched on 127.0.0.1 and driven over Gradio's HTTP API:
uploads with odd names (path parts, Unicode, a 255-character name, control characters), a
folder of 500 small files in one upload, a file rewritten while it is being indexed, and two
sessions uploading and re-indexing at once. After each: nothing is written outside the
article folder, no upload is lost or corrupted, and the index holds exactly what a fresh
build of the same folder gives (same passage ids, text, metadata and embeddings).
Not here: the browser itself (test_browser.py) or upload validation rules (test_ui.py).
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import httpx
import numpy as np
import pytest

import app.index.embed
from app.pipeline import build_pipeline
from app.settings import Settings
from app.ui import app as ui
from serverkit import free_port

PROJECT = Path(__file__).resolve().parent.parent


def _article(i: int, words: int = 40) -> str:
    body = " ".join(f"word{i}x{j}" for j in range(words))
    return f"# Small article number {i} about chips\n\nArticle {i} says export controls matter. {body}.\n"


class App:
    """The launched app and a tiny client for Gradio's HTTP API (`/gradio_api/...`)."""

    def __init__(self, pipe):
        self.pipe = pipe
        self.demo = ui.launch(pipe, port=free_port(), block=False, quiet=True)
        self.base = self.demo.local_url.rstrip("/") + "/gradio_api"
        self.http = httpx.Client(timeout=300)

    def upload(self, files: list[tuple[str, bytes]], *, expect: str = "complete"):
        """Send files as a browser does, then hand them to the app's `/upload` endpoint."""
        r = self.http.post(self.base + "/upload", files=[("files", (name, data, "text/plain")) for name, data in files])
        r.raise_for_status()
        paths = r.json()
        datas = [{"path": p, "orig_name": name, "meta": {"_type": "gradio.FileData"}} for p, (name, _) in zip(paths, files)]
        return self.call("upload", [datas], expect=expect)

    def call(self, api: str, data: list, *, expect: str = "complete"):
        """Run one API call to the end; its result (or, with expect="error", the error shown)."""
        r = self.http.post(f"{self.base}/call/{api}", json={"data": data})
        r.raise_for_status()
        event_id = r.json()["event_id"]
        event = None
        with self.http.stream("GET", f"{self.base}/call/{api}/{event_id}") as s:
            for line in s.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    payload = json.loads(line[5:])
                    assert event == expect, f"/{api}: {event}: {payload}"
                    return payload
        raise AssertionError(f"/{api} ended without a result")

    def close(self):
        self.http.close()
        self.demo.close()


@pytest.fixture
def served(tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(PROJECT / "seeds", seeds)
    app = App(build_pipeline(Settings(data_dir=tmp_path / "data", seeds=seeds, model="stub")))
    yield app
    app.close()


def _store(pipe) -> dict[str, tuple]:
    got = pipe.index._open().get(include=["documents", "metadatas", "embeddings"])
    return {pid: (doc, tuple(sorted(meta.items())), np.asarray(emb)) for pid, doc, meta, emb in
            zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])}


def assert_index_equals_a_fresh_build(pipe, tmp_path: Path) -> None:
    """The app's index (store + manifest) is what a fresh build of a copy of its folder gives."""
    copy = tmp_path / "fresh-seeds"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(pipe.settings.seeds, copy)
    fresh = build_pipeline(Settings(data_dir=tmp_path / "fresh-data", seeds=copy, model="stub"))
    mine, theirs = _store(pipe), _store(fresh)
    assert set(mine) == set(theirs), (sorted(set(mine) ^ set(theirs))[:10])
    for pid, (doc, meta, emb) in theirs.items():
        assert mine[pid][:2] == (doc, meta), pid
        assert np.allclose(mine[pid][2], emb, atol=1e-5), pid
    status = pipe.index.status()
    assert status["complete"] and set(status["articles"]) == {a.id for a in fresh.articles}
    assert {a.id: a.sha256 for a in pipe.articles} == {a.id: a.sha256 for a in fresh.articles}
    shutil.rmtree(tmp_path / "fresh-data", ignore_errors=True)


def _outside(tmp_path: Path, seeds: Path) -> list[Path]:
    """Files under tmp_path that an upload may have written outside the article folder (the
    index's own per-article files carry the article's sanitised id in their names)."""
    return [p for p in tmp_path.rglob("*evil*") if seeds not in p.parents and "index" not in p.relative_to(tmp_path).parts]


ODD_NAMES = [
    "../../evil-parent.txt", "..\\..\\evil-backslash.md", "/etc/cron.d/evil-absolute.txt", "./././evil-dots.txt",
    "Ünïcödé 文章 – ☃ naïve.txt", "\u202eevil-rtl-override.txt.md", "tab\tand\nnewline-evil.txt",
    "a" * 251 + ".txt", "é" * 200 + ".md", ".hidden-evil.md", "CON.txt", "name with spaces.MD",
]


def test_uploads_with_odd_names_stay_in_the_folder_and_index_like_a_fresh_build(served, tmp_path):
    seeds = served.pipe.settings.seeds
    before = {p.name for p in seeds.iterdir()}
    files = [(name, _article(i).encode("utf-8")) for i, name in enumerate(ODD_NAMES)]
    refused = served.upload([("x.txt.exe", b"MZ"), ("../evil-with.txt", _article(99).encode())], expect="error")
    assert "Invalid file type" in str(refused) and {p.name for p in seeds.iterdir()} == before  # all or nothing
    out = served.upload(files)
    assert out[0].startswith("Added")
    added = {p.name for p in seeds.iterdir()} - before
    assert len(added) == len(ODD_NAMES)
    for name in added:
        assert len(name.encode("utf-8")) <= 255 and "/" not in name and "\\" not in name and not name.startswith(".")
        assert all(ch.isprintable() for ch in name) and "\u202e" not in name
        assert (seeds / name).read_text(encoding="utf-8").startswith("# Small article number")
    assert _outside(tmp_path, seeds) == []
    assert {f"{i}" for i in range(len(ODD_NAMES))} <= {a.text.split()[1] for a in served.pipe.articles if a.title.startswith("Small")}
    assert_index_equals_a_fresh_build(served.pipe, tmp_path)


def test_a_folder_of_500_small_files_in_one_upload(served, tmp_path):
    files = [(f"note-{i:03d}.txt", _article(i, words=12).encode()) for i in range(500)]
    out = served.upload(files)
    assert "Added" in out[0] and "500 added" in out[0], out[0][:500]
    assert len(served.pipe.articles) == 505
    stored = {p.name: p.read_bytes() for p in served.pipe.settings.seeds.glob("note-*.txt")}
    assert stored == dict(files)  # every byte of every file, nothing lost or mixed up
    assert_index_equals_a_fresh_build(served.pipe, tmp_path)


def test_a_file_rewritten_while_it_is_being_indexed(served, tmp_path, monkeypatch):
    seeds = served.pipe.settings.seeds
    target = sorted(seeds.glob("*.txt"))[0]
    original = target.read_text(encoding="utf-8")
    real_embed = app.index.embed.Embedder.embed
    rewrites = []

    def embed_and_meddle(self, texts):  # every time the indexer embeds, the file changes under it
        target.write_text(original[: len(original) // (2 + len(rewrites))] + f"\n\nRewrite number {len(rewrites)}.", encoding="utf-8")
        rewrites.append(1)
        return real_embed(self, texts)

    monkeypatch.setattr(app.index.embed.Embedder, "embed", embed_and_meddle)
    target.write_text(original + "\n\nA first change before re-indexing.", encoding="utf-8")
    served.call("reindex", [False])
    assert rewrites
    indexed = served.pipe.article(target.stem)
    got = {p.id: p for p in served.pipe.passages if p.article_id == target.stem}
    assert all(indexed.text[p.start:p.end] == p.text for p in got.values())  # consistent with what was read
    monkeypatch.setattr(app.index.embed.Embedder, "embed", real_embed)
    msg = served.call("reindex", [False])[0]  # the file settled: the next re-index catches up
    assert "1 updated" in msg
    assert_index_equals_a_fresh_build(served.pipe, tmp_path)


def test_two_sessions_uploading_and_reindexing_at_once(served, tmp_path):
    other = App.__new__(App)  # a second client of the same server: its own connections and session
    other.base, other.http = served.base, httpx.Client(timeout=300)
    errors = []

    def session(client, tag):
        try:
            client.upload([(f"{tag}-{i}.txt", _article(1000 * (tag == "b") + i).encode()) for i in range(15)])
            client.call("reindex", [tag == "b"])  # one plain re-index, one full rebuild, at the same time
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(f"{tag}: {exc!r}")

    threads = [threading.Thread(target=session, args=(c, t)) for c, t in ((served, "a"), (other, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    other.http.close()
    assert not errors and not any(t.is_alive() for t in threads)
    names = {p.name for p in served.pipe.settings.seeds.iterdir()}
    assert {f"a-{i}.txt" for i in range(15)} | {f"b-{i}.txt" for i in range(15)} <= names
    assert len(served.pipe.articles) == 35
    assert_index_equals_a_fresh_build(served.pipe, tmp_path)
