"""Turn ask results into text for people (terminal, Markdown) and machines (JSON).

Scope: formatting only; nothing here decides content. Untrusted text (articles, model
output) is written as plain text here; HTML escaping is the web UI's job. What the model
wrote is always labelled as such and set apart from the verbatim evidence.
"""

from __future__ import annotations

import json
import textwrap
from typing import TextIO

from app.answer.dated import source_note
from app.answer.results import MENTIONS, SILENT, AskResult, Perspective, unsure_text
from app.answer.voice import BORROWED, voiced
from app.corpus.articles import Source

MODEL_NOTE = "model-written, checked against the quotes"


def wrap(text: str, indent: str = "    ", width: int = 100) -> str:
    return "\n".join(textwrap.fill(par, width=width, initial_indent=indent, subsequent_indent=indent) for par in text.split("\n") if par.strip())


def byline(source: Source) -> str:
    """"outlet · author · date" with the unknown parts left out ("" when nothing is known)."""
    parts = [v for v in (source.outlet, source.author, source.date) if v and v != "unknown"]
    return " · ".join(parts)


def sources_text(result: AskResult) -> str:
    lines = ["", "Sources"]
    bylines = {p.article_id: byline(p.source) for p in result.perspectives}
    for p in result.passages:
        by = f" ({bylines[p.article_id]})" if bylines.get(p.article_id) else ""
        lines.append(f"  [{p.citation}] {p.title}{by} · passage {p.position + 1} · chars {p.start}-{p.end}")
        lines.append(wrap(p.text, indent="      "))
    if not result.passages:
        lines.append("  (no passage was relevant enough)")
    return "\n".join(lines)


def quotes_text(perspective: Perspective, indent: str = "    ") -> str:
    return "\n".join(wrap(f"{voiced(q)} [{q.citation}]" + (" (context)" if q.role == "context" else ""), indent=indent)
                     for q in perspective.quotes)


def card_text(p: Perspective) -> str:
    by = byline(p.source)
    head = f"  • {p.title}" + (f" — {by}" if by else "")
    if p.status == SILENT:
        return f"{head}\n    Does not address this."
    caution = f"    ({unsure_text(p.reason)})\n" if p.status == MENTIONS else ""
    return f"{head}\n{caution}{quotes_text(p)}"


# Why the support check refused a sentence, in the reader's words (singular, plural); the
# check's own terms ("names or cites no addressing article") stay in the JSON's dropped_reasons.
_PLAIN_REASONS = {
    BORROWED: ("it gave someone's quoted words as the article's own", "they gave someone's quoted words as the article's own"),
    "not a whole sentence": ("it was not a complete sentence", "they were not complete sentences"),
    "list item or prompt scaffolding": ("it was not a complete sentence", "they were not complete sentences"),
    "copies an article's title, says nothing of its own": ("it only repeated a title", "they only repeated a title"),
    "cites no evidence": ("it did not say which article it was about", "they did not say which article they were about"),
    "names or cites no addressing article": ("it did not say which article it was about", "they did not say which article they were about"),
}
_NOT_BACKED = ("the quotes don't back it", "the quotes don't back them")


def dropped_note(result: AskResult) -> str:
    """Why model-written sentences were hidden, in plain words and by kind of failure (never
    the refused words): "1 model-written sentence was hidden because the quotes don't back it."."""
    n = result.dropped
    plural = n != 1
    reasons = [_PLAIN_REASONS.get(r, _NOT_BACKED)[plural] for r in result.dropped_reasons] or [_NOT_BACKED[plural]]
    return f"{n} model-written sentence{'s were' if plural else ' was'} hidden because {' or '.join(dict.fromkeys(reasons))}."


class AskPrinter:
    """Prints the ask event stream to a terminal as it arrives, evidence first."""

    def __init__(self, out: TextIO):
        self.out = out
        self.cards_started = False

    def __call__(self, ev) -> None:
        if ev.kind == "answer_start":
            self.out.write("Answer\n")
        elif ev.kind == "answer":
            self.out.write(wrap(ev.text, indent="  ") + "\n")
        elif ev.kind == "viewpoint_start":
            if not self.cards_started:
                self.out.write("\nWhat each article says (verbatim)\n")
                self.cards_started = True
            self.out.write(card_text(ev.perspective) + "\n")
        elif ev.kind == "more":
            self.out.write(wrap(f"{ev.text} (--all shows every card.)", indent="  ") + "\n")
        elif ev.kind == "paraphrase":
            self.out.write(wrap(f"In short ({MODEL_NOTE}): {ev.text}", indent="    ") + "\n")
        elif ev.kind == "contrast":
            self.out.write(f"\nHow they differ ({MODEL_NOTE})\n" + wrap(ev.text, indent="  ") + "\n")
        elif ev.kind == "fact":
            self.out.write(f"\nIn short ({MODEL_NOTE})\n" + wrap(ev.text, indent="  ") + "\n")
        self.out.flush()

    def finish(self, result: AskResult) -> None:
        self.out.write(sources_text(result) + "\n")
        if result.dropped:
            self.out.write(f"\n({dropped_note(result)})\n")


def to_json(obj) -> str:
    return json.dumps(obj.to_dict() if hasattr(obj, "to_dict") else obj, ensure_ascii=False, indent=2)


def _silent_lines(result: AskResult, named: int = 6) -> list[str]:
    silent = [p for p in result.perspectives if p.status == SILENT]
    lines = []
    if silent:
        rest = f" and {len(silent) - named} more" if len(silent) > named else ""
        shown = [f"*{p.title}*" + (f" ({source_note(p.source)})" if source_note(p.source) else "") for p in silent[:named]]
        lines.append("- Read, and do not address this: " + "; ".join(shown) + rest + ".")
    if result.not_examined:
        lines.append(f"- Not found discussing it (not read closely): {len(result.not_examined)} more articles.")
    return lines


def markdown(result: AskResult) -> str:
    """A readable Markdown rendering of one ask result (batch reports, downloads)."""
    out = [f"## {result.question}", "", result.answer, "", "### What each article says", ""]
    for p in result.perspectives:
        if p.status == SILENT:
            continue  # counted in one line below: a report over hundreds of articles stays readable
        by = byline(p.source)
        out.append(f"- **{p.title}**" + (f" ({by})" if by else ""))
        if p.status == MENTIONS:
            out.append(f"  - _{unsure_text(p.reason)}_")
        for q in p.quotes:
            out.append(f"  - {voiced(q)} [{q.citation}]")
        if p.paraphrase:
            out.append(f"  - In short ({MODEL_NOTE}): {p.paraphrase}")
    out += _silent_lines(result)
    out += ["", "### Sources", ""]
    bylines = {p.article_id: byline(p.source) for p in result.perspectives}
    for p in result.passages:
        by = f" ({bylines[p.article_id]})" if bylines.get(p.article_id) else ""
        out.append(f"{p.citation}. *{p.title}*{by}, passage {p.position + 1} (chars {p.start}–{p.end}): {p.text}")
    if result.dropped:
        out += ["", f"_{dropped_note(result)}_"]
    return "\n".join(out) + "\n"
