"""What every `perspectives` subcommand shares: the common options, settings, error handling.

Command modules import these from here (never from `app.cli.main`), and `main` registers the
commands on its group, so imports point one way: main -> commands -> common.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from app.errors import PerspectivesError
from app.settings import Settings, setting_info


def setting_option(name: str, *decls: str):
    """A Click option for one setting, derived from its declaration in app/settings.py: the
    type and bounds, the help text, the environment variable and the default shown."""
    info = setting_info(name)
    if info.kind is Path:
        kind = click.Path(file_okay=False)
    elif info.choices:
        kind = click.Choice(info.choices, case_sensitive=False)
    elif info.kind in (int, float) and info.lo is not None:
        kind = (click.IntRange if info.kind is int else click.FloatRange)(info.lo, info.hi)
    else:
        kind = info.kind
    return click.option(*(decls or (info.flag,)), name, type=kind, default=None, metavar=info.metavar,
                        help=f"{info.help} [env {info.env}; default: {info.shown_default}]")


def common_options(fn):
    """Options every subcommand takes: where things are, and which model."""
    opts = [
        *(setting_option(name) for name in ("data_dir", "seeds", "model", "llm_url", "chroma_url")),
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
