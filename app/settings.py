"""Every setting, declared once: default, bounds, environment name and help text.

Each field of `Settings` (pydantic-settings) carries its default, its bounds (`ge`/`le`) or
choices, a short title and a help text; its environment variable is the field name
upper-cased with the prefix (`PERSPECTIVES_K`), its config-file key is the field name. The
CLI's options (app/cli/common.py), `perspectives config` and the web app's Settings tab are
all derived from these declarations through `setting_info()`.

Precedence (`Settings.load`): command-line flags > environment (`PERSPECTIVES_*`) > config
file > defaults. The config file is the first of: `--config` / `PERSPECTIVES_CONFIG`,
`./perspectives.toml`, `<data_dir>/config.toml` (data_dir from flags, environment or the
default). Relative paths in it are relative to the file. Each layer is checked on its own,
so a bad value is named with where it came from. `Settings(...)` itself reads nothing but
its arguments (tests and the benchmark build it directly).
Secrets are not settings: the model server's API key is read from PERSPECTIVES_LLM_API_KEY
only (`llm_api_key()`; never from the file, never printed). Nothing outside this module
reads our environment variables.
Not here: turning settings into model options (app/pipeline.py).
"""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import annotated_types
from pydantic import Field, TypeAdapter, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from app.errors import InputError
from app.resources import SEEDS_DIR
from app.rules import Rules

ENV_PREFIX = "PERSPECTIVES_"
QUANT_CHOICES = ("Q8_0", "F16", "off")
SCHEMA_MODE_CHOICES = ("auto", "json_object", "json_schema", "none")
PARAPHRASE_CHOICES = ("auto", "on", "off")


def setting(default: Any, title: str, help: str, *, shown_default: str | None = None, metavar: str | None = None,
            choices: tuple[str, ...] | None = None, expect: str | None = None, **constraints) -> Any:
    """One setting's declaration: a pydantic Field with its bounds (`ge`, `le`, `pattern`) and
    what the CLI and the web app show (title, help, shown default, choices). `expect` words a
    pattern for error messages ("an http:// or https:// URL")."""
    if choices:
        expect = expect or f"{', '.join(choices[:-1])} or {choices[-1]}"
    extra = {"shown_default": shown_default, "metavar": metavar, "choices": choices, "expect": expect}
    return Field(default, title=title, description=help, json_schema_extra={k: v for k, v in extra.items() if v is not None}, **constraints)


HTTP_URL = r"^https?://"


