"""The Gradio web app: chat, compare and corpus tabs over one shared pipeline.

`build_app(pipe)` returns a `gr.Blocks` without launching it (tests build it as is);
`launch(pipe, ...)` starts the server with the app's theme and CSS (Gradio 6 takes both in
`launch()`). The UI is a thin shell: it consumes `ask_stream` and `compare` exactly as the
CLI does and only renders their results (ui_html.py).

Concurrency: llama.cpp contexts are not thread-safe, so every event that touches the model
or the index shares one queue slot (`concurrency_id="model"`, limit 1); other users see
their queue position until their turn. Settings a user changes (passages per article,
temperature) apply to that user's requests only; a model change applies to the process and
loads the model once.
Not here: HTML rendering (ui_html.py), anything the pipeline decides.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote

import gradio as gr
from starlette.middleware import Middleware

from app.ui import html as H
from app.ui.css import CSS
from app.corpus import ingest
from app.corpus.articles import ARTICLE_SUFFIXES, MAX_ARTICLE_BYTES, article_id, load_article
from app.errors import InputError, PerspectivesError, describe
from app.answer.ask import NOT_ADDRESSED, ask_stream
from app.answer.question import clean_question
from app.pipeline import Pipeline
from app.ui.add_url import url_row, wire_url_row
from app.ui.compare import build_compare_tab
from app.ui.shared import MODEL_QUEUE, download_dir, session_view, warn


MAX_UPLOAD_BYTES = MAX_ARTICLE_BYTES  # 2 MB: a news article is 5-50 kB
log = logging.getLogger(__name__)
WAITING = "_Waiting for the model… if someone else's question is being answered, yours is next in line._"
EXAMPLES = [
    "Did the Chinese government deserve credit for DeepSeek's success?",
    "What does DeepSeek's success say about China's education system?",
    "Is DeepSeek an isolated case or part of a wider trend?",
    "Which university did DeepSeek's founder study at?",
]



def theme():
    # System fonts only: the app must work offline (no Google Fonts request).
    return gr.themes.Soft(
        primary_hue="indigo", neutral_hue="slate", radius_size="lg",
        font=["Inter", "ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


# -- pure helpers (tested directly) ---------------------------------------------------------


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


def header_html(pipe: Pipeline) -> str:
    s = pipe.settings
    return (
        '<div class="pv-header"><div><h1>Perspectives</h1>'
        '<p>Ask a question; see what each article says, where they differ, and the exact words that show it.</p></div>'
        f'<div class="pv-chips"><span>{len(pipe.articles)} articles</span><span>{len(pipe.passages)} passages</span>'
        f'<span>model: {H.esc(s.model)}</span><span>offline · local</span></div></div>'
    )




# -- event handlers -------------------------------------------------------------------------
def make_handlers(pipe: Pipeline) -> dict:
    """The app's callbacks, as plain functions over `pipe` (tests call them directly)."""

    def index_of() -> dict[str, int]:
        return {a.id: i for i, a in enumerate(pipe.articles)}

    def waiting(question, messages):
        """Shown at once (outside the queue) until the model is free for this question."""
        messages = list(messages or [])
        if not (question or "").strip():
            return gr.skip()
        return [*messages, {"role": "user", "content": H.md_text(question.strip())}, {"role": "assistant", "content": WAITING}]

    def chat(question, messages, history, k, temperature):
        """Stream one turn: viewpoints into the cards, then the answer into the chat."""
        messages, history = list(messages or []), list(history or [])
        if len(messages) >= 2 and _text(messages[-1]) == WAITING:  # drop the placeholder turn
            messages = messages[:-2]
        try:
            clean_question(question or "", pipe.settings.max_question_chars)
            view = session_view(pipe, k, temperature)
        except PerspectivesError as exc:
            warn(str(exc))
            yield gr.skip(), messages, gr.skip(), gr.skip(), history, gr.skip(), gr.skip(), gr.skip()
            return
        order, cards, answer, started, status = [], {}, "", False, ""
        user = {"role": "user", "content": H.md_text(question.strip())}
        idx = index_of()

        def bot(text):
            return [*messages, user, {"role": "assistant", "content": text}]

        yield "", bot("_Searching the articles…_"), '<div class="pv-empty">Reading the articles…</div>', gr.skip(), history, gr.skip(), gr.skip(), gr.skip()
        try:
            for ev in ask_stream(view, question, history=history):
                if ev.kind == "sources":
                    status = f"_Found {ev.text} relevant passages; reading each article…_"
                elif ev.kind == "viewpoint_start":
                    for c in cards.values():
                        c["done"] = True
                    order.append(ev.article_id)
                    cards[ev.article_id] = {"title": ev.text, "text": "", "done": False}
                    status = f"_Reading article {len(order)} of {len(pipe.articles)}…_"
                elif ev.kind == "viewpoint":
                    cards[ev.article_id]["text"] += ev.text
                    cards[ev.article_id]["done"] = ev.text == NOT_ADDRESSED
                elif ev.kind == "answer_start":
                    started = True
                    for c in cards.values():
                        c["done"] = True
                elif ev.kind == "answer":
                    answer += ev.text
                elif ev.kind == "done":
                    r = ev.result
                    foot = f"\n\n<span class='pv-foot'>{H.esc(r.model)} · {r.timing['total_s']:.1f} s · {len(r.passages)} sources</span>"
                    notes = "".join(f"\n\n> {H.md_text(n)}" for n in r.notices)
                    final = bot(H.md_answer(r.answer) + notes + foot)
                    md, js = answer_files(r)
                    yield (gr.skip(), final, H.cards_final(r, idx), H.sources_html(r, idx), [*history, r.question], r.to_dict(),
                           gr.update(value=md, visible=True), gr.update(value=js, visible=True))
                    return
                text = H.md_answer(answer) + " ▍" if started else status
                yield gr.skip(), bot(text), H.cards_streaming(order, cards, idx), gr.skip(), history, gr.skip(), gr.skip(), gr.skip()
        except PerspectivesError as exc:
            warn(str(exc))
            yield gr.skip(), bot(f"⚠ {H.md_text(exc)}"), gr.skip(), gr.skip(), history, gr.skip(), gr.skip(), gr.skip()
        except Exception as exc:  # a bug or an unforeseen fault: say so in the chat, keep the app serving
            log.exception("chat failed")
            msg = f"Unexpected error ({describe(exc)}). The app is still running; try again, or re-index in the Corpus tab."
            warn(msg)
            yield gr.skip(), bot(f"⚠ {H.md_text(msg)}"), gr.skip(), gr.skip(), history, gr.skip(), gr.skip(), gr.skip()

    def clear():
        return ([], [], '<div class="pv-empty">Viewpoint cards appear here after a question.</div>', '<div class="pv-empty">Sources appear here.</div>',
                None, gr.update(visible=False), gr.update(visible=False))

    def upload(files, progress=gr.Progress(track_tqdm=True)):
        files = files or []
        if not isinstance(files, list):
            files = [files]
        if not files:
            return "Choose one or more .txt or .md files first.", corpus_view(pipe), header_html(pipe), gr.skip()
        ids = {a.id for a in pipe.articles}
        hashes = {a.sha256 for a in pipe.articles}
        added, problems = [], []
        for f in files:
            path = Path(getattr(f, "name", None) or str(f))
            name = getattr(f, "orig_name", None) or path.name
            try:
                dest = store_upload(pipe.settings.seeds, path, name, ids, hashes)
            except (PerspectivesError, OSError) as exc:
                problems.append(str(exc) if isinstance(exc, PerspectivesError) else f"{name}: {exc.strerror}")
                continue
            ids.add(article_id(dest))
            added.append(dest.name)
        msg = []
        if added:
            progress(0, desc="Indexing the new articles")
            report = pipe.reload(progress=True)
            msg.append(f"Added {', '.join(f'`{H.md_text(n)}`' for n in added)}. {H.md_text(report.summary())}")
        for p in problems:
            warn(p)
            msg.append(f"⚠ {H.md_text(p)}")
        return "\n\n".join(msg), corpus_view(pipe), header_html(pipe), None

    def reindex(rebuild, progress=gr.Progress(track_tqdm=True)):
        progress(0, desc="Checking the articles")
        try:
            report = pipe.reload(progress=True, force=bool(rebuild))
        except PerspectivesError as exc:
            warn(str(exc))
            return f"⚠ {H.md_text(exc)}", corpus_view(pipe), header_html(pipe)
        skipped = "".join(f"\n\n⚠ Skipped: {H.md_text(m)}" for m in pipe.skipped)
        return H.md_text(report.summary()) + skipped, corpus_view(pipe), header_html(pipe)

    startup_model = pipe.settings.model

    def apply_settings(model_spec, k, temperature):
        """Validate the settings; load a new model once if it changed."""
        try:
            session_settings = pipe.settings.with_(k=int(k), temperature=float(temperature))
        except (PerspectivesError, TypeError, ValueError) as exc:
            msg = str(exc) if isinstance(exc, PerspectivesError) else f"Not a number: {exc}"
            warn(msg)
            return f"⚠ {H.md_text(msg)}", header_html(pipe)
        spec = (model_spec or "").strip() or "default"
        note = ""
        if spec != pipe.settings.model:
            if spec not in ("default", "stub", startup_model):
                p = Path(spec).expanduser()
                models_dir = pipe.settings.data_dir / "models"
                if not p.resolve().is_relative_to(models_dir.resolve()):
                    # Anyone who can open the page could otherwise make the server read any file
                    # (and learn which files exist) through the model box.
                    msg = (f"For safety the web app only loads models from {models_dir} (copy the .gguf there) or the one it was "
                           "started with (perspectives serve --model PATH). 'default' is the bundled SmolLM2-135M.")
                    warn(msg)
                    return f"⚠ {H.md_text(msg)}", header_html(pipe)
                if not p.is_file():
                    msg = f"Model file not found: {spec}. Give the path to a .gguf file, or 'default' for the bundled SmolLM2-135M."
                    warn(msg)
                    return f"⚠ {H.md_text(msg)}", header_html(pipe)
            from app.llm import load_model

            try:
                opts = {} if spec == "stub" else {"n_ctx": pipe.settings.n_ctx, **({"threads": pipe.settings.threads} if pipe.settings.threads else {})}
                model = load_model(spec, **opts)
            except PerspectivesError as exc:
                warn(str(exc))
                return f"⚠ {H.md_text(exc)}", header_html(pipe)
            pipe.set_model(model)
            pipe.settings = pipe.settings.with_(model=spec)
            note = f" Model **{H.md_text(spec)}** loaded; it stays loaded for everyone using this app."
        return (f"✓ Settings OK: {session_settings.k} passages per article, temperature {session_settings.temperature:g}.{note}"), header_html(pipe)

    return {"waiting": waiting, "chat": chat, "clear": clear, "upload": upload, "reindex": reindex,
            "apply_settings": apply_settings, "index_of": index_of}


