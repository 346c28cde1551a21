"""Turn results into text for people (terminal, Markdown) and machines (JSON).

Scope: formatting only; nothing here decides content. Untrusted text (articles, model
output) is written as plain text here; HTML escaping is the web UI's job.
"""

from __future__ import annotations

import json
import textwrap


def wrap(text: str, indent: str = "    ", width: int = 100) -> str:
    return "\n".join(textwrap.fill(par, width=width, initial_indent=indent, subsequent_indent=indent) for par in text.split("\n") if par.strip())


def sources_text(result) -> str:
    lines = ["", "Sources"]
    for p in result.passages:
        lines.append(f"  [{p['citation']}] {p['title']} · passage {p['position'] + 1} · chars {p['start']}-{p['end']} · similarity {p['score']:.2f}")
        lines.append(wrap(p["text"], indent="      "))
    if not result.passages:
        lines.append("  (no passage was relevant enough)")
    return "\n".join(lines)


def quotes_text(perspective: dict) -> str:
    return "\n".join(f"      “{q['text']}” [{q['citation']}]" for q in perspective["quotes"])


def to_json(obj) -> str:
    return json.dumps(obj.to_dict() if hasattr(obj, "to_dict") else obj, ensure_ascii=False, indent=2)


def markdown(result) -> str:
    """A readable Markdown rendering of one ask result (batch reports, downloads)."""
    out = [f"## {result.question}", "", result.answer, "", "### Viewpoints", ""]
    for p in result.perspectives:
        out.append(f"- **{p['title']}**: {p['viewpoint']}")
        for q in p["quotes"]:
            out.append(f"  - “{q['text']}” [{q['citation']}]")
    out += ["", "### Sources", ""]
    for p in result.passages:
        out.append(f"{p['citation']}. *{p['title']}*, passage {p['position'] + 1} (chars {p['start']}–{p['end']}): {p['text']}")
    return "\n".join(out) + "\n"
