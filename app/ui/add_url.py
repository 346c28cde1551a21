"""The Corpus tab's "Add from a web address" row: a URL box and an Add button.

A thin shell over app/corpus/ingest.py (the same code as `perspectives add`): fetch and
save one article, re-index, and say what happened in one message (outlet, author and date
when added; why not, when refused). Kept out of app.py so that file only places the row.
Not here: fetching or extraction rules (ingest.py), the corpus table (app.py, html.py).
"""

from __future__ import annotations

from typing import Callable

import gradio as gr

from app.corpus import ingest
from app.errors import PerspectivesError
from app.pipeline import Pipeline
from app.ui import html as H
from app.ui.shared import model_queue, warn


def add_from_url(pipe: Pipeline, url: str) -> str:
    """Fetch `url` into the article folder and re-index; returns the Markdown message."""
    url = (url or "").strip()
    if pipe.settings.web_urls == "off":
        return "Adding from a web address is switched off here (setting web_urls = off)."
    if not url:
        return "Paste the address of one article (https://…) first."
    try:
        result = ingest.add(url, pipe.settings.seeds, public_only=pipe.settings.web_urls != "any")
    except PerspectivesError as exc:
        warn(str(exc))
        return f"⚠ {H.md_text(exc)}"
    lines = [H.md_text(result.message)]
    if result.added:
        try:
            lines.append(H.md_text(pipe.reload(progress=True).summary()))
        except PerspectivesError as exc:  # saved, but the index could not take it now
            warn(str(exc))
            lines.append(f"⚠ {H.md_text(exc)}")
    for notice in result.notices:
        warn(notice)
        lines.append(f"⚠ {H.md_text(notice)}")
    return "\n\n".join(lines)


def url_row(pipe: Pipeline) -> tuple[gr.Textbox, gr.Button]:
    """Place the URL box and its button (inside the caller's layout); hidden when web_urls = off."""
    with gr.Row(equal_height=True, visible=pipe.settings.web_urls != "off"):
        box = gr.Textbox(label="Or add from a web address (fetched once, now: no cookies, no JavaScript)",
                         placeholder="https://www.example.com/news/2025/02/03/an-article", scale=4, elem_id="pv-url")
        button = gr.Button("Add", variant="secondary", scale=1, elem_id="pv-url-btn")
    return box, button


def wire_url_row(pipe: Pipeline, box: gr.Textbox, button: gr.Button, message, views: Callable[[], tuple], outputs: list):
    """Connect the row: the message, then whatever `views()` returns for `outputs` (corpus table, header)."""

    def run(url, progress=gr.Progress(track_tqdm=True)):
        return (add_from_url(pipe, url), *views(), "")

    triggers = dict(fn=run, inputs=[box], outputs=[message, *outputs, box], api_name="add_url", **model_queue(pipe))
    return button.click(**triggers)
