"""Settings in one place: each is declared once (app/settings.py) and the CLI, `perspectives config`
and the environment all follow that declaration. (Precedence through a real config file is in
tests/test_servers.py; the web app's Settings tab in tests/test_ui.py.)"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli.main import cli
from app.errors import InputError
from app.settings import Settings, setting_info

APP = Path(__file__).resolve().parent.parent / "app"


def test_the_passages_help_is_written_once_and_every_command_shows_it():
    k = setting_info("k")
    for command in ("ask", "batch", "compare"):
        out = CliRunner().invoke(cli, [command, "--help"], terminal_width=200).output
        assert " ".join(out.split()).count(k.help) == 1, command
        assert f"[env {k.env}; default: {k.default}]" in out and f"[{k.lo}<=x<={k.hi}]" in out
    written = [p for p in APP.rglob("*.py") if k.help in p.read_text(encoding="utf-8")]
    assert written == [APP / "settings.py"]


@pytest.mark.parametrize("name, flag, value, message", [
    ("k", "-k", "21", "21 is not in the range 1<=x<=20"),
    ("temperature", "--temperature", "2.5", "2.5 is not in the range 0<=x<=2"),
])
def test_cli_bounds_come_from_the_declaration(name, flag, value, message):
    info = setting_info(name)
    assert f"{info.lo}<=x<={info.hi}" in message  # the bounds the message shows are the declared ones
    res = CliRunner().invoke(cli, ["ask", flag, value, "q"])
    assert res.exit_code == 2 and message in res.output


def test_every_setting_is_listed_by_config_with_its_source(monkeypatch, tmp_path):
    monkeypatch.setenv("PERSPECTIVES_STUB_DELAY", "0.5")
    res = CliRunner().invoke(cli, ["config", "--json", "--model", "stub"])
    assert res.exit_code == 0, res.output
    shown = json.loads(res.output)["settings"]
    assert set(shown) == set(Settings.model_fields) | {"llm_api_key"}
    assert shown["stub_delay"] == {"value": 0.5, "source": "env PERSPECTIVES_STUB_DELAY"}
    assert shown["model"] == {"value": "stub", "source": "flag"} and shown["k"]["source"] == "default"


@pytest.mark.parametrize("env, message", [
    ({"PERSPECTIVES_N_CTX": "100"}, "Environment variable PERSPECTIVES_N_CTX='100': Context size must be 256-131072, got 100."),
    ({"PERSPECTIVES_EXTRA_BUFTS": "maybe"}, "Environment variable PERSPECTIVES_EXTRA_BUFTS='maybe' is not a valid true or false."),
    ({"PERSPECTIVES_LLM_URL": "gpu-box:8000"}, "llm_url must be an http:// or https:// URL, got 'gpu-box:8000'."),
    ({"PERSPECTIVES_LLM_SCHEMA_MODE": "xml"}, "llm_schema_mode must be auto, json_object, json_schema or none, got 'xml'."),
])
def test_a_bad_environment_value_is_named_with_its_variable(env, message, monkeypatch):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    res = CliRunner().invoke(cli, ["config"])
    assert res.exit_code == 2 and message in res.output


def test_settings_built_directly_read_no_environment_and_changes_are_validated(monkeypatch, tmp_path):
    monkeypatch.setenv("PERSPECTIVES_K", "7")
    s = Settings(data_dir=tmp_path)
    assert s.k == 3 and Settings.load(data_dir=tmp_path).k == 7
    assert s.with_(k=5).k == 5 and s.k == 3
    with pytest.raises(InputError, match="Passages per article must be 1-20, got 0"):
        s.with_(k=0)
    with pytest.raises(TypeError, match="Unknown settings: passages"):
        s.with_(passages=3)


def _environment_reads(tree: ast.AST) -> list[int]:
    """Lines that read an environment variable (os.environ[...], .get, os.getenv) other than a
    third-party library's own switch written with setdefault (GRADIO_*)."""
    lines = []
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "environ":
            target = node
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "getenv", "setdefault", "pop"):
            owner = node.func.value
            if node.func.attr == "getenv" or (isinstance(owner, ast.Attribute) and owner.attr == "environ"):
                first = node.args[0] if node.args else None
                third_party = isinstance(first, ast.Constant) and str(first.value).startswith("GRADIO_") and node.func.attr == "setdefault"
                target = None if third_party else node
        if target is not None:
            lines.append(target.lineno)
    return lines


def test_nothing_outside_settings_reads_our_environment_variables():
    found = {str(p.relative_to(APP.parent)): _environment_reads(ast.parse(p.read_text(encoding="utf-8")))
             for p in APP.rglob("*.py") if p.name != "settings.py" or p.parent != APP}
    assert {f: lines for f, lines in found.items() if lines} == {}
    assert _environment_reads(ast.parse("import os\nx = os.environ.get('PERSPECTIVES_K')\ny = os.getenv('A')\n")) == [2, 3]
