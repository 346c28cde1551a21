"""HTML and Markdown fragments for the web app, built from pipeline results.

Scope: presentation only, as pure functions (string in, string out) so they are tested
without a browser. Every piece of article text, file name, title and model output is
untrusted: it passes through `esc` (or `md_text`) before it touches markup.
Not here: Gradio wiring (ui.py), deciding content (perspectives.py, compare.py).
"""

from __future__ import annotations

import html
import re

from app.answer.ask import ranked
from app.answer.citations import CITE
from app.answer.results import Evidence
from app.answer.voice import label, voice_label
from app.render.plot import SOME, STRONG
from app.render.text import dropped_note

# Gradio's HTML component treats its value as a template; neutralise template syntax too.
_TEMPLATE_CHARS = str.maketrans({"{": "&#123;", "}": "&#125;", "$": "&#36;", "`": "&#96;"})
# Characters with a meaning in Markdown, escaped with a backslash in chat messages.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~>!])")
# One accent per article (by corpus position), the same in every tab.
PALETTE = ["#4f46e5", "#0891b2", "#d97706", "#db2777", "#059669", "#7c3aed", "#dc2626", "#2563eb", "#65a30d", "#9333ea"]


def esc(text) -> str:
    """Escape untrusted text for HTML (and for Gradio's HTML templates)."""
    return html.escape(str(text), quote=True).translate(_TEMPLATE_CHARS)


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def cite_links(text: str, allowed: set[int] | None = None) -> str:
    """Escape `text` for HTML and turn each valid [n] into a link to source n."""
    out, pos = [], 0
    for m in CITE.finditer(text):
        out.append(esc(text[pos:m.start()]))
        n = int(m.group(1))
        out.append(f'<a class="cite" href="#src-{n}" title="Source {n}">[{n}]</a>' if allowed is None or n in allowed else esc(m.group(0)))
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def md_text(text: str) -> str:
    """Untrusted text for a Markdown component (chat messages): shown literally.

    HTML is escaped and Markdown syntax backslash-escaped; citations [n] stay readable.
    """
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def md_answer(text: str, titles: dict[str, str] | None = None) -> str:
    """An answer for the chat: literal text, with [n] rendered as source links and each
    «short label» in `titles` as the article's full title (it wraps in the chat; the label
    is cut to fit tables)."""
    out, pos = [], 0
    for m in CITE.finditer(text):
        out.append(_titled(text[pos:m.start()], titles))
        out.append(f'<a class="cite" href="#src-{m.group(1)}">[{m.group(1)}]</a>')
        pos = m.end()
    out.append(_titled(text[pos:], titles))
    return "".join(out)


def _titled(text: str, titles: dict[str, str] | None, escape=None) -> str:
    """`text` escaped (`md_text` unless given), each «short label» in `titles` as the full
    title (also its hover text). A label that is not in `titles` stays as written."""
    escape = escape or md_text
    out, pos = [], 0
    for m in _LABEL.finditer(text):
        title = (titles or {}).get(m.group(1))
        if title is None:
            continue
        out.append(escape(text[pos:m.start()]))
        out.append(f'<span class="pv-title-ref" title="{esc(title)}">«{escape(title)}»</span>')
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


_LABEL = re.compile(r"«([^«»]+)»")


def titled_html(text: str, titles: dict[str, str] | None) -> str:
    """`text` escaped for HTML, with each «short label» in `titles` as the full title."""
    return _titled(text, titles, esc)


def titles_by_label(perspectives) -> dict[str, str]:
    """Each article's full title under the short label the answer names it by; a label two
    articles share is left as it is (it cannot say which one it means)."""
    seen: dict[str, set[str]] = {}
    for p in perspectives:
        seen.setdefault(p.label, set()).add(p.title)
    return {label: next(iter(t)) for label, t in seen.items() if len(t) == 1}


def follow_up_line(previous: str) -> str:
    """The line under an answer that says it was read as a follow-up of the question before
    ("" for none). Under it, not over it: the chat scrolls to an answer's end, where the
    "Ask on its own" option sits."""
    if not previous:
        return ""
    return f'\n\n<span class="pv-followup">↪ Follow-up to: “{md_text(previous)}”</span>'


_QUANT = re.compile(r"[.\-_](?:i?q\d\w*|f16|bf16|f32)$", re.I)
_NOT_A_NAME = {"instruct", "chat", "it", "gguf", "hf"}


