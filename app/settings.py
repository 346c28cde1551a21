"""One settings object with documented defaults.

Precedence: command-line flags > environment (`PERSPECTIVES_*`) > defaults. Every field's
environment variable is its name upper-cased with the prefix, e.g. `PERSPECTIVES_DATA_DIR`.
Not here: reading settings from the UI (the UI builds a Settings with `replace`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .errors import InputError

ENV_PREFIX = "PERSPECTIVES_"
PROJECT_DIR = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("perspectives", appauthor=False))


def _default_seeds() -> Path:
    local = Path.cwd() / "seeds"
    return local if local.is_dir() else PROJECT_DIR / "seeds"


@dataclass(frozen=True)
class Settings:
    data_dir: Path | None = None  # index and caches; default: the user's data dir (platformdirs)
    seeds: Path | None = None  # article folder; default: ./seeds, else the project's seeds/
    model: str = "default"  # "default" (bundled SmolLM2-135M), "stub", or a path to a .gguf
    n_ctx: int = 2048  # llama.cpp context size (tokens)
    threads: int = 0  # 0 = all cores this process may use
    k: int = 3  # passages retrieved per article
    quotes: int = 2  # verbatim quotes per article
    floor: float = 0.3  # cosine similarity below which an article "does not address" the question
    temperature: float = 0.0
    max_question_chars: int = 1000  # longer questions are truncated, with a notice
    viewpoint_tokens: int = 60  # max tokens of one article's viewpoint (map step)
    answer_tokens: int = 160  # max tokens of the contrast answer (reduce step)
    chroma_url: str | None = None  # use a Chroma server instead of the embedded store

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

    @classmethod
    def load(cls, **overrides) -> "Settings":
        """Defaults, then environment, then the given (non-None) overrides."""
        values = {}
        for f in fields(cls):
            env = os.environ.get(ENV_PREFIX + f.name.upper())
            if env not in (None, ""):
                values[f.name] = _coerce(f.name, f.type, env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

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
