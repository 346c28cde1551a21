"""Format compare results: a terminal table, JSON, CSV and Markdown.

Scope: formatting only (nothing here decides a label or picks a quote). Every format
carries the claim, the disclaimer that labels are model judgements, and each quote's
citation number; JSON also carries passage ids and character offsets.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import textwrap

from app.answer.results import MENTIONS
from app.answer.voice import voiced, whose
from app.render.text import byline

CSV_FIELDS = ["topic", "claim", "article_id", "title", "outlet", "author", "date", "url", "status", "stance", "labels",
              "viewpoint", "viewpoint_source", "quotes", "voices", "citations", "passage_ids", "offsets", "method"]


def table(result, width: int | None = None) -> str:
    """The terminal view: claim, one block per article, then the contrast."""
    width = width or min(shutil.get_terminal_size((100, 24)).columns, 110)
    out = [f"Topic: {result.topic}"]
    out.append(f"Claim ({result.claim_source}): {result.claim}" if result.claim else "Claim: none (stance is not judged; give one with --claim)")
    out.append("")
    for r in result.rows:
        by = byline(r.source)
        out.append(f"• {r.title}" + (f" — {by}" if by else ""))
        out.append(f"    stance: {r.stance}" + (" (may not address it: closest sentences)" if r.status == MENTIONS else ""))
        if r.viewpoint_source == "model":
            out.append(textwrap.fill(f"in short (model-written, checked against the quotes): {r.viewpoint}", width, initial_indent=" " * 4, subsequent_indent=" " * 6))
        for q in r.quotes:
            out.append(textwrap.fill(f"{voiced(q)} [{q.citation}]", width, initial_indent=" " * 4, subsequent_indent=" " * 5))
    out += ["", "Contrast", textwrap.fill(result.contrast["text"], width, initial_indent="  ", subsequent_indent="  ")]
    if result.contrast.get("model_sentence"):
        out.append(textwrap.fill(f"Model's summary (checked against the quotes): {result.contrast['model_sentence']}", width, initial_indent="  ", subsequent_indent="  "))
    out += ["", f"Note: {result.disclaimer}"]
    return "\n".join(out)


def to_json(result) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2)


def to_csv(results) -> str:
    """One line per (topic, article), for one result or a list; list fields joined with ' | '."""
    results = results if isinstance(results, (list, tuple)) else [results]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for res in results:
        for r in res.rows:
            w.writerow({
                "topic": res.topic, "claim": res.claim, "article_id": r.article_id, "title": r.title,
                "outlet": r.source.outlet, "author": r.source.author, "date": r.source.date, "url": r.source.url,
                "status": r.status, "stance": r.stance, "labels": res.labels, "viewpoint": r.viewpoint, "viewpoint_source": r.viewpoint_source,
                "quotes": " | ".join(q.text for q in r.quotes), "voices": " | ".join(whose(q) for q in r.quotes),
                "citations": " | ".join(str(q.citation) for q in r.quotes),
                "passage_ids": " | ".join(q.passage_id for q in r.quotes), "offsets": " | ".join(f"{q.start}-{q.end}" for q in r.quotes),
                "method": r.method,
            })
    return buf.getvalue()


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(results) -> str:
    """A report for one result or a list: per topic, the claim, the stance table, the contrast."""
    results = results if isinstance(results, (list, tuple)) else [results]
    out = []
    for res in results:
        claim = f"**Claim** ({res.claim_source}): {res.claim}" if res.claim else "**Claim:** none (stance not judged)"
        out += [f"## {res.topic}", "", claim, "", "| Article | Source | Stance | Evidence (verbatim) |", "|---|---|---|---|"]
        for r in res.rows:
            ev = "<br>".join(f"{_md_cell(voiced(q))} [{q.citation}]" for q in r.quotes) or "—"
            if r.viewpoint_source == "model":
                ev = f"_In short (model-written, checked):_ {_md_cell(r.viewpoint)}<br>{ev}"
            stance = r.stance + (" (may not address it)" if r.status == MENTIONS else "")
            out.append(f"| {_md_cell(r.title)} | {_md_cell(byline(r.source) or 'unknown')} | {stance} | {ev} |")
        out += ["", f"**Contrast:** {res.contrast['text']}"]
        if res.contrast.get("model_sentence"):
            out.append(f"*Model's summary (checked against the quotes):* {res.contrast['model_sentence']}")
        out += ["", f"*{res.disclaimer}*", ""]
    return "\n".join(out)