def model_display_name(name: str) -> str:
    """A model by name and size ("SmolLM2 135M"), not by file, quantisation or storage
    ("SmolLM2-135M-Instruct.Q4_1.gguf (as Q8_0)"); those stay in the JSON and the Settings tab."""
    name = str(name).strip()
    if name in ("", "default"):
        return "SmolLM2 135M"
    if name == "stub":
        return "stub (test model)"
    if name.startswith(("http://", "https://")) or " @ " in name:
        return name  # a model server: its address is how the user knows it
    base = re.split(r"[\\/]", re.sub(r"\s*\(as [^)]*\)$", "", name))[-1]
    base = _QUANT.sub("", re.sub(r"\.gguf$", "", base, flags=re.I))
    words = [w for w in re.split(r"[-_ ]+", base) if w and w.lower() not in _NOT_A_NAME]
    return " ".join(words) or name


# -- chat: viewpoint cards and sources ---------------------------------------------------
def card_streaming(index: int, title: str, text: str, done: bool) -> str:
    state = "" if done else '<span class="pv-typing" aria-label="writing">●●●</span>'
    return (
        f'<article class="pv-card" style="--accent:{color(index)}">'
        f'<header><span class="pv-dot"></span><h4>{esc(title)}</h4></header>'
        f'<p class="pv-view">{cite_links(text)}{state}</p></article>'
    )


def cards_streaming(order: list[str], cards: dict[str, dict], index_of: dict[str, int]) -> str:
    if not order:
        return '<div class="pv-empty">Reading the articles…</div>'
    body = "".join(card_streaming(index_of.get(aid, i), cards[aid]["title"], cards[aid]["text"], cards[aid]["done"]) for i, aid in enumerate(order))
    return f'<div class="pv-cards">{body}</div>'


_STATUS_BADGE = {
    "addresses": '<span class="pv-badge pv-yes">addresses it</span>',
    "mentions": '<span class="pv-badge pv-maybe" title="its evidence is weaker than the other articles\' or lacks most of the question\'s words: read its closest sentences">may not address it</span>',
    "silent": '<span class="pv-badge pv-no">does not address this</span>',
}


def byline_html(source) -> str:
    """"Vox · Jane Roe · 13 May 2019" under a title; `source`: a Source, or its dict (a compare
    row reaches the web app as a dict)."""
    get = source.get if isinstance(source, dict) else lambda k, d="": getattr(source, k, d)
    parts = [v for v in (get("outlet", ""), get("author", ""), human_date(get("date", ""))) if v and v != "unknown"]
    return f'<div class="pv-byline">{esc(" · ".join(parts))}</div>' if parts else ""


def card_final(index: int, p, allowed: set[int]) -> str:
    """One article's card: its verbatim evidence first; a checked model sentence after, marked."""
    quotes = "".join(
        f'<blockquote>{who_html(q)}{esc(q.text)} <a class="cite" href="#src-{q.citation}">[{q.citation}]</a></blockquote>' for q in p.quotes
    )
    if p.status == "silent":
        view = '<p class="pv-view pv-muted">Nothing in it is about this question.</p>'
    elif p.paraphrase:
        view = f'<p class="pv-view"><small>In short (model-written, checked against the quotes):</small> {cite_links(p.paraphrase, allowed)}</p>'
    else:
        view = ""
    return (
        f'<article class="pv-card{" pv-silent" if p.status == "silent" else ""}" style="--accent:{color(index)}">'
        f'<header><span class="pv-dot"></span><h4>{esc(p.title)}</h4></header>{byline_html(p.source)}{_STATUS_BADGE[p.status]}{_why_unsure(p)}'
        f'{f"<div class=pv-quotes>{quotes}</div>" if quotes else ""}{view}</article>'
    )


def who_html(q) -> str:
    """Whose words a quote carries, before it ("Kudlow, quoted:"); nothing for the article's
    own. `q`: an Evidence, or its dict (compare rows reach the web app as JSON-like dicts)."""
    said = voice_label(q) if isinstance(q, Evidence) else label(q.get("voice", ""), q.get("speaker"), q.get("text", ""))
    return f'<span class="pv-who">{esc(said)}:</span> ' if said else ""


