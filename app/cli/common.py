"""What every `perspectives` subcommand shares: the common options, settings, error handling.

Command modules import these from here (never from `app.cli.main`), and `main` registers the
commands on its group, so imports point one way: main -> commands -> common.
"""

from __future__ import annotations

import functools
import sys

import click

from app.errors import PerspectivesError
from app.settings import Settings


def common_options(fn):
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


def load_settings(**kw) -> Settings:
    kw.pop("debug", None)
    return Settings.load(**kw)


def run_command(fn):
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


def notify(msg: str) -> None:
    click.secho(msg, fg="yellow", err=True)
