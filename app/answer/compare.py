"""Compare the articles on one topic, evidence first: each article's sentences side by side.

Scope: topic (and an optional claim) → per-article evidence and honest silence (the same
rule as ask, app/retrieve/evidence.py) → one row per article with its key sentences,
verbatim and cited → a stance label toward the claim only when the model passed the stance
calibration (calibration.py); otherwise "not judged", and no model-written claim either:
the rows show what each article says on the topic. `labels="force"` shows a failing
model's labels anyway, marked as unreliable. No confidence figure is shown: a softmax
over label words is not one.

Fairness: each article is judged alone (its own prompt, its own evidence), rows and
citation numbers follow article id, and the contrast is computed from sorted labels, so the
order in which articles are stored or listed never changes the outcome.
Not here: label methods (stance.py), formatting (app/render/compare.py), charts (plot.py).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Iterator

from app.answer import calibration, disagree, prompts, support
from app.answer.question import clean_question
from app.answer.ask import group_by_source
from app.answer.dated import named
from app.answer.results import ADDRESSES, MENTIONS, NOT_ADDRESSED, NOT_JUDGED, SILENT, CompareResult, CompareRow, Evidence, voice_of
from app.answer.stance import DEFAULT_METHOD, LABELS, METHODS, Scorer, judge, judge_schema
from app.answer.voice import checked, voiced
from app.corpus.chunks import sentence_spans
from app.errors import InputError
from app.llm import GenerationStats
from app.pipeline import Pipeline

STANCES = (*LABELS, NOT_JUDGED, NOT_ADDRESSED)
LABEL_MODES = ("auto", "force", "off")
JUDGED = "Stance labels are judgements by the model {model}, which passed the stance calibration ({cal}); the quotes are verbatim."
NOT_JUDGED_NOTE = ("Stance not judged: the model {model} did not beat always answering the most common label on the gold "
                   "stance set ({cal}). Read the evidence side by side; the quotes are verbatim.")
FORCED = "Stance labels shown on request although the model {model} failed the stance calibration ({cal}): they are unreliable."

Row = CompareRow  # the name earlier callers used


@dataclass
class CompareEvent:
    kind: str  # "claim" | "row" | "contrast" | "done"
    row: CompareRow | None = None
    text: str = ""
    result: CompareResult | None = None


# --- the claim ----------------------------------------------------------------------

def template_claim(topic: str) -> str:
    return f"The article views {topic.rstrip('?.!')} favourably."


def _content_words(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3}


def usable_claim(text: str, topic: str) -> str | None:
    """The first sentence of a model's claim if it is short, plain and on topic, else None."""
    text = re.sub(r"^\s*(claim\s*:)?\s*", "", text.strip(), flags=re.I).strip(' "“”')
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].strip()
    words = first.split()
    if not 4 <= len(words) <= 25 or "\n" in first or "?" in first or re.search(r"[\[\]{}<>#*]", first):
        return None
    if not _content_words(first) & _content_words(topic):
        return None
    return first if first.endswith(".") else first + "."


def derive_claim(pipe: Pipeline, topic: str) -> tuple[str, str]:
    """(claim, source): the model's one-sentence claim, or the template when it is unusable."""
    reply = "".join(pipe.model.generate(prompts.render("claim", topic=topic), max_tokens=40, temperature=0.0))
    claim = usable_claim(reply, topic)
    return (claim, "model") if claim else (template_claim(topic), "template")


# --- the contrast -------------------------------------------------------------------

NAMED = 6  # rows named in one list of the contrast before the rest are counted


def _names(rows: list[CompareRow]) -> str:
    """The rows' articles, or, when more than NAMED, the strongest NAMED and the rest counted."""
    shown = rows if len(rows) <= NAMED else sorted(rows, key=lambda r: -r.best_score)[:NAMED]
    names = [named(r.label, r.source) for r in shown]  # "«Title…» (Vox, 13 May 2019)"
    if len(rows) > NAMED:
        names.append(f"{len(rows) - NAMED} more ({group_by_source([r.source for r in rows if r not in shown])})")
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


VERB = {"supports": "support", "opposes": "oppose", "mixed": "are mixed on"}


def _who_discusses(speaking: list[CompareRow], total: int) -> str:
    """Unjudged: who discusses the topic and who may not. "5 of 5 articles discuss this" would
    otherwise count the rows marked "may not address it" too."""
    sure = [r for r in speaking if r.status != MENTIONS]
    unsure = [r for r in speaking if r.status == MENTIONS]
    text = f"{len(sure)} of {total} articles discuss this: {_names(sure)}." if sure else "No article clearly discusses this."
    if unsure:
        text += f" {_names(unsure)} may not (closest sentences shown)."
    return text + " Read their own sentences side by side."


