"""The `perspectives` command: index, ask, and (as they land) compare, batch, serve.

A thin shell: it parses flags into `Settings`, calls the same functions the web app and
batch runs use, and turns `PerspectivesError` into one-line messages with a non-zero exit
(tracebacks only with --debug).
"""

from __future__ import annotations

import json
import sys

import click

from app import __version__
from app.cli.batch import batch
from app.cli.common import common_options, load_settings, notify, run_command, setting_option
from app.cli.compare import compare as compare_command, topics as topics_command
from app.cli.config import config
from app.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="perspectives")
def cli():
    """Ask questions about a set of articles and see how each article's view differs.

    Everything runs locally: articles from ./seeds, an embedded ChromaDB index, and a
    small open-weight model through llama.cpp on your CPU.

    \b
    Start here:
      perspectives ask "Did the Chinese government deserve credit for DeepSeek's success?"
      perspectives index            # (re)build the index, with a progress bar
      perspectives ask "..." --json # one JSON object for programs
    """


@cli.command()
@common_options
@click.option("--rebuild", is_flag=True, help="Throw the index away and embed everything again.")
@click.option("--status", "show_status", is_flag=True, help="Only show what is indexed.")
@run_command
def index(rebuild, show_status, **kw):
    """Build or update the index (only new or changed articles are embedded)."""
    from app.pipeline import build_pipeline

    s = load_settings(**kw)
    if show_status:
        from app.index.embed import Embedder
        from app.index.store import open_index

        st = open_index(s.data_dir, Embedder(s.embed_model), chroma_url=s.chroma_url).status()
        click.echo(json.dumps(st, indent=2))
        return
    pipe = build_pipeline(s, progress=True, notify=notify)
    if rebuild:
        pipe.reload(progress=True, force=True)
    click.echo(pipe.sync_report.summary())
    click.echo(f"{len(pipe.articles)} articles, {len(pipe.passages)} passages, stored in {pipe.index.dir}")


@cli.command()
@click.argument("question")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (schema in the README) instead of text.")
@setting_option("k", "-k", "--passages")
@setting_option("temperature")
@run_command
def ask(question, as_json, k, temperature, **kw):
    """Answer QUESTION from every article, with each article's viewpoint and cited sources.

    The per-article viewpoints stream first (one short model call per article), then the
    answer that contrasts them, then the numbered sources. Every [n] is a listed source.
    """
    from app.answer.ask import ask_stream
    from app.pipeline import build_pipeline
    from app.render.text import quotes_text, sources_text, to_json

    s = load_settings(k=k, temperature=temperature, **kw)
    pipe = build_pipeline(s, progress=not as_json, notify=notify)
    result = None
    out = sys.stdout
    for ev in ask_stream(pipe, question):
        if ev.kind == "done":
            result = ev.result
        if as_json:
            continue
        if ev.kind == "viewpoint_start":
            first = ev.article_id == pipe.articles[0].id
            out.write(("Viewpoints\n" if first else "\n") + f"  • {ev.text}\n    ")
        elif ev.kind == "viewpoint":
            out.write(ev.text)
        elif ev.kind == "answer_start":
            out.write("\n\nAnswer\n  ")
        elif ev.kind == "answer":
            out.write(ev.text)
        out.flush()
    if as_json:
        click.echo(to_json(result))
        return
    out.write("\n\nEvidence (verbatim)\n")
    for p in result.perspectives:
        if p["quotes"]:
            out.write(f"  • {p['label']}\n{quotes_text(p)}\n")
    out.write(sources_text(result) + "\n")
    for n in result.notices:
        notify(n)


for command in (batch, serve, config, compare_command, topics_command):
    cli.add_command(command)


def main():
    cli(prog_name="perspectives")


if __name__ == "__main__":
    main()