def cards_final(result, index_of: dict[str, int], shown: int = 6) -> str:
    """The cards: every one when they are few; else the strongest `shown` and a "Show N more"
    that opens the rest in place; then a count of the articles not read for the question."""
    allowed = {p.citation for p in result.passages}
    cards = result.perspectives if len(result.perspectives) <= shown else ranked(result.perspectives)

    def html(cs) -> str:
        return "".join(card_final(index_of.get(p.article_id, i), p, allowed) for i, p in enumerate(cs))

    body = html(cards[:shown])
    rest = cards[shown:]
    more = (f'<details class="pv-more"><summary>Show {len(rest)} more article{"s" if len(rest) > 1 else ""}</summary>'
            f'<div class="pv-cards">{html(rest)}</div></details>') if rest else ""
    unread = len(result.not_examined)
    unread_note = (f'<p class="pv-foot pv-unread">{unread} other article{"s were" if unread > 1 else " was"} not read closely for this question (see the answer).</p>'
                   if unread else "")
    dropped = f'<p class="pv-foot">{esc(dropped_note(result))}</p>' if result.dropped else ""
    return f'<div class="pv-cards">{body}</div>{more}{unread_note}{dropped}'


def highlight(text: str, spans: list[tuple[int, int]]) -> str:
    """Escape `text`, wrapping the (start, end) spans in <mark>; overlapping spans merge."""
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, pos = [], 0
    for s, e in merged:
        out.append(esc(text[pos:s]))
        out.append(f"<mark>{esc(text[s:e])}</mark>")
        pos = e
    out.append(esc(text[pos:]))
    return "".join(out)


def quote_spans(passage, quotes) -> list[tuple[int, int]]:
    """Where each quote from this passage sits inside the passage text.

    Quote offsets index the cleaned article; the passage starts at `passage.start`.
    If the offsets do not line up (they should), fall back to finding the words.
    """
    text, spans = passage.text, []
    for q in quotes:
        if q.passage_id != passage.id:
            continue
        s, e = q.start - passage.start, q.end - passage.start
        if not (0 <= s < e <= len(text) and text[s:e] == q.text):
            s = text.find(q.text)
            if s < 0:
                continue
            e = s + len(q.text)
        spans.append((s, e))
    return spans


def sources_html(result, index_of: dict[str, int]) -> str:
    if not result.passages:
        return '<div class="pv-empty">No passage was relevant enough to cite.</div>'
    quotes = [q for p in result.perspectives for q in p.quotes]
    cited = set(result.answer_citations) | {n for p in result.perspectives for n in p.citations}
    sources = {p.article_id: p.source for p in result.perspectives}
    items = []
    for p in result.passages:
        n = p.citation
        body = highlight(p.text, quote_spans(p, quotes))
        by = [v for v in (sources[p.article_id].outlet, human_date(sources[p.article_id].date)) if v and v != "unknown"] if p.article_id in sources else []
        items.append(
            f'<div class="pv-src{" pv-cited" if n in cited else ""}" id="src-{n}" style="--accent:{color(index_of.get(p.article_id, 0))}">'
            f'<div class="pv-src-head"><span class="pv-num">{n}</span><b>{esc(p.title)}</b>'
            f'<span class="pv-meta" title="characters {p.start}–{p.end} of the article">{esc(" · ".join(by) + " · ") if by else ""}passage {p.position + 1}</span></div>'
            f'<p>{body}</p></div>'
        )
    return f'<div class="pv-sources">{"".join(items)}</div>'


# -- corpus ------------------------------------------------------------------------------
_STATE_BADGE = {"indexed": ("pv-yes", "searchable"), "changed": ("pv-warn", "changed: re-index"), "not indexed": ("pv-no", "not indexed yet")}


def corpus_html(view, status: dict, skipped: list[str], query: str = "") -> str:
    """One page of the article table (`view`: corpus.TableView; rows carry title, outlet, author,
    date_shown, words, file, position and index state), with how many matched and the index's state."""
    trs = []
    for r in view.rows:
        cls, state = _STATE_BADGE.get(r["state"], ("pv-no", r["state"]))
        trs.append(
            f'<tr><td><span class="pv-dot" style="--accent:{color(r["position"])}"></span></td>'
            f'<td class="pv-title" title="{esc(r["file"])}">{esc(r["title"])}</td>'
            f'<td>{esc(r["outlet"]) or _none("no outlet")}</td><td>{esc(r["author"]) or _none("no author")}</td>'
            f'<td class="pv-date">{esc(r["date_shown"]) or _none("no date")}</td><td class="num">{r["words"]:,}</td>'
            f'<td><span class="pv-badge {cls}">{esc(state)}</span></td></tr>'
        )
    if not trs:
        trs = [f'<tr><td></td><td colspan="6" class="pv-foot">No article matches “{esc(query)}”.</td></tr>']
    first = view.start + 1
    shown = f"{first:,}–{first + len(view.rows) - 1:,} of " if view.pages > 1 else ""
    counted = (f"{shown}{view.matched:,} article{'s' if view.matched != 1 else ''} matching “{esc(query)}” (of {view.total:,})"
               if query.strip() else f"{shown}{view.total:,} article{'s' if view.total != 1 else ''}")
    pager = f" · page {view.page + 1} of {view.pages}" if view.pages > 1 else ""
    health = "up to date" if status.get("complete") and status.get("format_ok") else "needs a re-index"
    updated = human_date(status.get("updated") or "", time=True)
    foot = f'<span title="{esc(status.get("path", ""))}">Search index {esc(health)}</span>' + (f" · updated {esc(updated)}" if updated else "")
    skipped_html = "".join(f'<li>{esc(m)}</li>' for m in skipped)
    return (
        f'<p class="pv-count" id="pv-corpus-count">{counted}{pager}</p>'
        '<table class="pv-table pv-corpus-table"><thead><tr><th></th><th>Title</th><th>Outlet</th><th>Author</th><th>Date</th><th>Words</th>'
        f'<th>Status</th></tr></thead><tbody>{"".join(trs)}</tbody></table><p class="pv-foot">{foot}</p>'
        + (f'<div class="pv-skipped"><b>Files that could not be read</b><ul>{skipped_html}</ul></div>' if skipped else "")
    )


