"""The one typed result model every front end reads: CLI, JSON, web app, batch and eval.

Scope: plain dataclasses for what the ask and compare flows produce, the fixed wording of
"not addressed", and `to_dict()` for the documented JSON (README, "ask --json schema").
Offsets always index the article's *cleaned* text. Not here: building results (ask.py,
compare.py) or formatting them (app/render, app/ui).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from app.corpus.articles import Source
from app.corpus.attribution import attribute

NOT_ADDRESSED_TEXT = "Does not address this."  # what a silent article's card says
# What a "mentions" card says: about half of these articles address the question and half do
# not (dev split, models.md), so the reader is told so and judges from the quotes.
UNSURE_TEXT = "may not address the question: these are its closest sentences"


def unsure_text(reason: str = "") -> str:
    """An unsure card's caution, with its reason when there is one ("mentions tariffs only in passing")."""
    return f"may not address the question ({reason}): these are its closest sentences" if reason else UNSURE_TEXT
NOT_ADDRESSED = "not addressed"  # the stance value of a silent article in compare
NOT_JUDGED = "not judged"  # the stance value when the model cannot judge stance (calibration)
NOT_JUDGED_TEXT = "not judged (model too small to judge stance; read the evidence)"

# How much an article has to say about a question (decided in code from its evidence).
ADDRESSES = "addresses"  # evidence about the question, near the best article's
MENTIONS = "mentions"  # weak evidence, or an article that lacks most of the question's words: unsure
SILENT = "silent"  # nothing about the question: no evidence, no model call


@dataclass
class Evidence:
    """One verbatim sentence (or two joined neighbours) of an article: text == article.text[start:end]."""

    text: str
    start: int
    end: int
    passage_id: str
    citation: int
    role: str = "key"  # "key": chosen for the question; "context": a neighbour that completes it
    score: float = 0.0
    # Whose words these are (app/corpus/attribution.py): "own" (the article's voice), "quoted"
    # (a named person or body, `speaker` as the article names them) or "unattributed" (someone
    # the article does not name); "" when not known (a result read back from an older file).
    voice: str = ""
    speaker: str | None = None


def voice_of(text: str, start: int, end: int) -> dict:
    """The `voice` and `speaker` fields of an Evidence for text[start:end] of an article."""
    found = attribute(start, end, text)
    return {"voice": found.kind, "speaker": found.speaker}


@dataclass
class Disagreement:
    """One value that some of the articles answering a fact question give, when others give
    another (disagree.py): the value as they write it, the articles, and the verbatim sentence
    (with its citation) of the first of them."""

    value: str
    articles: list[str]
    quote: str
    citation: int
    sources: list[str] = field(default_factory=list)  # each article's outlet and date ("Vox, 13 May 2019"), as `articles`


@dataclass
class SourcePassage:
    """A numbered source: one retrieved passage."""

    id: str
    citation: int
    article_id: str
    title: str
    position: int
    start: int
    end: int
    text: str
    score: float  # cosine similarity with the question
    lexical: float  # BM25
    fused: float  # reciprocal-rank fusion (what the order follows)


@dataclass
class Perspective:
    """One article's card in an answer."""

    article_id: str
    title: str
    label: str
    status: str  # ADDRESSES | MENTIONS | SILENT
    best_score: float
    viewpoint: str  # what the card says first: a checked paraphrase, else the key sentence
    quotes: list[Evidence] = field(default_factory=list)  # the evidence, verbatim and cited
    citations: list[int] = field(default_factory=list)
    paraphrase: str = ""  # the model's sentence, only when it passed the support check
    dropped: int = 0  # generated sentences that failed the support check (never shown)
    source: Source = field(default_factory=Source)
    reason: str = ""  # why an unsure card may not address the question ("never mentions tariffs"); "" otherwise

    @property
    def addressed(self) -> bool:
        return self.status != SILENT


@dataclass
class AskResult:
    question: str
    kind: str  # "fact" (asks for one specific fact) or "view"
    answer: str
    answer_citations: list[int]
    perspectives: list[Perspective]
    passages: list[SourcePassage]
    model: str
    answer_generated: list[str] = field(default_factory=list)  # the answer's model-written sentences (each checked)
    dropped: int = 0  # generated sentences dropped by the support check, answer and cards together
    generated: int = 0  # generated sentences shown (each passed the check)
    dropped_reasons: list[str] = field(default_factory=list)  # why the check refused each dropped sentence, in order
    notices: list[str] = field(default_factory=list)
    timing: dict = field(default_factory=dict)
    model_error: str = ""  # the model's process crashed mid-answer: this line; the quotes are complete
    not_examined: list[str] = field(default_factory=list)  # ids of articles not among the question's candidates (silent, unread)
    disagreements: list[Disagreement] = field(default_factory=list)  # a fact question's answering articles give different values

    @property
    def citations(self) -> list[dict]:
        return [{"n": p.citation, "passage_id": p.id, "article_id": p.article_id, "title": p.title} for p in self.passages]

    def to_dict(self) -> dict:
        out = asdict(self)
        for p, obj in zip(out["perspectives"], self.perspectives):
            p["addressed"] = obj.addressed
        out["citations"] = self.citations
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "AskResult":
        """Rebuild a result from its JSON (a batch answers file); unknown keys are ignored."""
        cards = [_build(Perspective, p, quotes=[_build(Evidence, q) for q in p.get("quotes", [])],
                        source=_build(Source, p.get("source") or {})) for p in data.get("perspectives", [])]
        return _build(cls, data, perspectives=cards, passages=[_build(SourcePassage, p) for p in data.get("passages", [])],
                      disagreements=[_build(Disagreement, d) for d in data.get("disagreements", [])])


@dataclass
class CompareRow:
    """One article's row in a comparison."""

    article_id: str
    title: str
    label: str
    stance: str  # supports | opposes | mixed | NOT_JUDGED | NOT_ADDRESSED
    viewpoint: str
    quotes: list[Evidence]
    status: str = SILENT
    confidence: float | None = None  # never a softmax over label words; only a calibrated figure
    scores: dict = field(default_factory=dict)
    best_score: float = 0.0
    method: str = ""  # how the stance was decided: a stance method, "relevance", or "not judged"
    viewpoint_source: str = ""  # "model" (checked) or "evidence" (the key sentence, with whose words it gives)
    source: Source = field(default_factory=Source)


@dataclass
class CompareResult:
    topic: str
    claim: str
    claim_source: str  # "user" | "model" | "template" | "none"
    rows: list[CompareRow]
    contrast: dict  # {"agree", "differ", "silent", "text", "model_sentence", "counts"}
    model: str
    method: str
    disclaimer: str
    labels: str = "judged"  # "judged" | "not judged" | "forced" (shown although the model failed calibration)
    calibration: dict = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    timing: dict = field(default_factory=dict)
    not_examined: list[str] = field(default_factory=list)  # ids of articles not among the topic's candidates (no row)
    disagreements: list[Disagreement] = field(default_factory=list)  # rows that give different values for the topic

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "CompareResult":
        """Rebuild a comparison from its JSON (a batch answers file); unknown keys are ignored."""
        rows = [_build(CompareRow, r, quotes=[_build(Evidence, q) for q in r.get("quotes", [])],
                       source=_build(Source, r.get("source") or {})) for r in data.get("rows", [])]
        return _build(cls, data, rows=rows, disagreements=[_build(Disagreement, d) for d in data.get("disagreements", [])])


def _build(kind, data: dict, **overrides):
    names = {f.name for f in fields(kind)}
    return kind(**{**{k: v for k, v in data.items() if k in names}, **overrides})
