"""`perspectives config`: the effective settings and where each value came from.

Reads exactly what every other command reads (`Settings.load_with_sources`: flags >
environment > config file > defaults). The API key is never shown, only whether it is set.
Not here: writing a config file (print one with --toml and redirect it).
"""

from __future__ import annotations

import json

import click

from app.cli.common import common_options, run_command
from app.settings import Settings, env_name, llm_api_key


@click.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: {setting: {value, source}}.")
@click.option("--toml", "as_toml", is_flag=True, help="Print the effective settings as a config file (to start one from).")
@run_command
def config(as_json, as_toml, debug, config, **kw):
    """Show the effective settings and where each value came from.

    \b
    Precedence: flags > environment (PERSPECTIVES_*) > config file > defaults.
    The config file is flat TOML with the setting names as keys, for example:
      llm_url = "http://gpu-box:8000/v1"
      chroma_url = "http://db-box:8001"
      k = 4
    It is --config / PERSPECTIVES_CONFIG, else ./perspectives.toml, else <data dir>/config.toml.
    """
    s, sources, path = Settings.load_with_sources(config=config, **kw)
    values = {name: (str(v) if v is not None and not isinstance(v, (int, float, str)) else v) for name, v in s.model_dump().items()}
    key_set, key_env = llm_api_key() is not None, env_name("llm_api_key")
    if as_json:
        out = {name: {"value": v, "source": sources[name]} for name, v in values.items()}
        out["llm_api_key"] = {"value": "(set)" if key_set else None, "source": f"env {key_env}" if key_set else "default"}
        click.echo(json.dumps({"config_file": str(path) if path else None, "settings": out}, indent=2))
        return
    if as_toml:
        for name, v in values.items():
            if v is not None:
                click.echo(f"{name} = {json.dumps(v)}")
        return
    click.echo(f"Config file: {path if path else '(none found; see --help)'}")
    width = max(len(n) for n in values)
    for name, v in values.items():
        shown = "-" if v is None else v
        click.echo(f"  {name:<{width}}  {shown!s:<40}  {sources[name]}")
    click.echo(f"  {'llm_api_key':<{width}}  {'(set, not shown)' if key_set else '-':<40}  {'env ' + key_env if key_set else 'default'}")
