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
from app.cli.add import add
from app.cli.batch import batch
from app.cli.common import common_options, load_settings, notify, run_command, setting_option
from app.cli.compare import compare as compare_command, topics as topics_command
from app.cli.config import config
from app.cli.serve import serve
from app.errors import ModelError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="perspectives")
def cli():
    """Ask questions about a set of articles and see how each article's view differs.

    Everything runs locally: articles from ./seeds, an embedded ChromaDB index, and a
    small open-weight model through llama.cpp on your CPU.

    \b
    Start here:
      perspectives ask "Who deserves credit for the company's success?"
      perspectives index            # (re)build the index, with a progress bar
      perspectives add URL|FILE     # add a web page, saved page, PDF or text file
      perspectives ask "..." --json # one JSON object for programs
    """


@cli.command()
@common_options
@click.option("--rebuild", is_flag=True, help="Throw the index away and embed everything again.")
@click.option("--status", "show_status", is_flag=True, help="Only show what is indexed, with each article's outlet, author and date.")
@run_command
def index(rebuild, show_status, **kw):
    """Build or update the index (only new or changed articles are embedded)."""
    from app.pipeline import build_pipeline

    s = load_settings(**kw)
    if show_status:
        from app.index.embed import Embedder
        from app.index.store import open_index

        st = open_index(s.data_dir, Embedder(s.embed_model, cache_dir=s.data_dir / "models"), chroma_url=s.chroma_url).status()
        click.echo(json.dumps(_with_sources(st, s.seeds), indent=2, ensure_ascii=False))
        return
    pipe = build_pipeline(s, progress=True, notify=notify)
    if rebuild:
        pipe.reload(progress=True, force=True)
    click.echo(pipe.sync_report.summary())
    click.echo(f"{len(pipe.articles)} articles, {len(pipe.passages)} passages, stored in {pipe.index.dir}")


def _with_sources(status: dict, seeds) -> dict:
    """Add each indexed article's outlet, author and date (read from its file's front matter)."""
    from dataclasses import asdict

    from app.corpus.articles import load_corpus
    from app.errors import CorpusError

    try:
        sources = {a.id: asdict(a.source) for a in load_corpus(seeds)}
    except CorpusError:
        sources = {}
    for article_id, entry in status.get("articles", {}).items():
        entry["source"] = sources.get(article_id, {"outlet": "unknown", "author": "unknown", "date": "unknown", "url": "unknown"})
    return status


@cli.command()
@click.argument("question")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (schema in the README) instead of text.")
@click.option("--all", "show_all", is_flag=True, help="Every card, not only the strongest (--json: a card for every article, not ids for the silent ones).")
@setting_option("k", "-k", "--passages")
@setting_option("temperature")
@run_command
def ask(question, as_json, show_all, k, temperature, **kw):
    """Answer QUESTION from every article: verbatim evidence first, cited, side by side.

    The answer names which articles address the question and which are silent (for a fact
    question: the sentence that holds the fact). Then each article's key sentences, verbatim.
    Model-written sentences are few, marked, and shown only if the quoted sentences carry
    their numbers, names and words. Every [n] is a listed source.
    """
    from app.answer.ask import ask_stream, may_call_model
    from app.pipeline import build_pipeline
    from app.render.text import AskPrinter, to_json

    s = load_settings(k=k, temperature=temperature, **kw)
    preload = may_call_model(s, question)  # a view question on the bundled model needs none
    pipe = build_pipeline(s, progress=not as_json, notify=notify, preload_model=preload)
    if preload:
        pipe.model.context_size  # noqa: B018 - wait for the model now: a bad --model fails before any output
    printer = None if as_json else AskPrinter(sys.stdout)
    result = None
    for ev in ask_stream(pipe, question, show_all=show_all):
        if ev.kind == "done":
            result = ev.result
        elif printer:
            printer(ev)
    if printer:
        printer.finish(result)
    else:
        click.echo(to_json(result))
    for n in result.notices:
        if n != result.model_error:
            notify(n)
    if result.model_error:  # said once, as the error line, with the model's exit code
        raise ModelError(result.model_error)


for command in (add, batch, serve, config, compare_command, topics_command):
    cli.add_command(command)


def main():
    cli(prog_name="perspectives")


if __name__ == "__main__":
    main()
