"""One settings object with documented defaults.

Precedence: command-line flags > environment (`PERSPECTIVES_*`) > config file > defaults.
Every field's environment variable is its name upper-cased with the prefix, e.g.
`PERSPECTIVES_DATA_DIR`; its config-file key is the field name (flat TOML, e.g. `k = 4`).
The config file is the first of: `--config` / `PERSPECTIVES_CONFIG`, `./perspectives.toml`,
`<data_dir>/config.toml` (data_dir from flags, environment or the default). Relative paths
in it are relative to the file. `perspectives config` shows each value and its source.
Secrets are not settings: the model server's API key is read from PERSPECTIVES_LLM_API_KEY
only (never from the file, never printed).
Not here: reading settings from the UI (the UI builds a Settings with `replace`).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from app.errors import InputError
from app.resources import SEEDS_DIR

ENV_PREFIX = "PERSPECTIVES_"


def _default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("perspectives", appauthor=False))


def _default_seeds() -> Path:
    local = Path.cwd() / "seeds"
    return local if local.is_dir() else SEEDS_DIR


@dataclass(frozen=True)
class Settings:
    data_dir: Path | None = None  # index and caches; default: the user's data dir (platformdirs)
    seeds: Path | None = None  # article folder; default: ./seeds, else the project's seeds/
    model: str = "default"  # "default" (bundled SmolLM2-135M), "stub", or a path to a .gguf
    n_ctx: int = 2048  # llama.cpp context size (tokens)
    default_quant: str = "Q8_0"  # the bundled Q4_1 model is re-stored once as Q8_0 (or F16) in data_dir for speed; "off" = as shipped
    threads: int = 0  # 0 = auto: the usable cores minus those busy with other work when the model loads (at least 1)
    k: int = 3  # passages retrieved per article
    quotes: int = 2  # verbatim quotes per article
    floor: float = 0.3  # cosine similarity below which an article "does not address" the question
    temperature: float = 0.0
    max_question_chars: int = 1000  # longer questions are truncated, with a notice
    viewpoint_tokens: int = 60  # max tokens of one article's viewpoint (map step)
    answer_tokens: int = 160  # max tokens of the contrast answer (reduce step)
    chroma_url: str | None = None  # use a Chroma server instead of the embedded store
    llm_url: str | None = None  # an OpenAI-compatible model server (e.g. http://127.0.0.1:8000/v1) instead of `model`
    llm_model: str | None = None  # model name sent to that server; default: the first it lists
    llm_timeout: float = 120.0  # seconds the model server may stay silent before we give up
    embed_model: str = ""  # an ONNX file compatible with all-MiniLM-L6-v2's tokenizer; default: the bundled int8 model
    web_urls: str = "public"  # the web app's "add from a web address": public (internet only), any (also this machine and local network), off

    def __post_init__(self):
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser() if self.data_dir else _default_data_dir())
        object.__setattr__(self, "seeds", Path(self.seeds).expanduser() if self.seeds else _default_seeds())
        if not 1 <= self.k <= 20:
            raise InputError(f"Passages per article must be 1-20, got {self.k}.")
        if not 0 <= self.quotes <= 5:
            raise InputError(f"Quotes per article must be 0-5, got {self.quotes}.")
        if not 0.0 <= self.temperature <= 2.0:
            raise InputError(f"Temperature must be between 0 and 2, got {self.temperature}.")
        if not -1.0 <= self.floor <= 1.0:
            raise InputError(f"Relevance floor must be between -1 and 1, got {self.floor}.")
        if not 256 <= self.n_ctx <= 131072:
            raise InputError(f"Context size must be 256-131072 tokens, got {self.n_ctx}.")
        if str(self.default_quant).upper() not in ("Q8_0", "F16", "OFF", "Q4_1", ""):
            raise InputError(f"default_quant must be Q8_0, F16 or off, got {self.default_quant!r}.")
        if self.web_urls not in ("public", "any", "off"):
            raise InputError(f"web_urls must be public, any or off, got {self.web_urls!r}.")
        if not 1.0 <= self.llm_timeout <= 3600.0:
            raise InputError(f"Model server timeout must be 1-3600 seconds, got {self.llm_timeout}.")
        for name in ("chroma_url", "llm_url"):
            url = getattr(self, name)
            if url and not str(url).startswith(("http://", "https://")):
                raise InputError(f"{name} must be an http:// or https:// URL, got {url!r}.")

    @classmethod
    def load(cls, *, config: str | Path | None = None, **overrides) -> "Settings":
        """Defaults, then the config file, then environment, then the given (non-None) overrides."""
        return cls.load_with_sources(config=config, **overrides)[0]

    @classmethod
    def load_with_sources(cls, *, config: str | Path | None = None, **overrides) -> tuple["Settings", dict[str, str], Path | None]:
        """The settings, where each value came from ("default", "file", "env …", "flag"), and the file read."""
        names = {f.name: f for f in fields(cls)}
        unknown = set(overrides) - set(names)
        if unknown:
            raise TypeError(f"Unknown settings: {', '.join(sorted(unknown))}")
        env: dict = {}
        for name, f in names.items():
            raw = os.environ.get(ENV_PREFIX + name.upper())
            if raw not in (None, ""):
                env[name] = _coerce(name, f.type, raw)
        flags = {k: v for k, v in overrides.items() if v is not None}
        path = config_path(config, flags.get("data_dir") or env.get("data_dir"))
        from_file = read_config(path, names) if path else {}
        values, sources = {}, {name: "default" for name in names}
        for layer, label in ((from_file, f"file {path}"), (env, "env"), (flags, "flag")):
            for name, v in layer.items():
                values[name] = v
                sources[name] = f"env {ENV_PREFIX}{name.upper()}" if label == "env" else label
        return cls(**values), sources, path

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


def _coerce(name: str, typ, raw: str):
    t = str(typ)
    try:
        if t.startswith("int"):
            return int(raw)
        if t.startswith("float"):
            return float(raw)
    except ValueError as exc:
        raise InputError(f"Environment variable {ENV_PREFIX}{name.upper()}={raw!r} is not a valid {t.split()[0]}.") from exc
    return raw


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


def read_config(path: Path, names: dict) -> dict:
    """Flat TOML: `key = value` per setting; unknown keys and wrong types are errors, not ignored."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"Cannot read the config file {path}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"The config file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"The config file {path} is not valid TOML: {exc}.") from exc
    out = {}
    for key, value in data.items():
        if key in ("llm_api_key", "api_key"):
            raise InputError(f"{path}: API keys are not read from files; set the environment variable PERSPECTIVES_LLM_API_KEY instead.")
        if key not in names:
            raise InputError(f"{path}: unknown setting {key!r}. Known: {', '.join(names)}.")
        t = str(names[key].type)
        ok = (isinstance(value, bool) is False) and (
            (t.startswith("int") and isinstance(value, int))
            or (t.startswith("float") and isinstance(value, (int, float)))
            or (t.startswith(("str", "Path")) and isinstance(value, str))
        )
        if not ok:
            raise InputError(f"{path}: {key} = {value!r} should be {t.split()[0].replace('Path', 'a path string').replace('str', 'a string')}.")
        if isinstance(value, str) and "\x00" in value:
            raise InputError(f"{path}: {key} contains a NUL character (\\u0000); remove it.")
        if key in ("data_dir", "seeds"):
            value = str((path.parent / Path(value).expanduser()).resolve())
        out[key] = float(value) if t.startswith("float") else value
    return out
