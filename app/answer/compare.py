"""Compare the articles on one topic: a stance row per article, and the contrast between them.

Scope: topic → explicit claim (given, or written by the model, or a template) → per-article
retrieval → for each article above the relevance floor, its verbatim evidence (sentences
chosen by retrieval, checked against the article), a stance label toward the claim and a
one-sentence viewpoint → an agree / differ / silent contrast computed from the labels.

Fairness: each article is judged alone (its own prompt, its own evidence), rows and
citation numbers follow article id, and the contrast is computed from sorted labels, so the
order in which articles are stored or listed never changes the outcome.
An article with no passage above the floor is "not addressed" and the model is not asked.
Not here: label methods (stance.py), formatting (render_compare.py), charts (plot.py).
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from typing import Iterator

from app.answer import prompts
from app.corpus.chunks import sentence_spans
from app.answer.citations import verify_quote
from app.errors import InputError
from app.llm import GenerationStats
from app.answer.question import clean_question
from app.pipeline import Pipeline
from app.answer.stance import DEFAULT_METHOD, LABELS, METHODS, NOT_ADDRESSED, Scorer, judge, judge_schema

STANCES = (*LABELS, NOT_ADDRESSED)
# Compare queries (topic + claim) are long and on-subject for every article about the same
# event, so similarities run higher than for questions: below 0.5 the best passage merely
# mentions the subject. Measured on the gold file (models.md): floor 0.3 caught 0 of 7
# "not addressed" articles, 0.5 caught 3 with 1 false alarm. The settings floor still applies.
COMPARE_FLOOR = 0.5
DISCLAIMER = "Stance labels and viewpoints are judgements by the model {model}, not facts; the quotes are verbatim."


@dataclass
class Row:
    article_id: str
    title: str
    label: str  # the article's short label
    stance: str  # one of STANCES
    viewpoint: str
    quotes: list[dict]  # {"text", "citation", "passage_id", "start", "end"}
    confidence: float | None = None
    scores: dict = field(default_factory=dict)
    best_score: float = 0.0
    method: str = ""  # how the stance was decided: a stance method, or "relevance floor"
    viewpoint_source: str = ""  # "model" or "evidence" (the top quote, when the model's was unusable)


@dataclass
class CompareResult:
    topic: str
    claim: str
    claim_source: str  # "user" | "model" | "template"
    rows: list[Row]
    contrast: dict  # {"agree": [...], "differ": [...], "silent": [...], "text": str, "model_sentence": str}
    model: str
    method: str
    disclaimer: str
    notices: list[str] = field(default_factory=list)
    timing: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class CompareEvent:
    kind: str  # "claim" | "row" | "contrast" | "done"
    row: Row | None = None
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

def _names(rows: list[Row]) -> str:
    names = [r.label for r in rows]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


VERB = {"supports": "support", "opposes": "oppose", "mixed": "are mixed on"}


def contrast(rows: list[Row]) -> dict:
    """Agree / differ / silent from the labels alone: deterministic and order-independent."""
    rows = sorted(rows, key=lambda r: r.article_id)
    by = {s: [r for r in rows if r.stance == s] for s in STANCES}
    agree = [f"{_names(by[s])} {'both' if len(by[s]) == 2 else 'all'} {VERB[s]} the claim." for s in LABELS if len(by[s]) >= 2]
    present = [s for s in LABELS if by[s]]
    differ = []
    if len(present) >= 2:
        differ.append("; ".join(f"{_names(by[s])}: {s}" for s in present) + ".")
    silent = [f"{_names(by[NOT_ADDRESSED])} {'does' if len(by[NOT_ADDRESSED]) == 1 else 'do'} not address it."] if by[NOT_ADDRESSED] else []
    if not present:
        text = "None of the articles addresses this topic."
    elif len(present) == 1:
        text = f"Every article that addresses it is labelled {present[0]}."
    else:
        text = "The articles differ. " + differ[0][0].upper() + differ[0][1:]
    if silent:
        text += " " + silent[0]
    return {"agree": agree, "differ": differ, "silent": silent, "text": text, "model_sentence": "",
            "counts": {s: len(by[s]) for s in STANCES}}


# --- the flow -----------------------------------------------------------------------

def _first_sentence(text: str) -> str:
    text = text.strip()
    spans = sentence_spans(text)
    return text[spans[0].start:spans[0].end] if spans else text


def _viewpoint(text: str, quotes: list[dict]) -> tuple[str, str]:
    first = _first_sentence(text)
    if len(first.split()) >= 4:
        return (first if first[-1] in ".!?" else first + "."), "model"
    return (quotes[0]["text"] if quotes else ""), "evidence"


def compare_stream(pipe: Pipeline, topic: str, claim: str | None = None, *, method: str | None = None,
                   quotes: int | None = None, summary: bool = False, viewpoints: bool = True,
                   floor: float | None = None) -> Iterator[CompareEvent]:
    """Run a comparison, yielding the claim, each row, the contrast, and finally `done`.

    `method`: how labels are decided (stance.METHODS); `summary`: add a one-sentence contrast
    written by the model; `viewpoints=False` skips the generated viewpoint (the top quote
    stands in) unless the method is `schema` - faster, used by the eval. `floor`: the
    relevance floor for this comparison [default: the higher of COMPARE_FLOOR and the settings floor].
    """
    s = pipe.settings
    method = method or DEFAULT_METHOD
    floor = max(COMPARE_FLOOR, s.floor) if floor is None else floor
    if method not in METHODS:
        raise InputError(f"Unknown stance method {method!r}; choose one of: {', '.join(METHODS)}.")
    topic, notices = clean_question(topic, s.max_question_chars)
    t0 = time.perf_counter()
    model = pipe.model
    if claim is not None:
        claim, _ = clean_question(claim, s.max_question_chars)
        claim_source = "user"
    else:
        claim, claim_source = derive_claim(pipe, topic)
    yield CompareEvent("claim", text=claim)
    n_quotes = min(max(quotes if quotes is not None else s.quotes, 1), 3)
    per_article = sorted(pipe.retriever.retrieve(f"{topic}. {claim}", k=s.k, quotes=n_quotes), key=lambda ah: ah.article.id)
    t_retrieve = time.perf_counter() - t0

    numbers: dict[str, int] = {}
    rows: list[Row] = []
    scorer = Scorer(model) if getattr(model, "can_score", False) else None
    t_model = time.perf_counter()
    for ah in per_article:
        art = ah.article
        above = ah.addressed and ah.best >= floor
        qs = []
        for q in ah.quotes if above else []:
            if verify_quote(art.text, q.text, q.start, q.end):
                n = numbers.setdefault(q.passage_id, len(numbers) + 1)
                qs.append({"text": q.text, "citation": n, "passage_id": q.passage_id, "start": q.start, "end": q.end})
        row = Row(art.id, art.title, art.label, NOT_ADDRESSED, "Does not address this topic.", qs, best_score=round(ah.best, 4), method="relevance floor")
        if above and qs:
            excerpts = "\n".join(f"[{q['citation']}] {q['text']}" for q in qs)
            written = None
            if viewpoints or method == "schema":  # the constrained call: label + viewpoint
                written = judge_schema(model, claim, art.title, excerpts)
            j = written if method == "schema" else judge(model, method, claim, art.title, excerpts, scorer)
            row.stance, row.confidence, row.scores, row.method = j.stance, j.confidence, j.scores, j.method
            row.viewpoint, row.viewpoint_source = _viewpoint(written.viewpoint if written else "", qs)
        rows.append(row)
        yield CompareEvent("row", row=row)
    con = contrast(rows)
    if summary and any(r.stance != NOT_ADDRESSED for r in rows):
        notes = "\n".join(f"- {r.label}: {r.stance}. {r.viewpoint}" for r in rows)
        stats = GenerationStats()
        reply = "".join(model.generate(prompts.render("compare_contrast", claim=claim, notes=notes), max_tokens=60, temperature=0.0, stats=stats))
        con["model_sentence"] = _first_sentence(reply)
    yield CompareEvent("contrast", text=con["text"])
    name = getattr(model, "name", "?")
    result = CompareResult(topic, claim, claim_source, rows, con, name, method, DISCLAIMER.format(model=name), notices,
                           {"retrieval_s": round(t_retrieve, 3), "model_s": round(time.perf_counter() - t_model, 3),
                            "total_s": round(time.perf_counter() - t0, 3)})
    yield CompareEvent("done", result=result)


def compare(pipe: Pipeline, topic: str, claim: str | None = None, **kw) -> CompareResult:
    """A comparison without streaming (see `compare_stream` for the options)."""
    for ev in compare_stream(pipe, topic, claim, **kw):
        if ev.kind == "done":
            return ev.result  # type: ignore[return-value]
    raise AssertionError("compare_stream always ends with 'done'")
