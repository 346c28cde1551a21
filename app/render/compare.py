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

CSV_FIELDS = ["topic", "claim", "article_id", "title", "stance", "confidence", "viewpoint", "quotes", "citations", "passage_ids", "offsets", "method"]


def _conf(row) -> str:
    return "" if row.confidence is None else f"{row.confidence:.2f}"


def table(result, width: int | None = None) -> str:
    """The terminal view: claim, one block per article, then the contrast."""
    width = width or min(shutil.get_terminal_size((100, 24)).columns, 110)
    out = [f"Topic: {result.topic}", f"Claim ({result.claim_source}): {result.claim}", ""]
    label_w = min(max(len(r.label) for r in result.rows), 30) if result.rows else 10
    out.append(f"{'Article':<{label_w}}  {'Stance':<13}  Conf  Viewpoint")
    out.append("-" * width)
    for r in result.rows:
        label = r.label if len(r.label) <= label_w else r.label[: label_w - 1].rstrip() + "…"
        head = f"{label:<{label_w}}  {r.stance:<13}  {_conf(r) or ' -':<4}  "
        view = textwrap.wrap(r.viewpoint, max(30, width - len(head))) or [""]
        out.append(head + view[0])
        out += [" " * len(head) + v for v in view[1:]]
        for q in r.quotes:
            out.append(textwrap.fill(f"“{q['text']}” [{q['citation']}]", width, initial_indent=" " * 4, subsequent_indent=" " * 5))
    out += ["", "Contrast", textwrap.fill(result.contrast["text"], width, initial_indent="  ", subsequent_indent="  ")]
    if result.contrast.get("model_sentence"):
        out.append(textwrap.fill(f"Model's summary: {result.contrast['model_sentence']}", width, initial_indent="  ", subsequent_indent="  "))
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
                "topic": res.topic, "claim": res.claim, "article_id": r.article_id, "title": r.title, "stance": r.stance,
                "confidence": _conf(r), "viewpoint": r.viewpoint, "quotes": " | ".join(q["text"] for q in r.quotes),
                "citations": " | ".join(str(q["citation"]) for q in r.quotes), "passage_ids": " | ".join(q["passage_id"] for q in r.quotes),
                "offsets": " | ".join(f"{q['start']}-{q['end']}" for q in r.quotes), "method": r.method,
            })
    return buf.getvalue()


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(results) -> str:
    """A report for one result or a list: per topic, the claim, the stance table, the contrast."""
    results = results if isinstance(results, (list, tuple)) else [results]
    out = []
    for res in results:
        out += [f"## {res.topic}", "", f"**Claim** ({res.claim_source}): {res.claim}", "",
                "| Article | Stance | Confidence | Viewpoint | Evidence |", "|---|---|---|---|---|"]
        for r in res.rows:
            ev = "<br>".join(f"“{_md_cell(q['text'])}” [{q['citation']}]" for q in r.quotes)
            out.append(f"| {_md_cell(r.title)} | {r.stance} | {_conf(r)} | {_md_cell(r.viewpoint)} | {ev} |")
        out += ["", f"**Contrast:** {res.contrast['text']}"]
        if res.contrast.get("model_sentence"):
            out.append(f"*Model's summary:* {res.contrast['model_sentence']}")
        out += ["", f"*{res.disclaimer}*", ""]
    return "\n".join(out)