class Settings(BaseSettings):
    """The effective settings. Frozen: change one with `with_(...)`, which validates again."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True, extra="forbid", validate_default=True)

    data_dir: Path | None = setting(None, "Data folder", "Where the index and caches live.", shown_default="your user data dir")
    seeds: Path | None = setting(None, "Article folder", "Folder of articles (.txt/.md).", shown_default="./seeds, else the bundled articles")
    model: str = setting("default", "Model", "The bundled SmolLM2-135M (default), the deterministic stub, or any GGUF file.",
                         metavar="default|stub|PATH.gguf")
    n_ctx: int = setting(2048, "Context size", "llama.cpp context size, in tokens.", ge=256, le=131072)
    default_quant: str = setting("Q8_0", "Stored type of the bundled model",
                                 "The bundled Q4_1 model is re-stored once as Q8_0 (or F16) in the data dir for speed; 'off' = as shipped.",
                                 choices=QUANT_CHOICES, pattern=r"(?i)^(q8_0|f16|off|q4_1|)$")  # q4_1 and "" also mean "as shipped"
    threads: int = setting(0, "Threads", "llama.cpp threads; 0 = the usable cores minus those busy with other work when the model loads.",
                           ge=0, le=1024)
    k: int = setting(3, "Passages per article", "How many passages are retrieved from each article.", ge=1, le=20)
    candidates: int = setting(16, "Articles read per question", "How many articles, found over the whole corpus first, are read "
                              "closely for a question; the others are counted as not discussing it. The cost of a question "
                              "grows with this, not with the corpus.", ge=2, le=200)
    shown: int = setting(6, "Articles shown", "Articles named in an answer and cards shown before 'show more' (--all shows every one).",
                         ge=1, le=100)
    quotes: int = setting(2, "Quotes per article", "Verbatim quotes shown per article.", ge=0, le=5)
    floor: float = setting(Rules.model_fields["silence_floor"].default, "Relevance floor", "An article whose closest sentence has a cosine similarity with the question below this "
                          "does not address it, whatever its words (one of several silence rules; models.md).", ge=-1, le=1)
    temperature: float = setting(0.0, "Temperature", "Sampling temperature; 0 = deterministic (recommended for small models).", ge=0, le=2)
    max_question_chars: int = setting(1000, "Longest question", "Longer questions are cut to this many characters, with a notice.",
                                      ge=1, le=1_000_000)
    paraphrase: str = setting("auto", "Model sentences about views", "Ask the model for a one-sentence paraphrase of each article's evidence "
                              "and, for a view question, sentences contrasting the articles (each shown only when it passes the "
                              "support check). auto: only for models of 1B parameters or more, or of unknown size (a model "
                              "server); smaller ones wrote few or none that passed (models.md).",
                              choices=PARAPHRASE_CHOICES, pattern=r"^(auto|on|off)$")
    viewpoint_tokens: int = setting(60, "Viewpoint length", "Most tokens of one article's viewpoint.", ge=1, le=4096)
    answer_tokens: int = setting(160, "Answer length", "Most tokens of the contrast answer.", ge=1, le=4096)
    chroma_url: str | None = setting(None, "Chroma server", "Use a Chroma server (chroma run) instead of the embedded store, e.g. http://127.0.0.1:8001.",
                                     metavar="URL", shown_default="the embedded store", pattern=HTTP_URL, expect="an http:// or https:// URL")
    llm_url: str | None = setting(None, "Model server", "Use an OpenAI-compatible model server instead of --model, e.g. http://127.0.0.1:8000/v1 "
                                  "(model name: llm_model; API key: PERSPECTIVES_LLM_API_KEY).", metavar="URL", shown_default="the in-process model",
                                  pattern=HTTP_URL, expect="an http:// or https:// URL")
    llm_model: str | None = setting(None, "Served model name", "Model name sent to the model server.", shown_default="the first it lists")
    llm_timeout: float = setting(120.0, "Model server timeout", "Seconds the model server may stay silent before we give up.", ge=1, le=3600)
    llm_schema_mode: str = setting("auto", "JSON output form", "How the model server is asked for JSON: auto tries json_object, then json_schema, then none.",
                                   choices=SCHEMA_MODE_CHOICES, pattern=r"^(auto|json_object|json_schema|none)$")
    embed_model: str = setting("", "Embedding model", "An ONNX file compatible with all-MiniLM-L6-v2's tokenizer.", shown_default="the bundled int8 model")
    extra_bufts: bool | None = setting(None, "llama.cpp extra buffer types", "AMX/repacked weights in llama.cpp (true/false). Even when "
                                       "true, they are used only once a probe has shown they work on this CPU.",
                                       shown_default="on where a probe has shown they work on this CPU")
    model_process: str = setting("worker", "Where llama.cpp runs", "worker: in a process of its own, restarted after a crash, so a "
                                 "crash costs one answer; inline: in this process (a crash ends it).",
                                 choices=("worker", "inline"), pattern=r"^(worker|inline)$")
    web_urls: str = setting("public", "Web addresses in the web app", "What the web app's 'add from a web address' may fetch: public "
                            "(internet addresses only), any (also this machine and the local network), off.",
                            choices=("public", "any", "off"), pattern=r"^(public|any|off)$")
    web_sessions: int = setting(0, "Answers at once (web app)", "How many questions the web app works on at the same time; their model "
                                "calls are decoded together in one batch. More wait in a queue that shows their position. "
                                "0 = one per two usable cores, at most 4 (on 2 cores one at a time was fastest, models.md).",
                                ge=0, le=8)
    stub_delay: float = setting(0.0, "Stub delay", "Seconds per stub model call, to test slow runs (stub model only).", ge=0, le=60)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        return (init_settings,)  # Settings(...) reads only its arguments; `load` adds the other layers

    def __init__(self, **values):
        _reject_unknown(values)
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise InputError(_first_problem(exc, "")) from None

    @field_validator("data_dir")
    @classmethod
    def _data_dir(cls, value: Path | None) -> Path:
        return value.expanduser() if value else _default_data_dir()

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, value: Path | None) -> Path:
        return value.expanduser() if value else _default_seeds()

    @classmethod
    def load(cls, *, config: str | Path | None = None, **flags) -> "Settings":
        """Defaults, then the config file, then environment, then the given (non-None) flags."""
        return cls.load_with_sources(config=config, **flags)[0]

    @classmethod
    def load_with_sources(cls, *, config: str | Path | None = None, **flags) -> tuple["Settings", dict[str, str], Path | None]:
        """The settings, where each value came from ("default", "file …", "env …", "flag"), and the file read."""
        _reject_unknown(flags)
        flags = {k: v for k, v in flags.items() if v is not None}
        env = EnvSettingsSource(cls)()
        path = config_path(config, flags.get("data_dir") or env.get("data_dir"))
        layers = [(read_config(path), f"file {path}"), (env, "env"), (flags, "flag")] if path else [(env, "env"), (flags, "flag")]
        values, sources = {}, {name: "default" for name in cls.model_fields}
        for layer, label in layers:
            _check_layer(layer, label)
            for name, value in layer.items():
                values[name] = value
                sources[name] = f"env {env_name(name)}" if label == "env" else label
        return cls(**values), sources, path

    def with_(self, **changes) -> "Settings":
        """A copy with `changes`, validated like any other (InputError for an out-of-range value)."""
        return type(self)(**{**self.model_dump(), **changes})


# -- what the CLI and the web app show for each setting --------------------------------------
@dataclass(frozen=True)
class SettingInfo:
    name: str
    title: str
    help: str
    env: str
    default: Any
    shown_default: str
    kind: type  # int, float, str, bool or Path
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    expect: str | None = None  # what a value must look like, for error messages

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def setting_info(name: str) -> SettingInfo:
    """The declaration of one setting, in the terms a front end needs."""
    f = Settings.model_fields[name]
    extra = f.json_schema_extra or {}
    lo = next((m.ge for m in f.metadata if isinstance(m, annotated_types.Ge)), None)
    hi = next((m.le for m in f.metadata if isinstance(m, annotated_types.Le)), None)
    kind = next((t for t in (bool, int, float, Path, str) if t in _types(f.annotation)), str)
    shown = extra.get("shown_default") or ("-" if f.default is None else str(f.default))
    return SettingInfo(name, f.title or name, f.description or "", env_name(name), f.default, shown, kind, lo, hi,
                       tuple(extra.get("choices") or ()), extra.get("metavar"), extra.get("expect"))


def _reject_unknown(values: dict) -> None:
    """A misspelt setting name is a programming error, not user input."""
    unknown = set(values) - set(Settings.model_fields)
    if unknown:
        raise TypeError(f"Unknown settings: {', '.join(sorted(unknown))}")


def _types(annotation) -> tuple:
    return getattr(annotation, "__args__", None) or (annotation,)


def llm_api_key() -> str | None:
    """The model server's API key: environment only, never a setting (not in files, not printed)."""
    return os.environ.get(ENV_PREFIX + "LLM_API_KEY") or None


