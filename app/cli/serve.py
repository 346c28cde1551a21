"""`perspectives serve`: the Gradio web app on this machine.

The pipeline (index, embedder, model) is built once per process, before the server starts,
so the first question does not pay for loading. Binds to 127.0.0.1 unless told otherwise;
a public share link only with --share.
"""

from __future__ import annotations

import click

from app.cli.common import common_options, load_settings, notify, run_command


@click.command()
@common_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (0.0.0.0 = every interface on your network).")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True, help="Port to listen on.")
@click.option("--share", is_flag=True, help="Also create a public gradio.live link (sends traffic through Gradio's servers). Off by default.")
@run_command
def serve(host, port, share, **kw):
    """Start the web app: chat with cited per-article viewpoints, compare, corpus.

    \b
    Example:
      perspectives serve                 # http://127.0.0.1:7860
      perspectives serve --port 8080 --model stub
    """
    from app.pipeline import build_pipeline
    from app.ui.app import launch

    s = load_settings(**kw)
    pipe = build_pipeline(s, progress=True, notify=notify, preload_model=True)
    click.echo(f"Loading the model ({s.model})…", err=True)
    pipe.model.context_size  # noqa: B018 - load once now (a bad model fails here), not on the first question
    click.echo(f"{len(pipe.articles)} articles, {len(pipe.passages)} passages. Serving on http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}  (Ctrl+C to stop)")
    if share:
        notify("--share: a public link will be created; anyone with it can use this app and read your articles.")
    launch(pipe, host=host, port=port, share=share, block=True, quiet=True)
