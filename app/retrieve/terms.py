"""What a question is about, in words: key terms, their related words, numbers, and its kind.

Scope: turn a question into stemmed key terms (stopwords and question words removed), each
with the corpus words related to it (given by the caller: related.py finds them with the
embedding model, so "funding" brings "funds", "money", "grants"), the numbers it names, and
whether it asks for one specific fact (how many, who, where, when, which…) or for views.
Related words widen what counts as "about the question"; they never narrow it.
Not here: scoring (evidence.py), any model, any word list (app/corpus/lexicon.py).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable

import snowballstemmer

from app.corpus.lexicon import AMOUNT_VERBS, FACT_VERBS, NAMED_KINDS, STOPWORDS, fold

_PER_THREAD = threading.local()  # one stemmer per thread (see _stemmer)
# Hyphens split: "US-China" is "US" and "China". A digit with capitals is a model's name, one
# word ("iPhone 3G", "4K"): split, its "G" was dropped as too short and an article on another
# model matched as well as one on the model asked about.
_WORD = re.compile(r"U\.S\.|[A-Za-z][A-Za-z0-9'’]*|\d+[A-Z]{1,3}\b|\d[\d,.]*%?")
NUMBER = re.compile(r"\b\d[\d,]*(?:\.\d+)?%?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|half|dozen)s?\b", re.I)


@lru_cache(maxsize=1 << 16)  # a corpus repeats its words: indexing 1,000 articles stems ~400,000
def stem(word: str) -> str:
    return _stemmer().stemWord(fold(word))


def _stemmer():
    """This thread's stemmer: a snowball stemmer keeps its word in itself, so two threads on
    one stemmer corrupt each other (seen: IndexError with two web users at once)."""
    found = getattr(_PER_THREAD, "stemmer", None)
    if found is None:
        found = _PER_THREAD.stemmer = snowballstemmer.stemmer("english")
    return found


def written_stems(text: str) -> list[tuple[str, str]]:
    """(written form, stem) of each content word of `text`, in order (stopwords dropped); the
    form is folded (lexicon.fold): "Companies'" -> ("companies'", "compani")."""
    out = []
    for w in _WORD.findall(text):
        if w in ("US", "U.S."):  # the country, not the pronoun
            w = "USA"
        lw = fold(w)
        if lw in STOPWORDS or len(lw) < 2:
            continue
        out.append((lw, stem(lw) if lw[0].isalpha() else lw.rstrip(".,")))
    return out


def stems(text: str) -> list[str]:
    """Stemmed content words of `text`, in order (stopwords dropped)."""
    return [st for _, st in written_stems(text)]


def numbers(text: str) -> set[str]:
    """Numbers in `text`, normalised: "77,000" -> "77000", "Two" -> "two"."""
    return {m.group(0).lower().replace(",", "").rstrip("s") if m.group(0)[0].isalpha() else m.group(0).replace(",", "")
            for m in NUMBER.finditer(text)}


@dataclass(frozen=True)
class Term:
    stem: str
    alternatives: frozenset[str]  # the stem and the corpus words related to it
    word: str = ""  # as the question writes it (folded), for telling a reader about it

    def found_in(self, words: set[str]) -> bool:
        return not self.alternatives.isdisjoint(words)

    def strength_in(self, words: set[str], synonym_credit: float) -> float:
        """1 for the word itself, `synonym_credit` for a related word only, else 0."""
        if self.stem in words:
            return 1.0
        return synonym_credit if self.found_in(words) else 0.0


_FACT_START = re.compile(
    r"^\s*(how (many|much|long|old|big|large|fast)|who\b|whom\b|where\b|when\b|which\b|what (year|month|date|day|time|number|percentage|share|"
    r"company|university|city|country|firm|model|is the name|was the name|are the names|were the names|did \w+ (say|call|tell|claim|predict|announce))|"
    r"in (what|which) (year|city|country)|name the\b)", re.I)
_NUMBER_START = re.compile(r"^\s*(how (many|much|long|old)|what (year|month|date|number|percentage|share)|when\b|in what year)", re.I)


# "What did the iPhone 3G cost…?", "What did Apple give owners…?": a subject of a few words,
# then a verb that asks for a thing done or given (lexicon.FACT_VERBS).
_DID_SUBJECT = r"^\s*what did (?:[\w’'&.-]+\s+){1,6}?"
_DID_FACT = re.compile(_DID_SUBJECT + rf"(?:{'|'.join(sorted(FACT_VERBS))})\b", re.I)
_DID_AMOUNT = re.compile(_DID_SUBJECT + rf"(?:{'|'.join(sorted(AMOUNT_VERBS))})\b", re.I)


_DATE_START = re.compile(r"^\s*(when\b|what (year|month|date|day)|in (what|which) year)", re.I)
_MONTH = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December|(19|20)\d\d|last year|this year|ago)\b")
_NAME_START = re.compile(r"^\s*(who\b|whom\b|where\b|which\b|what (company|university|city|country|firm|model|is the name|was the name|are the names|were the names)|in (what|which) (city|country)|name the\b)", re.I)
# "How old…?" asks for an age, not any number ("ranked in the top 100" is none). An age:
# "forty-year-old", "41 years old", "aged 26", "an average age of 26".
_AGE_START = re.compile(r"^\s*how old\b", re.I)
_AGE = re.compile(r"\b[\w-]+[- ]years?[- ]old\b|\baged \d+|\bage of \d+|\bin (?:his|her|their) (?:twenties|thirties|forties|fifties|sixties|seventies)\b"
                  r"|\b(?:is|are|was|were) (?:not )?(?:very |quite |relatively |still )?(?:old|young)\b", re.I)
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z0-9-]+")
# A name of several words: "Singapore Airlines", "University of Oxford", "General Motors".
_NAME_SPAN = re.compile(r"\b[A-Z][\w&'’-]*(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w&'’-]*)+")
# The noun a "which / what" question asks for a name of: "Which airline…", "Which Chinese universities…".
_ASKED_KIND = re.compile(r"\b(?:which|what)\s+(\w+)(?:\s+(\w+))?", re.I)


@dataclass(frozen=True)
class QuestionTerms:
    text: str
    terms: tuple[Term, ...]
    numbers: frozenset[str]
    kind: str  # "fact" | "view"
    wants_number: bool
    answer_type: str = ""  # for fact questions: "number", "date", "age", "name", or "" (any)
    common: frozenset[str] = frozenset()  # stems of the names nearly every article uses: never an answer alone

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
        of_kind, named_kind = self._names_of_asked_kind(text)
        if of_kind or named_kind:  # "Which airline…?": "Singapore Airlines" before any other name
            return of_kind
        asked = {w.lower() for w in _WORD.findall(self.text)}
        # A capital that starts a quote or clause ("“If the US…") is no name: stopwords never are.
        names = {m.group(0).lower() for m in _PROPER.finditer(text)} - asked - STOPWORDS
        return {n for n in names if stem(n) not in self.common}

    def _names_of_asked_kind(self, text: str) -> tuple[set[str], bool]:
        """Names of several words in `text` that hold the noun the question asks about ("Which
        university…" -> "Ridgeway University"), lower-cased; and whether that noun is part of
        the names of its kind (lexicon.NAMED_KINDS), so that no other name can answer."""
        m = _ASKED_KIND.search(self.text)
        if not m:
            return set(), False
        first, second = m.groups()
        noun = second if second and fold(second) not in STOPWORDS else first  # "which foreign universities" / "which university did"
        if fold(noun) in STOPWORDS:
            return set(), False
        kind = stem(noun)
        names = {n.group(0).lower() for n in _NAME_SPAN.finditer(text) if kind in {stem(w) for w in n.group(0).split()}}
        return names, fold(noun) in NAMED_KINDS


# "What was the name of…" asks for the name itself: the answer sentence names it ("a company
# named Northwind"), which is stronger than any capitalised word near the topic.
_ASKS_THE_NAME = re.compile(r"\bwhat (?:is|was|are|were) the names? of\b|\bwhat (?:is|was) (?:it|\w+) called\b", re.I)
_NAMING = re.compile(r"\b(?:named|called|known as|dubbed|nicknamed)\s+[“\"'‘]?[A-Z]")


_HOW = re.compile(r"\bhow\s+([a-z]+)", re.I)


Related = Callable[[str, str], Iterable[str]]  # (written form, stem) -> stems of related corpus words


def question_kind(question: str) -> str:
    """"fact" (asks for one specific fact: who, when, how many…) or "view"."""
    return "fact" if _FACT_START.search(question) or _DID_FACT.search(question) else "view"


def analyse(question: str, related: Related | None = None, common: frozenset[str] = frozenset()) -> QuestionTerms:
    """The question's terms, kind and asked-for answer. `related`: the corpus words related to a
    term (related.py); `common`: stems of the names nearly every article of the corpus uses."""
    seen: dict[str, str] = {}
    asked_as = {stem(w) for w in _HOW.findall(question)}  # "how old / how big": the question's form, not its subject
    for form, s in written_stems(question):
        if s not in seen and s not in asked_as:
            seen[s] = form
    terms = tuple(Term(s, frozenset({s, *(related(form, s) if related else ())}), form or s) for s, form in seen.items())
    kind = question_kind(question)
    wants_number = bool(_NUMBER_START.search(question) or _DID_AMOUNT.search(question))
    answer_type = ""
    if kind == "fact":
        answer_type = ("date" if _DATE_START.search(question) else "age" if _AGE_START.search(question)
                       else "number" if wants_number else "name" if _NAME_START.search(question) else "")
    return QuestionTerms(question, terms, frozenset(numbers(question)), kind, wants_number, answer_type, common)
