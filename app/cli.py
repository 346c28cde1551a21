"""The `perspectives` command: index, ask, and (as they land) compare, batch, serve.

A thin shell: it parses flags into `Settings`, calls the same functions the web app and
batch runs use, and turns `PerspectivesError` into one-line messages with a non-zero exit
(tracebacks only with --debug).
"""

from __future__ import annotations

import functools
import json
import sys

import click

from . import __version__
from .errors import PerspectivesError
from .settings import Settings


def _common(fn):
    """Options every subcommand takes: where things are, and which model."""
    opts = [
        click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where the index lives [env PERSPECTIVES_DATA_DIR; default: your user data dir]."),
        click.option("--seeds", type=click.Path(file_okay=False), default=None, help="Folder of articles (.txt/.md) [env PERSPECTIVES_SEEDS; default: ./seeds]."),
        click.option("--model", "model", default=None, metavar="default|stub|PATH.gguf", help="Model: the bundled SmolLM2-135M (default), the deterministic stub, or any GGUF file [env PERSPECTIVES_MODEL]."),
        click.option("--llm-url", default=None, metavar="URL", help="Use an OpenAI-compatible model server instead of --model, e.g. http://127.0.0.1:8000/v1 [env PERSPECTIVES_LLM_URL; model name PERSPECTIVES_LLM_MODEL, key PERSPECTIVES_LLM_API_KEY]."),
        click.option("--chroma-url", default=None, metavar="URL", help="Use a Chroma server (chroma run) instead of the embedded store, e.g. http://127.0.0.1:8001 [env PERSPECTIVES_CHROMA_URL]."),
        click.option("--config", "config", type=click.Path(dir_okay=False), default=None, help="TOML settings file [env PERSPECTIVES_CONFIG; default: ./perspectives.toml, else <data dir>/config.toml]. See: perspectives config"),
        click.option("--debug", is_flag=True, help="Show full tracebacks on errors."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def _settings(**kw) -> Settings:
    kw.pop("debug", None)
    return Settings.load(**kw)


def _run(fn):
    """Turn our errors into a one-line message and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        debug = kwargs.get("debug", False)
        try:
            return fn(*args, **kwargs)
        except PerspectivesError as exc:
            if debug:
                raise
            click.secho(f"Error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("\nInterrupted.", err=True)
            sys.exit(130)

    return wrapper


def _notify(msg: str) -> None:
    click.secho(msg, fg="yellow", err=True)


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
@_common
@click.option("--rebuild", is_flag=True, help="Throw the index away and embed everything again.")
@click.option("--status", "show_status", is_flag=True, help="Only show what is indexed.")
@_run
def index(rebuild, show_status, **kw):
    """Build or update the index (only new or changed articles are embedded)."""
    from .pipeline import build_pipeline

    s = _settings(**kw)
    if show_status:
        from .embed import Embedder
        from .index import Index

        st = Index(s.data_dir, Embedder(s.embed_model)).status()
        click.echo(json.dumps(st, indent=2))
        return
    pipe = build_pipeline(s, progress=True, notify=_notify)
    if rebuild:
        pipe.reload(progress=True, force=True)
    click.echo(pipe.sync_report.summary())
    click.echo(f"{len(pipe.articles)} articles, {len(pipe.passages)} passages, stored in {pipe.index.dir}")


@cli.command()
@click.argument("question")
@_common
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (schema in the README) instead of text.")
@click.option("-k", "--passages", "k", type=click.IntRange(1, 20), default=None, help="Passages retrieved per article [default: 3].")
@click.option("--temperature", type=click.FloatRange(0, 2), default=None, help="Sampling temperature [default: 0, deterministic].")
@_run
def ask(question, as_json, k, temperature, **kw):
    """Answer QUESTION from every article, with each article's viewpoint and cited sources.

    The per-article viewpoints stream first (one short model call per article), then the
    answer that contrasts them, then the numbered sources. Every [n] is a listed source.
    """
    from .perspectives import ask_stream
    from .pipeline import build_pipeline
    from .render import quotes_text, sources_text, to_json

    s = _settings(k=k, temperature=temperature, **kw)
    pipe = build_pipeline(s, progress=not as_json, notify=_notify)
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
        _notify(n)


from .cli_batch import batch  # noqa: E402  (imports the helpers above)

cli.add_command(batch)
from .cli_serve import serve  # noqa: E402

cli.add_command(serve)
from .cli_config import config  # noqa: E402

cli.add_command(config)

from .cli_compare import compare as _compare_cmd, topics as _topics_cmd  # noqa: E402

cli.add_command(_compare_cmd)
cli.add_command(_topics_cmd)


def main():
    cli(prog_name="perspectives")


if __name__ == "__main__":
    main()
