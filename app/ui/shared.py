"""Helpers every web tab uses: warnings, the header, the per-session pipeline view, download
folders, and wiring handlers that return their updates by output name.

Also the topics the articles differ on, which the compare tab suggests and the chat turns
into suggested questions. Kept apart from the tab modules (chat, compare, corpus,
settings_tab) so they import it and not each other.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

import gradio as gr

from app.answer.topics import suggest_topics
from app.llm.cores import usable_cores
from app.pipeline import Pipeline
from app.ui import html as H

def model_queue(pipe: Pipeline) -> dict:
    """The queue every handler that uses the model or the index joins: up to `answers_at_once`
    run at once (their model calls share batches; uploads and model changes wait for the
    readers, Pipeline.corpus_lock), the rest wait and see their position."""
    return dict(concurrency_limit=answers_at_once(pipe.settings.web_sessions), concurrency_id="model")


def answers_at_once(web_sessions: int) -> int:
    """The setting, or with 0 one answer per two usable cores (1 to 4). On 2 cores, 8 users x 2
    questions were served fastest one at a time: each answer's retrieval competes with the
    model for the same cores (models.md, "Load")."""
    return web_sessions or max(1, min(4, usable_cores() // 2))


def warn(message) -> None:
    """A warning toast. Gradio renders its text as HTML, so it is escaped first."""
    gr.Warning(H.esc(message))


def header_html(pipe: Pipeline) -> str:
    return (
        '<div class="pv-header"><div><h1>Perspectives</h1>'
        '<p>Ask a question; see what each article says, where they differ, and the exact words that show it.</p></div>'
        f'<div class="pv-chips"><span>{len(pipe.articles)} articles</span><span>{len(pipe.passages)} passages</span>'
        f'<span>model: {H.esc(H.model_display_name(pipe.model_name))}</span><span>offline · local</span></div></div>'
    )


def session_view(pipe: Pipeline, k, temperature) -> Pipeline:
    """The shared pipeline with this user's retrieval/sampling settings (validated).

    A shallow copy: articles, index, retriever and the loaded model are shared, not copied.
    """
    settings = pipe.settings.with_(k=k, temperature=temperature)  # InputError when not a number or out of range
    pipe.model  # noqa: B018 - load once into the shared pipeline before copying it
    return dataclasses.replace(pipe, settings=settings)


DOWNLOADS_KEEP_S = 86400  # download files older than a day are removed when new ones are made


def download_dir(prefix: str) -> Path:
    """A fresh folder for one set of download files, under <tmp>/perspectives-downloads/.

    Gradio serves a copy from its own cache (cleaned by `delete_cache`); our originals are
    pruned here so a long-running app does not fill the disk.
    """
    root = Path(tempfile.gettempdir()) / "perspectives-downloads"
    root.mkdir(exist_ok=True)
    cutoff = time.time() - DOWNLOADS_KEEP_S
    for old in root.iterdir():
        try:
            if old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass
    return Path(tempfile.mkdtemp(prefix=prefix, dir=root))




def by_name(handler: Callable, outputs: dict[str, gr.components.Component]) -> tuple[Callable, list]:
    """Wire a handler that returns (or yields) `{output name: value}` to Gradio, which takes
    `{component: value}`: outputs a result does not name keep their value.

    Returns the function for Gradio and the output list. Handlers stay plain and testable
    (tests read `result["chatbot"]`, not position 1 of an 8-tuple padded with gr.skip()).
    """

    def to_components(update: dict) -> dict:
        return {outputs[name]: value for name, value in update.items()}

    if inspect.isgeneratorfunction(handler):

        @functools.wraps(handler)
        def stream(*args, **kwargs):
            for update in handler(*args, **kwargs):
                yield to_components(update)

        return stream, list(outputs.values())

    @functools.wraps(handler)
    def call(*args, **kwargs):
        return to_components(handler(*args, **kwargs))

    return call, list(outputs.values())


# -- suggestions drawn from the corpus -----------------------------------------------------
SUGGESTED = 8


def topic_choices(pipe: Pipeline, n: int = SUGGESTED) -> list[str]:
    """Topics the articles differ on: key phrases of the current corpus that some articles use
    and others do not (a topic every article discusses separates none of them), written as the
    articles write them ("Jane Smith", not "jane smith")."""
    everyone = len(pipe.articles)
    topics = [t.topic for t in suggest_topics(pipe, n=3 * n) if everyone <= 2 or t.articles < everyone]
    return [as_written(t, pipe.passages) for t in topics[:n]]


def as_written(phrase: str, passages) -> str:
    """`phrase` (lower-cased by the topic finder) with the capitals it has in the articles, from
    a use inside a sentence (a sentence's first capital says nothing about the phrase)."""
    pattern = re.compile(r"\b" + r"\W+".join(re.escape(w) for w in phrase.split()) + r"\b", re.I)
    for p in passages:
        for m in pattern.finditer(p.text):
            if not _sentence_start(p.text, m.start()):
                return " ".join(m.group(0).split())
    return phrase


def _sentence_start(text: str, at: int) -> bool:
    """Whether `at` opens a sentence (its capital says nothing about the phrase)."""
    before = text[:at].rstrip()
    return not before or before[-1] in ".!?\n“\"'"


QUESTION_FORMS = ("What do the articles say about “{}”?", "How do the articles differ on “{}”?", "Which articles discuss “{}”?")


def suggested_questions(pipe: Pipeline, n: int = 4) -> list[str]:
    """Questions about topics the current articles differ on (the chat's "Try one of these")."""
    return [QUESTION_FORMS[i % len(QUESTION_FORMS)].format(t) for i, t in enumerate(topic_choices(pipe, n))]
