"""The Corpus tab: the articles and their index state, adding articles, re-indexing.

`CorpusEvents.add_articles` is the one upload handler: each file is checked and copied into
the article folder under a safe name (`store_upload`), then the index is brought up to
date. `reindex` re-reads the folder (and rebuilds the store on request). Both return
`{output name: value}` (wired by `shared.by_name`).
Not here: reading or repairing articles (app/corpus), HTML (html.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import gradio as gr

from app.corpus import ingest
from app.corpus.articles import ARTICLE_SUFFIXES, MAX_ARTICLE_BYTES, article_id, load_article
from app.errors import InputError, PerspectivesError
from app.pipeline import Pipeline
from app.ui import html as H
from app.ui.add_url import url_row, wire_url_row
from app.ui.shared import model_queue, by_name, header_html, warn

MAX_UPLOAD_BYTES = MAX_ARTICLE_BYTES  # 2 MB: a news article is 5-50 kB


def safe_filename(name: str) -> str:
    """A file name for an upload that cannot leave the article folder.

    Only the last path component counts (either slash), everything but letters, digits,
    '_' and '-' becomes '-', no leading dots, at most 80 characters, suffix .txt or .md.
    """
    base = re.split(r"[\\/]", str(name))[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = suffix, ""
    suffix = "." + suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        raise InputError(f"{base!r}: only .txt, .md, .html/.htm and .pdf articles can be added.")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:80].strip("-_") or "article"
    return stem + suffix


def store_upload(seeds: Path, src: Path, name: str, existing_ids: set[str], existing_hashes: set[str]) -> Path:
    """Validate an uploaded article and copy it into `seeds` under a safe, unused name."""
    src = Path(src)
    if Path(re.split(r"[\\/]", str(name))[-1]).suffix.lower() in ingest.HTML_SUFFIXES + ingest.PDF_SUFFIXES:
        return _ingest_upload(seeds, src, name)
    size = src.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise InputError(f"{safe_filename(name)}: {size / 1e6:.1f} MB is too large (limit {MAX_UPLOAD_BYTES / 1e6:.0f} MB).")
    fname = safe_filename(name)
    art = load_article(src)  # raises InputError for binary, empty or undecodable files
    if art.sha256 in existing_hashes:
        raise InputError(f"{fname}: this article is already in the corpus.")
    seeds = Path(seeds).resolve()
    stem, suffix = fname.rsplit(".", 1)
    dest, i = seeds / fname, 1
    while dest.exists() or article_id(dest) in existing_ids:
        i += 1
        dest = seeds / f"{stem}-{i}.{suffix}"
    if dest.resolve().parent != seeds:  # cannot happen after safe_filename; belt and braces
        raise InputError(f"{fname}: refusing to write outside the article folder.")
    with open(dest, "xb") as fh:  # never overwrite
        fh.write(src.read_bytes())
    return dest


def _ingest_upload(seeds: Path, src: Path, name: str) -> Path:
    """A saved web page or PDF: extracted into a new .md by the same code as `perspectives add`."""
    result = ingest.add_file(Path(src), Path(seeds), name=re.split(r"[\\/]", str(name))[-1], max_bytes=MAX_UPLOAD_BYTES)
    if not result.added:
        raise InputError(result.message)
    for notice in result.notices:
        warn(notice)
    return result.path


def corpus_rows(pipe: Pipeline) -> list[dict]:
    manifest = pipe.index.status().get("articles", {})
    counts: dict[str, int] = {}
    for p in pipe.passages:
        counts[p.article_id] = counts.get(p.article_id, 0) + 1
    rows = []
    for a in pipe.articles:
        entry = manifest.get(a.id)
        state = "not indexed" if not entry else ("indexed" if entry.get("sha256") == a.sha256 else "changed")
        path = Path(a.path)
        rows.append({"id": a.id, "title": a.title, "file": path.name, "kb": (path.stat().st_size if path.exists() else 0) / 1000,
                     "words": a.words, "passages": counts.get(a.id, 0), "state": state})
    return rows


def corpus_view(pipe: Pipeline) -> str:
    return H.corpus_html(corpus_rows(pipe), pipe.index.status(), pipe.skipped)


class CorpusEvents:
    """The tab's events over one shared pipeline."""

    def __init__(self, pipe: Pipeline):
        self.pipe = pipe

    def add_articles(self, files, progress=gr.Progress(track_tqdm=True)) -> dict:
        """Upload: store each file as an article (or say why not), then index the new ones."""
        files = files if isinstance(files, list) else [files] if files else []
        if not files:
            return {"message": "Choose one or more .txt, .md, .html or .pdf files first.", **self.refresh()}
        ids, hashes = {a.id for a in self.pipe.articles}, {a.sha256 for a in self.pipe.articles}
        added, problems = [], []
        for f in files:
            path = Path(getattr(f, "name", None) or str(f))  # a file path, or Gradio's FileData with the browser's name
            name = getattr(f, "orig_name", None) or path.name
            try:
                dest = store_upload(self.pipe.settings.seeds, path, name, ids, hashes)
            except (PerspectivesError, OSError) as exc:
                problems.append(str(exc) if isinstance(exc, PerspectivesError) else f"{name}: {exc.strerror}")
                continue
            ids.add(article_id(dest))
            added.append(dest.name)
        msg = []
        if added:
            progress(0, desc="Indexing the new articles")
            report = self.pipe.reload(progress=True)
            msg.append(f"Added {', '.join(f'`{H.md_text(n)}`' for n in added)}. {H.md_text(report.summary())}")
        for p in problems:
            warn(p)
            msg.append(f"⚠ {H.md_text(p)}")
        return {"message": "\n\n".join(msg), **self.refresh(), "files": None}

    def reindex(self, rebuild, progress=gr.Progress(track_tqdm=True)) -> dict:
        progress(0, desc="Checking the articles")
        try:
            report = self.pipe.reload(progress=True, force=bool(rebuild))
        except PerspectivesError as exc:
            warn(str(exc))
            return {"message": f"⚠ {H.md_text(exc)}", **self.refresh()}
        skipped = "".join(f"\n\n⚠ Skipped: {H.md_text(m)}" for m in self.pipe.skipped)
        return {"message": H.md_text(report.summary()) + skipped, **self.refresh()}

    def refresh(self) -> dict:
        """The article table and the header, as they are now."""
        return {"table": corpus_view(self.pipe), "header": header_html(self.pipe)}


