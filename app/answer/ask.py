"""Answer a question article by article (map), then contrast the views (reduce).

Scope: the ask flow as a stream of events that the CLI, the web app and batch runs all
consume, and the result object they render. Sources are numbered [1..N] in corpus order;
every [n] in model output is checked against them, every quote against its article.
Design for a tiny model: one short call per article over its best sentences, then one
short contrast call over the per-article notes, in fixed article-id order.
Not here: presentation (render.py), topic comparison (compare.py).
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from typing import Iterator

from app.answer import prompts
from app.answer.citations import CitationFilter, cited_numbers, clean_citations, verify_quote
from app.answer.question import clean_question
from app.llm import GenerationStats
from app.pipeline import Pipeline
from app.retrieve.hybrid import ArticleHits

NOT_ADDRESSED = "Does not address this."


@dataclass
class Event:
    kind: str  # "status" | "sources" | "viewpoint_start" | "viewpoint" | "answer_start" | "answer" | "done"
    text: str = ""
    article_id: str = ""
    result: "AskResult | None" = None


@dataclass
class AskResult:
    question: str
    answer: str
    perspectives: list[dict]
    passages: list[dict]
    citations: list[dict]
    answer_citations: list[int]
    model: str
    notices: list[str] = field(default_factory=list)
    timing: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _excerpt_lines(ah: ArticleHits, numbers: dict[str, int]) -> str:
    """The article's best sentences, each tagged with its source number."""
    lines = [f"[{numbers[q.passage_id]}] {q.text}" for q in ah.quotes]
    return "\n".join(lines)


