"""Helpers both web tabs use: warnings, the per-session pipeline view, download folders.

Kept apart from app.py and compare.py so the two tabs import it and not each other.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr

from app.errors import InputError
from app.pipeline import Pipeline
from app.ui import html as H

MODEL_QUEUE = dict(concurrency_limit=1, concurrency_id="model")


def warn(message) -> None:
    """A warning toast. Gradio renders its text as HTML, so it is escaped first."""
    gr.Warning(H.esc(message))


def session_view(pipe: Pipeline, k, temperature) -> Pipeline:
    """The shared pipeline with this user's retrieval/sampling settings (validated).

    A shallow copy: articles, index, retriever and the loaded model are shared, not copied.
    """
    try:
        k, temperature = int(k), float(temperature)
    except (TypeError, ValueError) as exc:
        raise InputError(f"Passages per article and temperature must be numbers (got {k!r}, {temperature!r}).") from exc
    settings = pipe.settings.with_(k=k, temperature=temperature)  # raises InputError when out of range
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