# -- defaults that depend on the machine ------------------------------------------------------
def _default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("perspectives", appauthor=False))


def _default_seeds() -> Path:
    local = Path.cwd() / "seeds"
    return local if local.is_dir() else SEEDS_DIR


# -- the config file ---------------------------------------------------------------------------
def config_path(explicit: str | Path | None, data_dir: str | Path | None) -> Path | None:
    """The config file to read, or None. An explicitly named file must exist."""
    explicit = explicit or os.environ.get(ENV_PREFIX + "CONFIG") or None
    if explicit:
        p = Path(explicit).expanduser()
        if not p.is_file():
            raise InputError(f"Config file not found: {p}. Pass --config to an existing TOML file (or unset PERSPECTIVES_CONFIG).")
        return p
    for p in (Path.cwd() / "perspectives.toml", (Path(data_dir).expanduser() if data_dir else _default_data_dir()) / "config.toml"):
        if p.is_file():
            return p
    return None


def read_config(path: Path) -> dict:
    """Flat TOML: `key = value` per setting; unknown keys are errors, not ignored."""
    try:
        data = TomlConfigSettingsSource(Settings, toml_file=path)()
    except OSError as exc:
        raise InputError(f"Cannot read the config file {path}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"The config file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"The config file {path} is not valid TOML: {exc}.") from exc
    out = {}
    for key, value in data.items():
        if isinstance(value, str) and "\x00" in value:
            raise InputError(f"{path}: {key} contains a NUL character (\\u0000); remove it.")
        if key in ("llm_api_key", "api_key"):
            raise InputError(f"{path}: API keys are not read from files; set the environment variable PERSPECTIVES_LLM_API_KEY instead.")
        if key not in Settings.model_fields:
            raise InputError(f"{path}: unknown setting {key!r}. Known: {', '.join(Settings.model_fields)}.")
        if setting_info(key).kind is Path and isinstance(value, str):
            value = (path.parent / Path(value).expanduser()).resolve()
        out[key] = value
    return out