def _fit(model, messages: list[dict], max_tokens: int) -> list[dict]:
    """Keep the prompt inside the context window by trimming the user message's tail lines."""
    budget = model.context_size - max_tokens - 16
    while sum(model.count_tokens(m["content"]) + 8 for m in messages) > budget:
        user = messages[-1]["content"]
        lines = user.split("\n")
        if len(lines) <= 3:
            messages[-1]["content"] = user[: max(200, len(user) // 2)]
            if len(user) <= 200:
                break
        else:
            del lines[-3]  # drop the last excerpt line, keep the closing instruction
            messages[-1]["content"] = "\n".join(lines)
    return messages


def _generate(model, messages, max_tokens, temperature, stats: GenerationStats, allowed: set[int], timing: dict) -> Iterator[str]:
    filt = CitationFilter(allowed)
    t0 = time.perf_counter()
    messages = _fit(model, messages, max_tokens)
    timing["prompt_s"] = timing.get("prompt_s", 0.0) + time.perf_counter() - t0  # fitting tokenizes the prompt
    for piece in model.generate(messages, max_tokens=max_tokens, temperature=temperature, stats=stats):
        out = filt.feed(piece)
        if out:
            yield out
    tail = filt.flush()
    if tail:
        yield tail


def ask_stream(pipe: Pipeline, question: str, *, history: list[str] | None = None) -> Iterator[Event]:
    """Run the whole ask flow, yielding events as they happen; the last is `done`."""
    s = pipe.settings
    q, notices = clean_question(question, s.max_question_chars)
    t0 = time.perf_counter()
    # A follow-up ("and the second one?") is retrieved together with the previous question.
    query = " ".join([*(history or [])[-1:], q])
    per_article = pipe.retriever.retrieve(query, k=s.k, quotes=s.quotes)
    t_retrieve = time.perf_counter() - t0

    # Number the sources: each addressed article's passages, in corpus order.
    numbers: dict[str, int] = {}
    passages: list[dict] = []
    for ah in per_article:
        if not ah.addressed:
            continue
        for h in ah.hits:
            if h.passage.id in numbers:
                continue
            numbers[h.passage.id] = len(numbers) + 1
            passages.append({
                "id": h.passage.id, "citation": numbers[h.passage.id], "article_id": ah.article.id, "title": ah.article.title,
                "position": h.passage.position, "start": h.passage.start, "end": h.passage.end, "text": h.passage.text,
                "score": round(h.score, 4), "lexical": round(h.lexical, 4), "fused": round(h.fused, 6),
            })
    yield Event("sources", result=None, text=str(len(passages)))

    model = pipe.model
    perspectives: list[dict] = []
    # prompt_s: prompt building (render + fit to the context), inside the model calls' wall time (model_s)
    spent = {"prompt_s": 0.0, "model_s": 0.0, "first_token_s": None, "prompt": 0, "completion": 0, "reused": 0}

    def call(template: str, max_tokens: int, allowed: set[int], parts: list[str], **fields) -> Iterator[str]:
        """One model call on a prompt template: stream its checked text, add up time and tokens."""
        tm = time.perf_counter()
        msgs = prompts.render(template, **fields)
        spent["prompt_s"] += time.perf_counter() - tm
        stats = GenerationStats()
        for piece in _generate(model, msgs, max_tokens, s.temperature, stats, allowed, spent):
            if spent["first_token_s"] is None:
                spent["first_token_s"] = time.perf_counter() - t0
            parts.append(piece)
            yield piece
        spent["model_s"] += time.perf_counter() - tm
        spent["prompt"] += stats.prompt_tokens
        spent["completion"] += stats.completion_tokens
        spent["reused"] += stats.reused_tokens

    for ah in per_article:
        art = ah.article
        quotes = [
            {"text": qu.text, "start": qu.start, "end": qu.end, "passage_id": qu.passage_id, "citation": numbers[qu.passage_id]}
            for qu in ah.quotes if verify_quote(art.text, qu.text, qu.start, qu.end)
        ]
        entry = {"article_id": art.id, "title": art.title, "label": art.label, "addressed": ah.addressed,
                 "best_score": round(ah.best, 4), "viewpoint": NOT_ADDRESSED, "quotes": quotes, "citations": []}
        yield Event("viewpoint_start", article_id=art.id, text=art.title)
        if ah.addressed and quotes:
            allowed = {qq["citation"] for qq in quotes}
            parts: list[str] = []
            for piece in call("viewpoint", s.viewpoint_tokens, allowed, parts, question=q, title=art.title, excerpts=_excerpt_lines(ah, numbers)):
                yield Event("viewpoint", text=piece, article_id=art.id)
            text = _tidy("".join(parts))
            cites = cited_numbers(text)
            if not cites:  # the model did not cite: point at the evidence it was given
                suffix = " " + "".join(f"[{n}]" for n in sorted(allowed))
                text = (text or quotes[0]["text"]) + suffix
                yield Event("viewpoint", text=suffix, article_id=art.id)
            entry["viewpoint"] = text
            entry["citations"] = cited_numbers(text)
        else:
            entry["addressed"] = False
            yield Event("viewpoint", text=NOT_ADDRESSED, article_id=art.id)
        perspectives.append(entry)

    # Reduce: contrast the viewpoints, in fixed article-id order (neutral, reproducible).
    notes = []
    for p in sorted(perspectives, key=lambda p: p["article_id"]):
        if p["addressed"]:
            n = p["citations"][0] if p["citations"] else ""
            view = re.sub(r"\s*\[\d+\]", "", p["viewpoint"]).strip()
            notes.append(f"[{n}] {p['label']}: {view}")
        else:
            notes.append(f"- {p['label']}: does not address the question.")
    allowed_all = set(numbers.values())
    answer = ""
    if any(p["addressed"] for p in perspectives):
        yield Event("answer_start")
        parts = []
        for piece in call("answer", s.answer_tokens, allowed_all, parts, question=q, notes="\n".join(notes)):
            yield Event("answer", text=piece)
        answer = _tidy("".join(parts))
        if not cited_numbers(answer):
            cites = sorted({p["citations"][0] for p in perspectives if p["citations"]})
            suffix = " (Sources: " + ", ".join(f"[{n}]" for n in cites) + ")"
            answer = (answer or "See the viewpoints below.") + suffix
            yield Event("answer", text=suffix)
    else:
        answer = "None of the articles addresses this question."
        yield Event("answer_start")
        yield Event("answer", text=answer)
    answer = clean_citations(answer, allowed_all)
    total = time.perf_counter() - t0
    citations = [{"n": p["citation"], "passage_id": p["id"], "article_id": p["article_id"], "title": p["title"]} for p in passages]
    result = AskResult(
        question=q, answer=answer, perspectives=perspectives, passages=passages, citations=citations,
        answer_citations=[n for n in cited_numbers(answer) if n in allowed_all], model=getattr(model, "name", "?"), notices=notices,
        timing={"retrieval_s": round(t_retrieve, 4), "prompt_s": round(spent["prompt_s"], 4), "model_s": round(spent["model_s"], 3),
                "first_token_s": round(spent["first_token_s"] or total, 3), "total_s": round(total, 3), "prompt_tokens": spent["prompt"],
                "completion_tokens": spent["completion"], "reused_prompt_tokens": spent["reused"]},
    )
    yield Event("done", result=result)


def _tidy(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text).strip()


def ask(pipe: Pipeline, question: str, *, history: list[str] | None = None) -> AskResult:
    """The ask flow without streaming."""
    result = None
    for ev in ask_stream(pipe, question, history=history):
        if ev.kind == "done":
            result = ev.result
    assert result is not None  # ask_stream always ends with "done"
    return result