# -- layout and wiring -------------------------------------------------------------------------
def layout(pipe: Pipeline) -> dict:
    """The tab's components, laid out inside the current `gr.Tab`."""
    ui = {"table": gr.HTML(corpus_view(pipe), elem_id="pv-corpus", js_on_load=None)}
    with gr.Row():
        with gr.Column(scale=3):
            ui["files"] = gr.File(label=f"Add articles (.txt, .md, saved web pages .html, PDFs; up to {MAX_UPLOAD_BYTES // 1_000_000} MB each)",
                                  file_types=list(ARTICLE_SUFFIXES + ingest.HTML_SUFFIXES + ingest.PDF_SUFFIXES), file_count="multiple",
                                  type="filepath", height=120, elem_id="pv-files")
            ui["add"] = gr.Button("Add to corpus and index", variant="primary", elem_id="pv-add-btn")
            ui["url_box"], ui["url_add"] = url_row(pipe)
        with gr.Column(scale=2):
            ui["rebuild"] = gr.Checkbox(label="Rebuild from scratch (embed every passage again)", value=False)
            ui["reindex"] = gr.Button("Re-index", variant="secondary", elem_id="pv-reindex-btn")
    ui["message"] = gr.Markdown(elem_id="pv-corpus-msg")
    return ui


def wire(pipe: Pipeline, ui: dict, header) -> list:
    """Connect the tab's events; returns them, so other tabs can follow a corpus change."""
    events = CorpusEvents(pipe)
    shown = {"message": ui["message"], "table": ui["table"], "header": header}
    add_fn, add_outputs = by_name(events.add_articles, {**shown, "files": ui["files"]})
    reindex_fn, reindex_outputs = by_name(events.reindex, shown)
    added = ui["add"].click(add_fn, inputs=[ui["files"]], outputs=add_outputs, api_name="upload", **model_queue(pipe))
    reindexed = ui["reindex"].click(reindex_fn, inputs=[ui["rebuild"]], outputs=reindex_outputs, api_name="reindex", **model_queue(pipe))
    url_added = wire_url_row(pipe, ui["url_box"], ui["url_add"], ui["message"],
                             lambda: (corpus_view(pipe), header_html(pipe)), [ui["table"], header])
    return [added, reindexed, url_added]


def refresher(pipe: Pipeline, ui: dict, header) -> tuple:
    """(function, outputs) that redraw the table and the header, for the page load."""
    return by_name(CorpusEvents(pipe).refresh, {"table": ui["table"], "header": header})
