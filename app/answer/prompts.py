"""Prompt templates, stored as files in the top-level `prompts/` folder.

A template file has comment lines (`# ...`) first, then `[system]` and `[user]` sections
with `$placeholders` (string.Template). Not here: deciding what goes into a prompt.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from pathlib import Path

from app.errors import PerspectivesError
from app.resources import PROMPTS_DIR



@lru_cache(maxsize=None)
def load(name: str, folder: str | None = None) -> dict[str, string.Template]:
    path = Path(folder or PROMPTS_DIR) / f"{name}.txt"
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PerspectivesError(f"Prompt template missing: {path}. Reinstall or restore the prompts/ folder.") from exc
    sections: dict[str, list[str]] = {}
    current = None
    for line in raw.splitlines():
        m = re.fullmatch(r"\[(system|user)\]\s*", line)
        if m:
            current = m.group(1)
            sections[current] = []
        elif current:
            sections[current].append(line)
    if "user" not in sections:
        raise PerspectivesError(f"Prompt template {path} has no [user] section.")
    return {k: string.Template("\n".join(v).strip()) for k, v in sections.items()}


def render(name: str, **values) -> list[dict]:
    """Chat messages for template `name` with `values` substituted."""
    tpl = load(name)
    msgs = []
    for role in ("system", "user"):
        if role in tpl:
            msgs.append({"role": role, "content": tpl[role].safe_substitute(**values)})
    return msgs
