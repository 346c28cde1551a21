"""The Gradio web app: chat, compare, corpus and settings tabs over one shared pipeline.

`build_app(pipe)` returns a `gr.Blocks` without launching it (tests build it as is);
`launch(pipe, ...)` starts the server with the app's theme and CSS (Gradio 6 takes both in
`launch()`). The UI is a thin shell: each tab (chat.py, compare.py, corpus.py,
settings_tab.py) lays out its components and wires its named event handlers; this module
puts the tabs together and launches them.

Concurrency: every event that touches the model or the index joins one queue
(`concurrency_id="model"`) that runs up to `web_sessions` of them at once (default: one per two cores): their
model calls are decoded together in shared batches (app/llm/sharing.py), and an upload or
a model change waits until no retrieval is in flight (Pipeline.corpus_lock). Other users
see their queue position until their turn. Settings a user changes (passages per article,
temperature) apply to that user's requests only; a model change applies to the process and
loads the model once.
Not here: HTML rendering (html.py), event handlers (the tab modules), anything the pipeline decides.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote

import gradio as gr
from starlette.middleware import Middleware

from app.pipeline import Pipeline
from app.ui import chat, corpus, settings_tab
from app.ui.compare import build_compare_tab
from app.ui.corpus import MAX_UPLOAD_BYTES
from app.ui.css import CSS
from app.ui.shared import model_queue, header_html


def theme():
    # System fonts only: the app must work offline (no Google Fonts request).
    return gr.themes.Soft(
        primary_hue="indigo", neutral_hue="slate", radius_size="lg",
        font=["Inter", "ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


def build_app(pipe: Pipeline) -> gr.Blocks:
    """The whole app over one pipeline; nothing is launched."""
    # delete_cache: uploads and download files older than a day are removed (checked hourly).
    with gr.Blocks(title="Perspectives", analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        header = gr.HTML(header_html(pipe), elem_id="pv-header", js_on_load=None)
        # Settings widgets are created first (the chat and compare events read them) and
        # rendered later, in the Settings tab.
        settings_ui = settings_tab.widgets(pipe.settings)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chat_ui = chat.layout(pipe)
            with gr.Tab("Compare", id="compare"):
                compare = build_compare_tab(pipe, settings_ui["k"], settings_ui["temperature"], model_queue(pipe))
            with gr.Tab("Corpus", id="corpus", elem_id="pv-corpus-tab"):
                corpus_ui = corpus.layout(pipe)
            with gr.Tab("Settings", id="settings"):
                settings_tab.layout(settings_ui)
        chat.wire(pipe, chat_ui, settings_ui["k"], settings_ui["temperature"])
        suggest, suggested = chat.suggester(pipe, chat_ui)
        for changed in corpus.wire(pipe, corpus_ui, header):  # new articles change the suggested topics and questions
            changed.then(compare["refresh"], outputs=[compare["topic"]], api_visibility="private", **model_queue(pipe))
            changed.then(suggest, outputs=suggested, api_visibility="private", queue=False)
        settings_tab.wire(pipe, settings_ui, header)
        refresh, outputs = corpus.refresher(pipe, corpus_ui, header)
        demo.load(refresh, outputs=outputs, api_visibility="private", queue=False)
        demo.load(suggest, outputs=suggested, api_visibility="private", queue=False)
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo


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