def contrast(rows: list[CompareRow], unread: int = 0, nearby: int = 0) -> dict:
    """Agree / differ / silent from the labels (or, unjudged, from who speaks): deterministic.
    `unread`: articles not among the topic's candidates, counted with the silent ones."""
    rows = sorted(rows, key=lambda r: r.article_id)
    by = {s: [r for r in rows if r.stance == s] for s in STANCES}
    agree = [f"{_names(by[s])} {'both' if len(by[s]) == 2 else 'all'} {VERB[s]} the claim." for s in LABELS if len(by[s]) >= 2]
    present = [s for s in LABELS if by[s]]
    differ = ["; ".join(f"{_names(by[s])}: {s}" for s in present) + "."] if len(present) >= 2 else []
    silent = [f"{_names(by[NOT_ADDRESSED])} {'does' if len(by[NOT_ADDRESSED]) == 1 else 'do'} not address it."] if by[NOT_ADDRESSED] else []
    speaking = [r for r in rows if r.stance != NOT_ADDRESSED]
    if not speaking:
        text = "None of the articles addresses this topic."
    elif by[NOT_JUDGED]:
        text = _who_discusses(speaking, len(rows) + unread)
    elif len(present) == 1:
        text = f"Every article that addresses it is labelled {present[0]}."
    else:
        text = "The articles differ. " + differ[0][0].upper() + differ[0][1:]
    if silent:
        text += " " + silent[0]
    if nearby:
        text += f" {nearby} more may discuss it but {'were' if nearby > 1 else 'was'} not read closely."
    if unread - nearby:
        far = unread - nearby
        text += f" {far} other article{'s were' if far > 1 else ' was'} not found discussing it."
    return {"agree": agree, "differ": differ, "silent": silent, "text": text, "model_sentence": "",
            "counts": {s: len(by[s]) for s in STANCES}}


# --- the flow -----------------------------------------------------------------------

def _first_sentence(text: str) -> str:
    text = text.strip()
    spans = sentence_spans(text)
    return text[spans[0].start:spans[0].end] if spans else text


def label_mode(pipe: Pipeline, method: str, labels: str) -> tuple[str, calibration.Calibration | None]:
    """("judged" | "not judged" | "forced", the calibration) for this model and method."""
    if labels not in LABEL_MODES:
        raise InputError(f"Unknown --labels value {labels!r}; choose one of: {', '.join(LABEL_MODES)}.")
    if labels == "off":
        return NOT_JUDGED, None
    if method == "cues":
        return ("forced" if labels == "force" else NOT_JUDGED), None  # no model: never calibrated
    cal = calibration.calibrate(pipe.model, method, {a.id: a.title for a in pipe.articles}, pipe.settings.data_dir)
    if cal.passed:
        return "judged", cal
    return ("forced" if labels == "force" else NOT_JUDGED), cal


def _rows(pipe: Pipeline, topic: str, claim: str, n_quotes: int) -> tuple[list[tuple], list[str], int]:
    """(evidence, quotes) per article read for the topic, by article id (by relevance when there
    are many), the ids of the articles not read, and how many of those were close to the topic;
    quotes numbered in that order. The topic's
    words decide what is about it; the claim only joins the meaning searched for."""
    query = f"{topic}. {claim}" if claim else topic
    found = pipe.find_evidence(topic, k=pipe.settings.k, n_key=n_quotes, query=query, topic=True)
    read = [ev for ev in found if ev.examined]
    if len(read) > pipe.settings.shown:  # many rows: the strongest first
        order = {ADDRESSES: 0, MENTIONS: 1, SILENT: 2}
        read.sort(key=lambda e: (order.get(e.status, 3), -e.strength))
    else:
        read.sort(key=lambda e: e.article.id)
    numbers: dict[str, int] = {}
    out = []
    for ev in read:
        quotes = []
        if ev.status != SILENT:
            for sent in ev.sentences:
                n = numbers.setdefault(sent.passage_id, len(numbers) + 1)
                quotes.append(Evidence(sent.text, sent.start, sent.end, sent.passage_id, n, sent.role, sent.score,
                                       **voice_of(ev.article.text, sent.start, sent.end)))
        out.append((ev, quotes))
    return out, [ev.article.id for ev in found if not ev.examined], sum(ev.nearby for ev in found)


def _row(pipe, ev, quotes: list[Evidence], claim: str, mode: str, method: str, scorer) -> CompareRow:
    art = ev.article
    row = CompareRow(art.id, art.title, art.label, NOT_ADDRESSED, "Does not address this topic.", quotes, status=SILENT,
                     best_score=round(ev.best, 4), method="relevance", source=art.source)
    if ev.status == SILENT or not quotes:
        row.quotes = []
        return row
    key = next(q for q in quotes if q.role == "key")
    row.status, row.viewpoint, row.viewpoint_source = ev.status, voiced(key), "evidence"  # "Kudlow, quoted: “…”", never bare
    if mode == NOT_JUDGED or not claim:
        row.stance, row.method = NOT_JUDGED, "not judged"
        return row
    excerpts = "\n".join(f"[{q.citation}] {q.text}" for q in quotes)
    j = judge(pipe.model, method, claim, art.title, excerpts, scorer)
    row.stance, row.scores, row.method = j.stance, j.scores, j.method + (" (forced, unreliable)" if mode == "forced" else "")
    written = j if method == "schema" else judge_schema(pipe.model, claim, art.title, excerpts)
    said = _first_sentence(written.viewpoint) if written.viewpoint else ""
    if said and checked(said, quotes, question=claim, titles=[art.title, art.label], rules=pipe.rules).ok:
        row.viewpoint, row.viewpoint_source = said, "model"
    return row


