"""What a question is about, in words: key terms, their close synonyms, numbers, and its kind.

Scope: turn a question into stemmed key terms (stopwords and question words removed), each
with its synonyms (export controls ~ sanctions, blockade, chips…), the numbers it names,
and whether it asks for one specific fact (how many, who, where, when, which…) or for views.
The synonym list is small and hand-written for news about technology, states and education;
it widens what counts as "about the question", it never narrows it.
Not here: scoring (evidence.py) or any model.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

_PER_THREAD = threading.local()  # one stemmer per thread (see _stemmer)
_WORD = re.compile(r"U\.S\.|[A-Za-z][A-Za-z0-9'’]*|\d[\d,.]*%?")  # hyphens split: "US-China" is "US" and "China"
NUMBER = re.compile(r"\b\d[\d,]*(?:\.\d+)?%?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|half|dozen)s?\b", re.I)

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers him his how i if in
into is it its itself just me more most my no nor not now of off on once only or other our out over own same she should so
some such than that the their theirs them then there these they this those through to too under until up very was we were
what when where which while who whom whose why will with would you your yours
article articles author authors say says said think thinks view views viewpoint opinion according tell tells told describe
describes described explain explains mention mentions mentioned discuss discusses discussed piece pieces writer text
many much use used uses make makes made get gets got way ways thing things like one's let lets
""".split())

# Close synonyms (plain words, stemmed on use). Symmetric: each word stands for its whole group.
_SYNONYM_GROUPS = [
    "export exports controls sanctions restrictions restricted ban banned blockade containment embargo curbs",
    "chips chip semiconductors gpus nvidia h800 h100 a100 processors",
    "government beijing party ccp officials policy authorities regime communist",
    "education universities university schools students graduates phd college academic stem",
    "innovation innovative original breakthrough invention creativity novel pioneering",
    "funding funds investment money financing subsidies capital budget",
    "hiring hires recruit recruitment talent employees staff team",
    "credit deserve deserves responsible thanks merit",
    "success successful achievement accomplishment triumph",
    "cost costs cheap inexpensive affordable price expensive",
    "usa america american americans washington united",
    "ai artificial intelligence",
    "company companies firm firms startup start-up business enterprise",
]


@lru_cache(maxsize=1 << 16)  # a corpus repeats its words: indexing 1,000 articles stems ~400,000
def stem(word: str) -> str:
    return _stemmer().stemWord(word.lower().replace("’", "'").removesuffix("'s"))


def _stemmer():
    """This thread's stemmer: a snowball stemmer keeps its word in itself, so two threads on
    one stemmer corrupt each other (seen: IndexError with two web users at once)."""
    found = getattr(_PER_THREAD, "stemmer", None)
    if found is None:
        found = _PER_THREAD.stemmer = snowballstemmer.stemmer("english")
    return found


@lru_cache(maxsize=1)
def _synonyms() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for group in _SYNONYM_GROUPS:
        stems = {stem(w) for w in group.split()}
        for s in stems:
            out.setdefault(s, set()).update(stems)
    return {k: frozenset(v) for k, v in out.items()}


def stems(text: str) -> list[str]:
    """Stemmed content words of `text`, in order (stopwords dropped)."""
    out = []
    for w in _WORD.findall(text):
        if w in ("US", "U.S."):  # the country, not the pronoun
            w = "USA"
        lw = w.lower().replace("’", "'")
        if lw.removesuffix("'s") in STOPWORDS or len(lw) < 2:
            continue
        out.append(stem(lw) if lw[0].isalpha() else lw.rstrip(".,"))
    return out


def numbers(text: str) -> set[str]:
    """Numbers in `text`, normalised: "77,000" -> "77000", "Two" -> "two"."""
    return {m.group(0).lower().replace(",", "").rstrip("s") if m.group(0)[0].isalpha() else m.group(0).replace(",", "")
            for m in NUMBER.finditer(text)}


SYNONYM_CREDIT = 0.6  # a synonym is evidence the sentence is about the term, less than the word itself


@dataclass(frozen=True)
class Term:
    stem: str
    alternatives: frozenset[str]  # the stem and its close synonyms

    def found_in(self, words: set[str]) -> bool:
        return not self.alternatives.isdisjoint(words)

    def strength_in(self, words: set[str]) -> float:
        """1 for the word itself, SYNONYM_CREDIT for a close synonym only, else 0."""
        if self.stem in words:
            return 1.0
        return SYNONYM_CREDIT if self.found_in(words) else 0.0


_FACT_START = re.compile(
    r"^\s*(how (many|much|long|old|big|large|fast)|who\b|whom\b|where\b|when\b|which\b|what (year|month|date|day|time|number|percentage|share|"
    r"company|university|city|country|firm|model|chips?|is the name|was the name|are the names|were the names|did \w+ (say|call|tell|claim|predict|announce))|"
    r"in (what|which) (year|city|country)|name the\b)", re.I)
_NUMBER_START = re.compile(r"^\s*(how (many|much|long|old)|what (year|month|date|number|percentage|share)|when\b|in what year)", re.I)


