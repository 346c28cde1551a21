"""Outlets and dates of articles as an answer names them.

Scope: "Wikinews, 18 Jan 2005" from an article's header (the parts it knows; nothing when it
knows neither). Articles' headers give ISO dates ("2005-01-18"); a date the header gives in
another form is shown as given.
Not here: reading the header (app/corpus/frontmatter.py), the web app's dates (app/ui/html.py).
"""

from __future__ import annotations

import datetime as dt

from app.corpus.articles import Source

UNKNOWN = "unknown"


def short_date(value: str) -> str:
    """"18 Jan 2005" for 2005-01-18, "Jan 2005" for 2005-01, "2005" for 2005; "" when unknown."""
    text = str(value or "").strip()
    if not text or text == UNKNOWN:
        return ""
    for fmt, shown in (("%Y-%m-%d", "%-d %b %Y"), ("%Y-%m", "%b %Y"), ("%Y", "%Y")):
        try:
            return dt.datetime.strptime(text[:len(dt.date(2000, 1, 1).strftime(fmt))], fmt).strftime(shown)
        except ValueError:
            continue
    return text


def source_note(source: Source) -> str:
    """"Wikinews, 18 Jan 2005": the outlet and the date where the header knows them."""
    parts = [source.outlet if source.outlet not in ("", UNKNOWN) else "", short_date(source.date)]
    return ", ".join(p for p in parts if p)


def named(label: str, source: Source) -> str:
    """An article as the answer names it: "«Airbus launches…» (Wikinews, 18 Jan 2005)"."""
    note = source_note(source)
    return f"«{label}»" + (f" ({note})" if note else "")
