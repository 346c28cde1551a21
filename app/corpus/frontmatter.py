"""The small YAML header at the top of an article file ("front matter").

Scope: split a file's text into (header fields, body) and write a header back. A header is
a first line `---`, YAML `key: value` lines, and a closing `---` line; values are read as
plain strings ("unknown" where the file says nothing). Parsing is PyYAML's `safe_load`, so
a header can never run code.
Not here: what the fields mean for an article (articles.py builds `Source` from them) or
where they come from (ingest.py).
"""

from __future__ import annotations

import datetime as dt
import re

import yaml

from app.errors import InputError

UNKNOWN = "unknown"
#: Fields that ingest writes, in this order; a hand-written header may add others (kept, not shown).
FIELDS = ("title", "outlet", "author", "date", "source", "url", "added_at")
# The header must open on the first line and close within the first 60 lines.
_HEADER = re.compile(r"\A---[ \t]*\r?\n((?:.*\r?\n){0,60}?)---[ \t]*(?:\r?\n|\Z)")
# Its first line that is not blank or a comment must look like `key:`.
_KEY_LINE = re.compile(r"\A(?:[ \t]*(?:#.*)?\r?\n)*[A-Za-z_][\w-]*[ \t]*:")


def split(text: str, *, name: str = "article") -> tuple[dict[str, str], str]:
    """Return (fields, body). Text without a header is all body, with no fields.

    A header that is not valid YAML `key: value` lines is an error naming the file and line,
    so a typo never silently turns metadata into article text.
    """
    match = _HEADER.match(text)
    if not match or not _KEY_LINE.search(match.group(1)):
        return {}, text  # e.g. a Markdown rule (---) around ordinary text
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise InputError(f"{name}: the front matter between the '---' lines is not valid YAML{where}. Fix it or remove the header.") from exc
    if not isinstance(data, dict):
        raise InputError(f"{name}: the front matter between the '---' lines must be 'key: value' lines.")
    return {str(k): _as_text(v) for k, v in data.items() if v is not None}, text[match.end():]


def _as_text(value) -> str:
    """YAML reads `date: 2025-02-03` as a date and `author: [A, B]` as a list; we want text."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(_as_text(v) for v in value)
    return " ".join(str(value).split()) or UNKNOWN


def render(fields: dict[str, str]) -> str:
    """The header for `fields`: known fields first in FIELDS order, one `key: value` per line."""
    ordered = {k: fields[k] for k in FIELDS if k in fields} | {k: v for k, v in fields.items() if k not in FIELDS}
    body = yaml.safe_dump({k: str(v) for k, v in ordered.items()}, sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{body}---\n"