_DATE_START = re.compile(r"^\s*(when\b|what (year|month|date|day)|in (what|which) year)", re.I)
_MONTH = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December|(19|20)\d\d|last year|this year|ago)\b")
_NAME_START = re.compile(r"^\s*(who\b|whom\b|where\b|which\b|what (company|university|city|country|firm|model|chips?|is the name|was the name|are the names|were the names)|in (what|which) (city|country)|name the\b)", re.I)
# "How old…?" asks for an age, not any number: "ranked in the top 100" was the lead for "How
# old is DeepSeek's founder?" while "The forty-year-old, bespectacled programmer" went unshown
# (strict review, session 14). An age: "forty-year-old", "41 years old", "aged 26", "an average age of 26".
_AGE_START = re.compile(r"^\s*how old\b", re.I)
_AGE = re.compile(r"\b[\w-]+[- ]years?[- ]old\b|\baged \d+|\bage of \d+|\bin (?:his|her|their) (?:twenties|thirties|forties|fifties|sixties|seventies)\b"
                  r"|\b(?:is|are|was|were) (?:not )?(?:very |quite |relatively |still )?(?:old|young)\b", re.I)
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z0-9-]+")
# Names every article here uses: they never answer a "who / which" question on their own.
_COMMON_NAMES = {"deepseek", "china", "chinese", "ai", "us", "usa", "the", "american", "america"}


@dataclass(frozen=True)
class QuestionTerms:
    text: str
    terms: tuple[Term, ...]
    numbers: frozenset[str]
    kind: str  # "fact" | "view"
    wants_number: bool
    answer_type: str = ""  # for fact questions: "number", "date", "age", "name", or "" (any)

    def holds_answer(self, text: str) -> bool:
        """Whether `text` holds something of the kind the question asks for (a number for
        "how many", a date for "when", an age for "how old", a name for "who / which"). True
        for view questions."""
        return bool(self.answers_in(text)) if self.answer_type else True

    def answers_in(self, text: str) -> set[str]:
        """The candidate answers of the asked kind in `text`, lower-cased: its numbers (not the
        question's), dates, or names. Empty when the question asks for no particular kind."""
        if self.answer_type == "age":
            return {m.group(0).lower() for m in _AGE.finditer(text)}
        if self.answer_type in ("number", "date"):
            dates = {m.group(0).lower() for m in _MONTH.finditer(text)} if self.answer_type == "date" else set()
            return (numbers(text) - self.numbers) | dates
        if self.answer_type != "name" or (_ASKS_THE_NAME.search(self.text) and not _NAMING.search(text)):
            return set()
        if _ASKS_A_SCHOOL.search(self.text):  # "Which universities…?": a university's name, not any name
            return {m.group(0).lower() for m in _SCHOOL_NAME.finditer(text)}
        asked = {w.lower() for w in _WORD.findall(self.text)}
        # A capital that starts a quote or clause ("“If the US…") is no name: stopwords never are.
        return {m.group(0).lower() for m in _PROPER.finditer(text)} - asked - _COMMON_NAMES - STOPWORDS


# "What was the name of…" asks for the name itself: the answer sentence names it ("a company
# named High-Flyer"), which is stronger than any capitalised word near the topic.
_ASKS_THE_NAME = re.compile(r"\bwhat (?:is|was|are|were) the names? of\b|\bwhat (?:is|was) (?:it|\w+) called\b", re.I)
# "Which (Chinese) universities…" asks for schools by name ("Tsinghua University", "University of
# Oxford"): "the United States" in a sentence about education is no answer (dev q08, session 13).
_ASKS_A_SCHOOL = re.compile(r"\bwhich (?:\w+ )?(?:universit(?:y|ies)|colleges?|schools?|institutes?)\b", re.I)
_SCHOOL_NAME = re.compile(r"\b[A-Z][\w-]+ (?:University|College|School|Institute)\b|\b(?:University|College|Institute) of [A-Z]")
_NAMING = re.compile(r"\b(?:named|called|known as|dubbed|nicknamed)\s+[“\"'‘]?[A-Z]")


_HOW = re.compile(r"\bhow\s+([a-z]+)", re.I)


def analyse(question: str) -> QuestionTerms:
    syn = _synonyms()
    seen: list[str] = []
    asked_as = {stem(w) for w in _HOW.findall(question)}  # "how old / how big": the question's form, not its subject
    for s in stems(question):
        if s not in seen and s not in asked_as:
            seen.append(s)
    terms = tuple(Term(s, frozenset({s} | syn.get(s, frozenset()))) for s in seen)
    kind = "fact" if _FACT_START.search(question) else "view"
    wants_number = bool(_NUMBER_START.search(question))
    answer_type = ""
    if kind == "fact":
        answer_type = ("date" if _DATE_START.search(question) else "age" if _AGE_START.search(question)
                       else "number" if wants_number else "name" if _NAME_START.search(question) else "")
    return QuestionTerms(question, terms, frozenset(numbers(question)), kind, wants_number, answer_type)