def _none(what: str) -> str:
    return f'<span class="pv-foot">{esc(what)}</span>'


_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:[T ](\d\d):(\d\d))?)?)?")


def human_date(value: str, *, time: bool = False) -> str:
    """A date for people: "3 Feb 2025" for 2025-02-03 ("Feb 2025", "2025" for less precise
    ones; with `time`, "3 Dec 2026, 13:19"). Text that is no ISO date is shown as given."""
    m = _ISO.match(value or "")
    if not m or not 1 <= int(m.group(2) or 1) <= 12:
        return value or ""
    year, month, day = m.group(1), m.group(2), m.group(3)
    text = f"{int(day)} {_MONTHS[int(month) - 1]} {year}" if day else f"{_MONTHS[int(month) - 1]} {year}" if month else year
    return f"{text}, {m.group(4)}:{m.group(5)}" if time and m.group(4) else text


# -- compare -----------------------------------------------------------------------------
def stance_badge(stance: str, confidence: float | None = None) -> str:
    cls = "pv-st-" + re.sub(r"[^a-z]+", "-", str(stance).lower()).strip("-")
    conf = f'<span class="pv-conf">confidence {confidence:.0%}</span>' if isinstance(confidence, (int, float)) else ""
    return f'<span class="pv-badge {cls}">{esc(stance)}</span>{conf}'


def claim_html(claim: str, source: str = "") -> str:
    if not claim:
        return ('<div class="pv-claim"><small>No claim: the model does not judge stance here, so each article\'s own sentences '
                'on the topic are shown side by side. Type a claim to have it shown with them.</small></div>')
    who = {"user": "your claim", "model": "claim written by the model from the topic", "template": "claim built from the topic"}.get(source, "")
    return f'<div class="pv-claim"><small>Claim{f" ({esc(who)})" if who else ""}</small><div><b>{esc(claim)}</b></div></div>'


def _why_unsure(p) -> str:
    """An unsure card's reason in a few words ("mentions tariffs only in passing")."""
    reason = getattr(p, "reason", "")
    return f' <small class="pv-why">({esc(reason)})</small>' if p.status == "mentions" and reason else ""


_UNLABELLED = ("not judged", "not addressed")
_DISCUSSES = {
    "addresses": '<span class="pv-badge pv-yes">discusses it</span>',
    "mentions": _STATUS_BADGE["mentions"],
    "silent": '<span class="pv-badge pv-no">does not discuss it</span>',
}


