"""The Corpus tab: the articles and their index state, adding articles, re-indexing.

`CorpusEvents.add_articles` is the one upload handler: each file is checked and copied into
the article folder under a safe name (`store_upload`), then the index is brought up to
date. `reindex` re-reads the folder (and rebuilds the store on request). Both return
`{output name: value}` (wired by `shared.by_name`). The table is searched (title, outlet,
author), sorted and paged here, on the server (`table_view`): users keep hundreds to a thousand
articles, and one page of rows is all a browser needs.
Not here: reading or repairing articles (app/corpus), HTML (html.py).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
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
PAGE_ROWS = 25  # one screen or two of a long corpus
NEWEST, OLDEST, TITLE, OUTLET, ADDED = "Newest first", "Oldest first", "Title A–Z", "Outlet A–Z", "Recently added"
SORTS = (NEWEST, OLDEST, TITLE, OUTLET, ADDED)


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
    """One row per article, in corpus order (`position`: its colour in every tab)."""
    manifest = pipe.index.status().get("articles", {})
    counts: dict[str, int] = {}
    for p in pipe.passages:
        counts[p.article_id] = counts.get(p.article_id, 0) + 1
    rows = []
    for i, a in enumerate(pipe.articles):
        entry = manifest.get(a.id)
        state = "not indexed" if not entry else ("indexed" if entry.get("sha256") == a.sha256 else "changed")
        path = Path(a.path)
        st = path.stat() if path.exists() else None
        rows.append({"id": a.id, "position": i, "title": a.title, "file": path.name, "kb": (st.st_size if st else 0) / 1000,
                     "words": a.words, "passages": counts.get(a.id, 0), "state": state, "outlet": known(a.source.outlet),
                     "author": known(a.source.author), "date": known(a.source.date), "mtime": st.st_mtime if st else 0.0})
    return rows


def known(value: str) -> str:
    return "" if not value or value == "unknown" else value


def parse_date(value: str) -> dt.date | None:
    """A front-matter date ("2025-02-03", "2025-02", "2025", or an ISO time) as a date; None if it is not one."""
    m = re.match(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", value or "")
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        return None


@dataclass(frozen=True)
class TableView:
    """What the article table shows: the rows on this page, and how many matched."""

    rows: list[dict]
    start: int  # how many matching rows come before this page
    page: int  # 0-based, within range
    pages: int
    matched: int
    total: int


def table_view(rows: list[dict], query: str = "", sort: str = NEWEST, page: int = 0) -> TableView:
    """Filter by words in the title, outlet or author (all must match), sort, and cut out one page."""
    words = [w for w in (query or "").lower().split() if w]
    hits = [r for r in rows if all(w in f"{r['title']} {r['outlet']} {r['author']}".lower() for w in words)]
    by_title = lambda r: r["title"].lower()  # noqa: E731
    if sort == TITLE:
        hits.sort(key=by_title)
    elif sort == OUTLET:  # articles without an outlet last
        hits.sort(key=lambda r: (not r["outlet"], r["outlet"].lower(), by_title(r)))
    elif sort == ADDED:
        hits.sort(key=lambda r: -r["mtime"])
    else:  # by date; undated articles last, by title
        dated = sorted((r for r in hits if parse_date(r["date"])), key=lambda r: (parse_date(r["date"]), r["title"].lower()), reverse=sort != OLDEST)
        hits = dated + sorted((r for r in hits if not parse_date(r["date"])), key=by_title)
    pages = max(1, -(-len(hits) // PAGE_ROWS))
    page = min(max(int(page or 0), 0), pages - 1)
    return TableView(hits[page * PAGE_ROWS:(page + 1) * PAGE_ROWS], page * PAGE_ROWS, page, pages, len(hits), len(rows))


def corpus_view(pipe: Pipeline, query: str = "", sort: str = NEWEST, page: int = 0) -> tuple[str, int]:
    """The article table's HTML for this search, order and page, and the page it shows."""
    view = table_view(corpus_rows(pipe), query, sort, page)
    for r in view.rows:
        r["date_shown"] = H.human_date(r["date"])
    return H.corpus_html(view, pipe.index.status(), pipe.skipped, query=query), view.page


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
        return {"message": "\n\n".join(msg), **self.refresh(ADDED if added else NEWEST), "files": None}  # the new ones on top

    def reindex(self, rebuild, progress=gr.Progress(track_tqdm=True)) -> dict:
        progress(0, desc="Checking the articles")
        try:
            report = self.pipe.reload(progress=True, force=bool(rebuild))
        except PerspectivesError as exc:
            warn(str(exc))
            return {"message": f"⚠ {H.md_text(exc)}", **self.refresh()}
        skipped = "".join(f"\n\n⚠ Skipped: {H.md_text(m)}" for m in self.pipe.skipped)
        return {"message": H.md_text(report.summary()) + skipped, **self.refresh()}

    def refresh(self, sort: str = NEWEST) -> dict:
        """The article table (first page, no search) and the header, as they are now."""
        table, _ = corpus_view(self.pipe, sort=sort)
        return {"table": table, "header": header_html(self.pipe), "search": "", "sort": sort, "page": 0}

    # Search, order and paging: no model, no index change, so outside the model queue.
    def search(self, query, sort) -> dict:
        """A new search or order starts at the first page."""
        return self._page(query, sort, 0)

    def previous_page(self, query, sort, page) -> dict:
        return self._page(query, sort, int(page or 0) - 1)

    def next_page(self, query, sort, page) -> dict:
        return self._page(query, sort, int(page or 0) + 1)

    def _page(self, query, sort, page: int) -> dict:
        table, page = corpus_view(self.pipe, query or "", sort or NEWEST, page)
        return {"table": table, "page": page}