def _text(message: dict) -> str:
    """A chat message's text: Gradio 6 hands content back as a list of typed parts."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def answer_files(result) -> tuple[str, str]:
    """The answer as Markdown and JSON files, for the download buttons."""
    from app.render.text import markdown, to_json

    folder = download_dir("answer-")
    md, js = folder / "answer.md", folder / "answer.json"
    md.write_text(markdown(result), encoding="utf-8")
    js.write_text(to_json(result), encoding="utf-8")
    return str(md), str(js)


# -- layout ----------------------------------------------------------------------------------
def build_app(pipe: Pipeline) -> gr.Blocks:
    """The whole app over one pipeline; nothing is launched."""
    h = make_handlers(pipe)
    s = pipe.settings
    # delete_cache: uploads and download files older than a day are removed (checked hourly).
    with gr.Blocks(title="Perspectives", analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        header = gr.HTML(header_html(pipe), elem_id="pv-header", js_on_load=None)
        last_result = gr.State(None)
        history = gr.State([])
        # Settings widgets are created first (the chat and compare events read them) and
        # rendered later, in the Settings tab.
        model_box = gr.Textbox(label="Model file", value=s.model, render=False, elem_id="pv-model",
                               info="'default' = the bundled SmolLM2-135M-Instruct (Q4_1 GGUF); or a path to any .gguf file; 'stub' = deterministic test model.")
        k = gr.Slider(1, 20, value=s.k, step=1, label="Passages per article", info="How many passages are retrieved from each article.", render=False)
        temperature = gr.Slider(0.0, 2.0, value=s.temperature, step=0.05, label="Temperature", info="0 = deterministic (recommended for small models).", render=False)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chatbot = gr.Chatbot(
                    elem_id="pv-chat", height=380, show_label=False, layout="bubble", buttons=["copy"],
                    feedback_options=None, allow_tags=False, render_markdown=True, sanitize_html=True,
                    placeholder="**Ask the articles anything.** Each article answers for itself first; then the answer contrasts them, with numbered sources.",
                )
                with gr.Row(equal_height=True):
                    question = gr.Textbox(placeholder="Ask a question about the articles…", show_label=False, scale=8, lines=1, max_lines=4,
                                          autofocus=True, elem_id="pv-question", submit_btn=False)
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="pv-send")
                    new = gr.Button("New chat", variant="secondary", scale=1, min_width=90)
                gr.Examples(EXAMPLES, inputs=[question], label="Try one of these")
                gr.Markdown("### Viewpoints, article by article", elem_classes=["pv-h"])
                cards = gr.HTML('<div class="pv-empty">Viewpoint cards appear here after a question.</div>', elem_id="pv-cards", js_on_load=None)
                with gr.Accordion("Sources — the passages behind every [n], quoted words highlighted", open=True, elem_id="pv-sources-acc"):
                    sources = gr.HTML('<div class="pv-empty">Sources appear here.</div>', elem_id="pv-sources", js_on_load=None)
                with gr.Row():
                    dl_md = gr.DownloadButton("Download answer (Markdown)", size="sm", variant="secondary", visible=False)
                    dl_json = gr.DownloadButton("Download answer (JSON)", size="sm", variant="secondary", visible=False)

            with gr.Tab("Compare", id="compare"):
                compare = compare_tab(pipe, k, temperature)

            with gr.Tab("Corpus", id="corpus", elem_id="pv-corpus-tab"):
                corpus = gr.HTML(corpus_view(pipe), elem_id="pv-corpus", js_on_load=None)
                with gr.Row():
                    with gr.Column(scale=3):
                        files = gr.File(label=f"Add articles (.txt, .md, saved web pages .html, PDFs; up to {MAX_UPLOAD_BYTES // 1_000_000} MB each)",
                                        file_types=list(ARTICLE_SUFFIXES + ingest.HTML_SUFFIXES + ingest.PDF_SUFFIXES), file_count="multiple",
                                        type="filepath", height=120, elem_id="pv-files")
                        add = gr.Button("Add to corpus and index", variant="primary", elem_id="pv-add-btn")
                        url_box, url_add = url_row(pipe)
                    with gr.Column(scale=2):
                        rebuild = gr.Checkbox(label="Rebuild from scratch (embed every passage again)", value=False)
                        reindex = gr.Button("Re-index", variant="secondary", elem_id="pv-reindex-btn")
                corpus_msg = gr.Markdown(elem_id="pv-corpus-msg")

            with gr.Tab("Settings", id="settings"):
                gr.Markdown("Passages and temperature apply to your own questions. The model applies to everyone using this app and loads once.")
                model_box.render()
                k.render()
                temperature.render()
                apply = gr.Button("Apply", variant="primary", elem_id="pv-apply")
                settings_msg = gr.Markdown(elem_id="pv-settings-msg")

        ask_args = dict(fn=h["chat"], inputs=[question, chatbot, history, k, temperature],
                        outputs=[question, chatbot, cards, sources, history, last_result, dl_md, dl_json],
                        show_progress="full", show_progress_on=[chatbot], **MODEL_QUEUE)
        # A placeholder turn appears at once (outside the queue), then the answer streams in
        # when the model is free. API clients call /ask directly.
        for trigger, api in ((send.click, dict(api_name="ask")), (question.submit, dict(api_visibility="private"))):
            trigger(h["waiting"], inputs=[question, chatbot], outputs=[chatbot], queue=False, api_visibility="private",
                    show_progress="hidden").then(**api, **ask_args)
        new.click(h["clear"], outputs=[chatbot, history, cards, sources, last_result, dl_md, dl_json], api_visibility="private", queue=False)
        added = add.click(h["upload"], inputs=[files], outputs=[corpus_msg, corpus, header, files], api_name="upload", **MODEL_QUEUE)
        reindexed = reindex.click(h["reindex"], inputs=[rebuild], outputs=[corpus_msg, corpus, header], api_name="reindex", **MODEL_QUEUE)
        url_added = wire_url_row(pipe, url_box, url_add, corpus_msg, lambda: (corpus_view(pipe), header_html(pipe)), [corpus, header])
        if compare:  # new articles change the suggested topics
            for ev in (added, reindexed, url_added):
                ev.then(compare["refresh"], outputs=[compare["topic"]], api_visibility="private", **MODEL_QUEUE)
        apply.click(h["apply_settings"], inputs=[model_box, k, temperature], outputs=[settings_msg, header], api_name="settings", **MODEL_QUEUE)
        demo.load(lambda: (corpus_view(pipe), header_html(pipe)), outputs=[corpus, header], api_visibility="private", queue=False)
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo


def compare_tab(pipe: Pipeline, k, temperature) -> dict | None:
    """The Compare tab (app/ui/compare.py)."""
    return build_compare_tab(pipe, k, temperature, MODEL_QUEUE)


def launch(pipe: Pipeline, *, host: str = "127.0.0.1", port: int = 7860, share: bool = False, block: bool = True, quiet: bool = False) -> gr.Blocks:
    """Build and start the app. With `block=False` it returns at once (`demo.local_url` is set)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    demo = build_app(pipe)
    demo.launch(
        server_name=host, server_port=port, share=share, prevent_thread_lock=not block, quiet=quiet,
        theme=theme(), css=CSS, max_file_size=MAX_UPLOAD_BYTES, show_error=False, footer_links=["api", "settings"],
        app_kwargs={"middleware": [Middleware(NoRemoteFiles)]},
    )
    return demo


class NoRemoteFiles:
    """ASGI middleware: refuse Gradio's `/file=<http URL>` route, which would make this server
    fetch any public URL for any client (a local app has no reason to proxy the web)."""

    _REMOTE = re.compile(r"/file[=/]\s*https?:", re.I)

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self._REMOTE.search(unquote(scope.get("path", ""))):
            await send({"type": "http.response.start", "status": 403, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body", "body": b"Remote files are not served by this app."})
            return
        await self.app(scope, receive, send)
