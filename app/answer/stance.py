"""Stance labels for one article toward one claim: the ways of asking, side by side.

Scope: given a claim and an article's evidence sentences, return a label in LABELS with a
confidence where one can be computed. Methods (measured in models.md, "Stance labels"):

- `schema`     JSON-schema-constrained generation of {"viewpoint", "stance"} (always parses).
- `logprob`    the log-probability of each one-word label after the question (no sampling).
- `calibrated` `logprob` minus the same scores for content-free evidence ("N/A"), which
               removes the tiny model's fixed preference for one word.
- `both-ways`  `calibrated` scores for the claim and for its negation, combined
               (supports ≈ supports(claim) + opposes(not claim)).
- `fewshot`    `calibrated` over a prompt with three invented worked examples.
- `cues`       no model: negation and contrast cues near the claim's words in the evidence.

Default `logprob`: on the gold file none of these beat always-"supports" with the tiny
default model (`logprob` ties it, the rest are worse); see models.md before changing it.

Not here: retrieval, the relevance floor ("not addressed" is decided before any of this),
rendering. Every label is a model's (or a heuristic's) judgement, never a fact.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from app.answer import prompts
from app.corpus.lexicon import CONTRARY, CONTRAST, NEGATIONS, STOPWORDS
from app.llm.jsonfix import parse_json_reply

LABELS = ("supports", "opposes", "mixed")
from app.answer.results import NOT_ADDRESSED  # noqa: E402,F401  (one value everywhere)
METHODS = ("schema", "logprob", "calibrated", "both-ways", "fewshot", "cues")
DEFAULT_METHOD = "logprob"

SCHEMA = {
    "type": "object",
    "properties": {
        "viewpoint": {"type": "string", "maxLength": 200},
        "stance": {"type": "string", "enum": list(LABELS)},
    },
    "required": ["viewpoint", "stance"],
}


@dataclass
class Judgement:
    stance: str
    confidence: float | None = None  # probability of the chosen label, when computable
    scores: dict = field(default_factory=dict)  # per-label scores the choice was made from
    viewpoint: str = ""  # only the `schema` method writes one
    method: str = ""


def softmax(scores: dict[str, float]) -> dict[str, float]:
    m = max(scores.values())
    exp = {k: math.exp(v - m) for k, v in scores.items()}
    total = sum(exp.values())
    return {k: v / total for k, v in exp.items()}


def _pick(scores: dict[str, float], method: str) -> Judgement:
    # Ties break by the fixed LABELS order, never by dict or article order.
    best = max(LABELS, key=lambda lab: (scores[lab], -LABELS.index(lab)))
    # No confidence: a softmax over label words is the model's preference, not a probability of being right.
    return Judgement(best, None, {k: round(v, 3) for k, v in scores.items()}, method=method)


def parse_schema_reply(text: str) -> tuple[str | None, str]:
    """(stance, viewpoint) from a JSON reply, repaired where safe (app/llm/jsonfix.py); a reply
    cut off by max_tokens keeps what it finished."""
    obj = parse_json_reply(text, SCHEMA) or {}
    stance = obj.get("stance")
    return (stance if stance in LABELS else None), str(obj.get("viewpoint") or "").strip()


def judge_schema(model, claim: str, title: str, excerpts: str, *, max_tokens: int = 90) -> Judgement:
    msgs = prompts.render("stance", claim=claim, title=title, excerpts=excerpts)
    reply = "".join(model.generate(msgs, max_tokens=max_tokens, temperature=0.0, schema=SCHEMA))
    stance, view = parse_schema_reply(reply)
    return Judgement(stance or "mixed", None, {}, view, "schema")


class Scorer:
    """Label log-probabilities, with the content-free prior cached per (prompt, claim)."""

    def __init__(self, model):
        self.model = model
        self._prior: dict[tuple[str, str], dict[str, float]] = {}

    def raw(self, template: str, claim: str, title: str, excerpts: str) -> dict[str, float]:
        msgs = prompts.render(template, claim=claim, title=title, excerpts=excerpts)
        return self.model.score_labels(msgs, list(LABELS))

    def calibrated(self, template: str, claim: str, title: str, excerpts: str) -> dict[str, float]:
        key = (template, claim)
        if key not in self._prior:
            self._prior[key] = self.raw(template, claim, "N/A", "N/A")
        raw = self.raw(template, claim, title, excerpts)
        return {k: raw[k] - self._prior[key][k] for k in LABELS}


def negate(claim: str) -> str:
    """The claim phrased the other way round (a plain, always-grammatical negation)."""
    return "It is not true that " + claim[:1].lower() + claim[1:].rstrip(".") + "."


def judge(model, method: str, claim: str, title: str, excerpts: str, scorer: Scorer | None = None) -> Judgement:
    """Label one article's evidence with `method` (see the module docstring)."""
    if method == "cues":
        return judge_cues(claim, excerpts)
    if method == "schema" or not model.can_score:
        return judge_schema(model, claim, title, excerpts)
    scorer = scorer or Scorer(model)
    if method == "logprob":
        return _pick(scorer.raw("stance_score", claim, title, excerpts), method)
    if method == "calibrated":
        return _pick(scorer.calibrated("stance_score", claim, title, excerpts), method)
    if method == "fewshot":
        return _pick(scorer.calibrated("stance_fewshot", claim, title, excerpts), method)
    if method == "both-ways":
        pos = scorer.calibrated("stance_score", claim, title, excerpts)
        neg = scorer.calibrated("stance_score", negate(claim), title, excerpts)
        combined = {"supports": pos["supports"] + neg["opposes"], "opposes": pos["opposes"] + neg["supports"], "mixed": pos["mixed"] + neg["mixed"]}
        return _pick({k: v / 2 for k, v in combined.items()}, method)
    raise ValueError(f"Unknown stance method {method!r}; choose one of {', '.join(METHODS)}.")


# --- cues: a model-free retrieval-side signal -------------------------------------------

_NEG = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, NEGATIONS | set(CONTRARY)), key=len, reverse=True)) + r")\b|n't\b", re.I)
_CONTRAST = re.compile(r"\b(?:" + "|".join(map(re.escape, CONTRAST)) + r")\b", re.I)


def _stems(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3 and w not in STOPWORDS}


def judge_cues(claim: str, excerpts: str) -> Judgement:
    """Count evidence sentences that share the claim's words and negate or qualify them."""
    terms = _stems(claim)
    neg = con = pos = 0
    for line in excerpts.splitlines():
        sentence = re.sub(r"^\[\d+\]\s*", "", line)
        if not terms & _stems(sentence):
            continue
        if _NEG.search(sentence):
            neg += 1
        elif _CONTRAST.search(sentence):
            con += 1
        else:
            pos += 1
    counts = {"supports": pos, "opposes": neg, "mixed": con + (1 if pos and neg else 0)}
    total = sum(counts.values())
    if total == 0:
        return Judgement("mixed", None, counts, method="cues")
    scores = {k: math.log((v + 0.5) / (total + 1.5)) for k, v in counts.items()}
    return _pick(scores, "cues")