# -- layout and wiring -------------------------------------------------------------------------
def layout(pipe: Pipeline) -> dict:
    """The tab's components, laid out inside the current `gr.Tab`."""
    ui = {}
    with gr.Row(equal_height=True, elem_id="pv-corpus-tools"):
        ui["search"] = gr.Textbox(placeholder="Search by title, outlet or author…", show_label=False, scale=4, elem_id="pv-corpus-search",
                                  container=False)
        ui["sort"] = gr.Dropdown(list(SORTS), value=NEWEST, show_label=False, scale=1, min_width=160, elem_id="pv-corpus-sort",
                                 container=False, interactive=True)
        ui["prev"] = gr.Button("◀ Previous", size="sm", scale=0, min_width=110, elem_id="pv-corpus-prev")
        ui["next"] = gr.Button("Next ▶", size="sm", scale=0, min_width=90, elem_id="pv-corpus-next")
    ui["page"] = gr.State(0)
    ui["table"] = gr.HTML(corpus_view(pipe)[0], elem_id="pv-corpus", js_on_load=None)
    with gr.Row():
        with gr.Column(scale=3):
            ui["files"] = gr.File(label=f"Add articles (.txt, .md, saved web pages .html, PDFs; up to {MAX_UPLOAD_BYTES // 1_000_000} MB each)",
                                  file_types=list(ARTICLE_SUFFIXES + ingest.HTML_SUFFIXES + ingest.PDF_SUFFIXES), file_count="multiple",
                                  type="filepath", height=120, elem_id="pv-files")
            ui["add"] = gr.Button("Add to corpus and index", variant="primary", elem_id="pv-add-btn")
            ui["url_box"], ui["url_add"] = url_row(pipe)
        with gr.Column(scale=2):
            ui["rebuild"] = gr.Checkbox(label="Rebuild the search index from scratch (slower; for when answers look wrong)", value=False)
            ui["reindex"] = gr.Button("Re-index", variant="secondary", elem_id="pv-reindex-btn")
    ui["message"] = gr.Markdown(elem_id="pv-corpus-msg")
    return ui


def wire(pipe: Pipeline, ui: dict, header) -> list:
    """Connect the tab's events; returns them, so other tabs can follow a corpus change."""
    events = CorpusEvents(pipe)
    paged = {"table": ui["table"], "page": ui["page"]}
    fast = dict(queue=False, api_visibility="private", show_progress="hidden")
    search_fn, outputs = by_name(events.search, paged)
    ui["search"].change(search_fn, inputs=[ui["search"], ui["sort"]], outputs=outputs, trigger_mode="always_last", **fast)
    ui["sort"].input(search_fn, inputs=[ui["search"], ui["sort"]], outputs=outputs, **fast)
    for button, handler in ((ui["prev"], events.previous_page), (ui["next"], events.next_page)):
        fn, outputs = by_name(handler, paged)
        button.click(fn, inputs=[ui["search"], ui["sort"], ui["page"]], outputs=outputs, **fast)
    shown = {"message": ui["message"], "table": ui["table"], "header": header, "search": ui["search"], "sort": ui["sort"], "page": ui["page"]}
    add_fn, add_outputs = by_name(events.add_articles, {**shown, "files": ui["files"]})
    reindex_fn, reindex_outputs = by_name(events.reindex, shown)
    added = ui["add"].click(add_fn, inputs=[ui["files"]], outputs=add_outputs, api_name="upload", **model_queue(pipe))
    reindexed = ui["reindex"].click(reindex_fn, inputs=[ui["rebuild"]], outputs=reindex_outputs, api_name="reindex", **model_queue(pipe))
    url_added = wire_url_row(pipe, ui["url_box"], ui["url_add"], ui["message"],
                             lambda: (corpus_view(pipe, sort=ADDED)[0], header_html(pipe), "", ADDED, 0),
                             [ui["table"], header, ui["search"], ui["sort"], ui["page"]])
    return [added, reindexed, url_added]


def refresher(pipe: Pipeline, ui: dict, header) -> tuple:
    """(function, outputs) that redraw the table and the header, for the page load."""
    return by_name(CorpusEvents(pipe).refresh, {"table": ui["table"], "header": header, "search": ui["search"], "sort": ui["sort"], "page": ui["page"]})
