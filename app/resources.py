"""Where the files that ship with the package live: seed articles, prompt templates, eval sets.

`app/data/` holds links to the top-level `seeds/`, `prompts/` and `tests/eval/` folders (the
product layout keeps them there); building a wheel copies their files into the package, so an
installed copy never reaches outside itself. Not here: user data (see settings.data_dir).
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
SEEDS_DIR = DATA_DIR / "seeds"
PROMPTS_DIR = DATA_DIR / "prompts"
EVAL_DIR = DATA_DIR / "eval"