# -- errors: one line, naming the setting and where its value came from -----------------------
TYPE_WORDS = {int: "int", float: "float", str: "a string", bool: "true or false", Path: "a path string"}


def _check_layer(layer: dict, label: str) -> None:
    """Validate one layer's values alone, so a bad one is named with its source. File values
    are strict (TOML has types: `k = "4"` or `k = true` is a mistake); environment values are text."""
    for name, value in layer.items():
        try:
            _adapter(name).validate_python(value, strict=label.startswith("file"))
        except ValidationError as exc:
            raise InputError(_first_problem(exc, label, name, value)) from None


@functools.cache
def _adapter(name: str) -> TypeAdapter:
    """A validator for one setting: its type and constraints (the model-level defaults aside)."""
    f = Settings.model_fields[name]
    return TypeAdapter(Annotated[f.annotation, *f.metadata] if f.metadata else f.annotation)


def _first_problem(exc: ValidationError, label: str, name: str | None = None, value: Any = None) -> str:
    err = exc.errors()[0]
    name = name or (str(err["loc"][0]) if err["loc"] else "")
    if name not in Settings.model_fields:
        return str(err["msg"])
    info = setting_info(name)
    value = value if value is not None else err.get("input")
    is_type = err["type"].endswith(("_parsing", "_type")) or err["type"] in ("int_from_float", "is_instance_of")
    if label == "env":
        return (f"Environment variable {info.env}={value!r} is not a valid {TYPE_WORDS[info.kind]}." if is_type
                else f"Environment variable {info.env}={value!r}: {_problem(err, info, value)}")
    if label.startswith("file"):
        where = label[len("file "):]
        return f"{where}: {name} = {value!r} should be {TYPE_WORDS[info.kind]}." if is_type else f"{where}: {name}: {_problem(err, info, value)}"
    return f"{info.title} ({name}) should be {TYPE_WORDS[info.kind]}, got {value!r}." if is_type else _problem(err, info, value)


def _problem(err: dict, info: SettingInfo, value: Any) -> str:
    if err["type"] in ("greater_than_equal", "less_than_equal") and info.lo is not None and info.hi is not None:
        if info.kind is int:
            return f"{info.title} must be {info.lo}-{info.hi}, got {value}."
        return f"{info.title} must be between {info.lo:g} and {info.hi:g}, got {value}."
    if err["type"] == "string_pattern_mismatch" and info.expect:
        return f"{info.name} must be {info.expect}, got {value!r}."
    return f"{info.name}: {err['msg']}, got {value!r}."