def compare_stream(pipe: Pipeline, topic: str, claim: str | None = None, *, method: str | None = None,
                   quotes: int | None = None, summary: bool = False, labels: str = "auto") -> Iterator[CompareEvent]:
    """Run a comparison, yielding the claim, each row, the contrast, and finally `done`.

    `method`: how labels are decided (stance.METHODS) when the model may label; `labels`:
    "auto" (only a calibrated model labels), "force" (show a failing model's labels, marked
    unreliable) or "off"; `summary`: add one model sentence over the rows, shown only if it
    passes the support check.
    """
    s = pipe.settings
    method = method or DEFAULT_METHOD
    if method not in METHODS:
        raise InputError(f"Unknown stance method {method!r}; choose one of: {', '.join(METHODS)}.")
    topic, notices = clean_question(topic, s.max_question_chars)
    t0 = time.perf_counter()
    mode, cal = label_mode(pipe, method, labels)
    if claim is not None:
        claim, _ = clean_question(claim, s.max_question_chars)
        claim_source = "user"
    elif mode != NOT_JUDGED:
        claim, claim_source = derive_claim(pipe, topic)
    else:
        claim, claim_source = "", "none"  # a model that cannot judge stance writes no claim either
    yield CompareEvent("claim", text=claim)
    n_quotes = min(max(quotes if quotes is not None else s.quotes, 1), 3)
    rows_in, unread, nearby = _rows(pipe, topic, claim, n_quotes)
    t_retrieve = time.perf_counter() - t0
    scorer = Scorer(pipe.model) if mode != NOT_JUDGED and claim and pipe.model.can_score else None
    rows = []
    for ev, qs in rows_in:
        row = _row(pipe, ev, qs, claim, mode, method, scorer)
        rows.append(row)
        yield CompareEvent("row", row=row)
    con = contrast(rows, len(unread), nearby)
    # a topic asked as a fact question ("How many jobs will Airbus cut?"): rows giving different values
    asked = pipe.question_terms(topic)
    differences = disagree.find(asked, rows, disagree.term_weights(asked, getattr(pipe.evidence, "words", None)))
    if differences.text:
        con["text"] += " " + differences.text
    if summary:
        con["model_sentence"] = _summary(pipe, claim or topic, rows)
    yield CompareEvent("contrast", text=con["text"])
    name = pipe.model_name
    cal_text = f"accuracy {cal.accuracy:.0%} vs {cal.majority:.0%} on {cal.rows} gold rows" if cal else "labels off"
    note = {"judged": JUDGED, NOT_JUDGED: NOT_JUDGED_NOTE, "forced": FORCED}[mode].format(model=name, cal=cal_text)
    result = CompareResult(topic, claim, claim_source, rows, con, name, method, note, labels=mode,
                           calibration=(cal.__dict__ if cal else {}), notices=notices, not_examined=unread,
                           disagreements=differences.disagreements,
                           timing={"retrieval_s": round(t_retrieve, 3), "total_s": round(time.perf_counter() - t0, 3)})
    yield CompareEvent("done", result=result)


def _summary(pipe: Pipeline, subject: str, rows: list[CompareRow]) -> str:
    """One model sentence over the rows' key sentences, kept only if the support check passes."""
    speaking = [r for r in rows if r.stance != NOT_ADDRESSED]
    if len(speaking) < 2:
        return ""
    notes = "\n".join(f"- {r.label}: {r.quotes[0].text}" for r in speaking)
    stats = GenerationStats()
    reply = "".join(pipe.model.generate(prompts.render("compare_contrast", claim=subject, notes=notes), max_tokens=60, temperature=0.0, stats=stats))
    for sentence in support.whole_sentences(reply, 1):
        if checked(sentence, [q for r in speaking for q in r.quotes], question=subject,
                   titles=[r.title for r in rows] + [r.label for r in rows], rules=pipe.rules).ok:
            return sentence
    return ""


def compare(pipe: Pipeline, topic: str, claim: str | None = None, **kw) -> CompareResult:
    """A comparison without streaming (see `compare_stream` for the options)."""
    for ev in compare_stream(pipe, topic, claim, **kw):
        if ev.kind == "done" and ev.result is not None:
            return ev.result
    raise AssertionError("compare_stream always ends with 'done'")