def matrix_html(rows: list[dict], index_of: dict[str, int], pending: int = 0) -> str:
    """The comparison table: one row per article with its verbatim evidence. With stance
    labels (a model that passed the calibration), each row's label and viewpoint; without,
    what does separate the articles: who discusses the topic, how strong each one's evidence
    is next to the strongest, and how many key sentences it has."""
    labelled = any(r["stance"] not in _UNLABELLED for r in rows)
    strongest = max((r.get("best_score") or 0.0 for r in rows if r["stance"] != "not addressed"), default=0.0)
    trs = []
    for i, r in enumerate(rows):
        accent = color(index_of.get(r["article_id"], i))
        ev = "".join(f'<p class="pv-ev" style="--accent:{accent}">{who_html(q)}{esc(q["text"])} <span class="pv-foot">[{q["citation"]}]</span></p>'
                     for q in r["quotes"]) if r["stance"] != "not addressed" else ""
        if labelled:
            middle = f'<td class="pv-stance">{stance_badge(r["stance"], r.get("confidence"))}{_unsure(r)}</td><td>{_row_view(r)}</td>'
        else:
            middle = f'<td class="pv-stance">{_DISCUSSES[_status(r)]}</td><td>{_strength(r, strongest, accent)}</td>'
        trs.append(
            f'<tr><td><span class="pv-dot" style="--accent:{accent}"></span></td>'
            f'<td class="pv-title">{esc(r["title"])}{byline_html(r.get("source") or {})}</td>{middle}<td>{ev or "<span class=pv-foot>—</span>"}</td></tr>'
        )
    trs += ['<tr><td></td><td colspan="4" class="pv-foot">reading…</td></tr>'] * pending
    head = "<th>Stance</th><th>Viewpoint</th>" if labelled else "<th>Discusses the topic?</th><th>Evidence</th>"
    return (f'<table class="pv-table pv-matrix"><thead><tr><th></th><th>Article</th>{head}<th>What it says (verbatim; quoted voices named)</th></tr></thead>'
            f'<tbody>{"".join(trs)}</tbody></table>')


def _status(r: dict) -> str:
    return "silent" if r["stance"] == "not addressed" else r.get("status") if r.get("status") in _DISCUSSES else "addresses"


def _strength(r: dict, strongest: float, accent: str) -> str:
    """How close the article's best passage comes to the topic, next to the closest article's,
    as a bar and a word; and how many key sentences it has."""
    if r["stance"] == "not addressed" or strongest <= 0:
        return '<span class="pv-foot">—</span>'
    share = max(0.0, min(1.0, (r.get("best_score") or 0.0) / strongest))
    word = "strong" if share >= STRONG else "some" if share >= SOME else "weak"
    keys = sum(1 for q in r["quotes"] if q.get("role", "key") == "key")
    return (f'<div class="pv-strength" title="its closest passage, next to the closest of all articles">'
            f'<span class="pv-bar"><span style="width:{share:.0%};background:{accent}"></span></span> {word}</div>'
            f'<div class="pv-foot">{keys} key sentence{"s" if keys != 1 else ""}</div>')


def _unsure(r: dict) -> str:
    """The ask cards' "may not address it" badge, on a compare row whose evidence is weak."""
    return " " + _STATUS_BADGE["mentions"] if r.get("status") == "mentions" else ""


def _row_view(r: dict) -> str:
    """A row's viewpoint column: a checked model sentence, marked; never the evidence twice."""
    if r.get("viewpoint_source") == "model":
        return f'<small>model-written, checked:</small> {esc(r["viewpoint"])}'
    return '<span class="pv-foot">its sentences →</span>' if r["quotes"] else esc(r["viewpoint"])


def compare_note(result) -> str:
    """Whether the stance labels can be trusted, in plain words. The calibration figures are
    in the JSON download (`calibration`); the CLI's note names the gold set."""
    cal, model = result.calibration or {}, model_display_name(result.model)
    tested = ""
    if cal.get("rows"):
        tested = (f"On {cal['rows']} test claims with known answers it was right {cal['accuracy']:.0%} of the time; "
                  f"always giving the most common answer scores {cal['majority']:.0%}.")
    if result.labels == "judged":
        return f"Supports / opposes labels are the judgement of the model {model}. {tested} The quotes are verbatim, each with whose words it gives."
    if result.labels == "forced":
        return f"Labels shown on request, but the model {model} is not good at this: {tested} Don't rely on them."
    if tested:
        return (f"No supports / opposes labels: the model {model} is too small to judge them. {tested} "
                "So each article's own sentences are shown side by side.")
    return "No supports / opposes labels: each article's own sentences are shown side by side."


def contrast_html(contrast: dict, disclaimer: str = "", titles: dict[str, str] | None = None) -> str:
    parts = [f'<div class="pv-contrast"><b>{titled_html(contrast.get("text", ""), titles)}</b>']
    if contrast.get("model_sentence"):
        parts.append(f'<p>{esc(contrast["model_sentence"])}</p>')
    for key, name in (("agree", "Agree"), ("differ", "Differ"), ("silent", "Silent")):
        items = contrast.get(key) or []
        if items:
            parts.append(f'<div><small>{name}</small><ul>{"".join(f"<li>{esc(x)}</li>" for x in items)}</ul></div>')
    parts.append("</div>")
    if disclaimer:
        parts.append(f'<p class="pv-disclaimer">{esc(disclaimer)}</p>')
    return "".join(parts)
