"""Sources that disagree: the articles that answer a fact question give different figures,
dates or names for it.

Scope: decided in code over the verbatim sentences the cards show. For each article that
speaks to the question, the value it gives for the asked quantity: among the numbers (for
"how many / how much"), dates ("when") or names ("who / which") in its sentences, the ones in
the clause that holds most of the question's words, weighted by how rare each word is in the
corpus ("up to 800 passengers in a single-class economy configuration" answers "…in an
all-economy layout?", "555 passengers in a three-class configuration" does not). Articles
whose values can be the same (values.compatible) agree; two or more such groups in the same
terms (a unit, a currency) are a disagreement, shown with each value's articles, outlet and
date. An article whose sentences give no value near the question's words takes no side.
Not here: parsing values (values.py), wording the rest of the answer (ask.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from app.answer import timing
from app.answer.dated import UNKNOWN, named, source_note
from app.answer.results import ADDRESSES, SILENT, Disagreement, Evidence, Perspective
from app.answer.values import WORD_NUMBERS, Value, comparable, compatible, dates_in, names_in, numbers_in
from app.corpus.lexicon import STOPWORDS
from app.retrieve.terms import QuestionTerms, stem, stems
from app.rules import RULES

# Clause breaks: a figure belongs with the words of its own clause ("840 people in all-economy
# class (550 for a Boeing 747), or 555 people in three classes" holds three figures for three things).
# A comma before a capitalised word mostly lists names ("Sberbank, VTB Group and Gazprombank").
_CLAUSE = re.compile(r"[;:]|\s[—–-]\s|,\s(?![A-Z]|\d{3}\b)|\s(?:or|while|whereas|but|versus|compared (?:to|with)|on top of|in addition to)\s")
_BRACKETS = re.compile(r"\([^()]*\)")
_AGE = re.compile(r"\b(?P<n>[\w-]+?)[- ]years?[- ]old\b|\baged (?P<a>\d+)|\bage of (?P<b>\d+)", re.I)
_HOW = re.compile(r"\bhow (?:many|much)\s+(?:of\s+)?(?:the\s+)?([a-z]+)", re.I)
_NOT_UNITS = {"did", "does", "do", "is", "was", "were", "are", "has", "have", "had", "will", "would", "can", "could", "money"}
# A question word found in fewer than a fifth of the corpus's sentences (rarity log(1 + 5)): not the
# subject every article shares ("A380", "Airbus"), so it can tell what a figure is about.
FOCUS_WEIGHT = math.log(6) - 1e-9
SHOWN_GROUPS = 4  # values named in the answer before the rest are counted
SHOWN_SOURCES = 3  # sources named per value before the rest are counted


@dataclass
class _Answer:
    """One article's answer to the question: its values in the clause nearest the question."""

    card: Perspective
    values: list[Value]
    quote: Evidence
    score: float


def term_weights(qt: QuestionTerms, words) -> list[float]:
    """Each question term's rarity over the corpus's sentences (`words`: CorpusWords), the word
    itself, not its related words (with them, "government" in a corpus about governments' money
    looked as common as the subject); all 1.0 without counts."""
    if words is None or not getattr(words, "sentences", 0):
        return [1.0] * len(qt.terms)
    return [math.log(1 + words.sentences / (1 + words.found(frozenset({t.stem})))) for t in qt.terms]


@dataclass
class Differences:
    """What the answer says about disagreeing sources: the JSON's entries and the sentence."""

    disagreements: list[Disagreement]
    text: str  # "The sources differ: …", "" when they do not


def find(qt: QuestionTerms, cards: list[Perspective], weights: list[float] | None = None, compact: bool = False) -> Differences:
    """The values the articles give for a fact question, one entry per group of articles that
    agree, when two or more groups disagree; none when they agree or give nothing comparable.
    `compact`: the sentence names fewer values and sources (a long answer; the JSON keeps all)."""
    groups = _disagreeing_groups(qt, cards, weights)
    return Differences([_entry(g) for g in groups], sentence(groups, compact))


def agreeing(qt: QuestionTerms, cards: list[Perspective], best: Perspective, weights: list[float] | None = None) -> dict[str, bool]:
    """For each article that gives a value, whether it gives the same value as `best` (the
    article the answer quotes); articles that give none are left out (undecided)."""
    answers = _answers(qt, cards, weights)
    mine = next((a for a in answers if a.card is best), None)
    if mine is None:
        return {}
    return {a.card.article_id: any(compatible(x, y) for x in a.values for y in mine.values)
            for a in answers if a.card is not best and any(comparable(x, y) for x in a.values for y in mine.values)}


def _disagreeing_groups(qt: QuestionTerms, cards: list[Perspective], weights: list[float] | None) -> list[list[_Answer]]:
    answers = _answers(qt, cards, weights)
    groups = _groups(answers)
    if len(groups) < 2:
        return []
    # the terms most articles answer in (one currency, one unit): groups in other terms are left out
    units = [v.unit for g in groups for v in g[0].values]
    unit = max(set(units), key=units.count)
    same = [g for g in groups if any(v.unit == unit for a in g for v in a.values)]
    return sorted(same, key=_earliest) if len(same) >= 2 else []


def _answers(qt: QuestionTerms, cards: list[Perspective], weights: list[float] | None) -> list[_Answer]:
    if qt.kind != "fact" or qt.answer_type not in ("number", "date", "age", "name"):
        return []
    weights = weights or [1.0] * len(qt.terms)
    speaking = [c for c in cards if c.status != SILENT and c.quotes]
    asked = timing.asked_time(qt.text)
    if any(timing.in_time(c.source.date, asked) for c in speaking):  # "on September 17": that day's figures only
        speaking = [c for c in speaking if timing.in_time(c.source.date, asked)]
    found = [a for a in (_answer(qt, c, weights) for c in speaking) if a]
    top = max((a.score for a in found), default=0.0)
    # an unsure card ("may not address it") takes a side only when its sentence is as close to
    # the question as any: a test flight "carrying 150 passengers" is no seating figure
    return [a for a in found if a.card.status == ADDRESSES or a.score >= top]


def _answer(qt: QuestionTerms, card: Perspective, weights: list[float]) -> _Answer | None:
    """The card's values in the clause closest to the question, when that clause is about the
    asked quantity (_takes_a_side); None when no clause is."""
    scored: list[tuple[float, Value, Evidence]] = []
    for q in card.quotes:
        for v in _values(qt, q.text):
            if _takes_a_side(qt, q.text, v, weights):
                scored.append((_relevance(qt, q.text, v, weights), v, q))
    best = max((s for s, _, _ in scored), default=0.0)
    if best <= 0:
        return None
    top = [(v, q) for s, v, q in scored if s >= best - 1e-9]
    if qt.answer_type == "name" and len({v.norm for v, _ in top}) > 1:
        return None  # two names in the clause nearest the question: which one answers it is not clear
    return _Answer(card, [v for v, _ in top], top[0][1], best)


def _values(qt: QuestionTerms, sentence: str) -> list[Value]:
    if qt.answer_type == "date":
        return dates_in(sentence)
    if qt.answer_type == "age":
        return [Value("number", "years", (float(n),), m.group(0), m.start()) for m in _AGE.finditer(sentence)
                if (n := _age(m)) is not None]
    if qt.answer_type == "name":  # of the kind asked ("Which universities…": a school's name; not the event's own names), no "Many"
        wanted = {w for answer in qt.answers_in(sentence) for w in answer.split()}
        return [v for v in names_in(sentence, {w.lower() for w in re.findall(r"[\w’'-]+", qt.text)})
                if set(v.norm) & wanted and not set(v.norm) <= STOPWORDS]
    return [v for v in numbers_in(sentence) if v.norm[0] not in _question_numbers(qt)]


def _age(m: re.Match) -> int | None:
    raw = (m.group("n") or m.group("a") or m.group("b") or "").lower()
    if raw.isdigit():
        return int(raw)
    parts = raw.split("-")
    return sum(WORD_NUMBERS.get(p, 0) for p in parts) or None


def _question_numbers(qt: QuestionTerms) -> set[float]:
    return {v.norm[0] for v in numbers_in(qt.text)}


def _relevance(qt: QuestionTerms, sentence: str, value: Value, weights: list[float]) -> float:
    """The rarity-weighted question words in the value's clause (a bare figure in brackets, "(US$19.7
    billion)", belongs to the clause before it), plus one word's worth when the figure counts
    what the question counts ("how many passengers" and "800 passengers")."""
    words = set(stems(_clause_of(sentence, value)))
    score = sum(w * t.strength_in(words, RULES.synonym_credit) for t, w in zip(qt.terms, weights))
    if _counts_the_asked_unit(qt, sentence, value):
        score += max(weights, default=1.0)
    return score


def _takes_a_side(qt: QuestionTerms, sentence: str, value: Value, weights: list[float]) -> bool:
    """Whether the value's clause is about the asked quantity: it counts the asked unit ("how many
    orders": "…ordered"), or holds two of the question's words that are not the corpus's subject
    (one, when the question has only one), or, for one item of a breakdown ("3,700 in Germany"),
    a name the question asks about; "receiving the first four aircraft" shares one word with
    "How many orders had Airbus received for the A380?" and answers another question."""
    words = set(stems(_clause_of(sentence, value)))
    asked = _asked_unit(qt)
    measure = _MEASURES.get(asked)
    if value.kind == "number" and measure:
        return value.unit == measure  # "how many months late": "two years late", not "four aircraft"
    if value.kind == "number" and _in_a_list(sentence, value):
        names = {stem(w) for w in re.findall(r"(?<!^)\b[A-Z][\w-]+", qt.text)}
        return any(t.stem in names and t.stem in words for t, w in zip(qt.terms, weights) if w >= FOCUS_WEIGHT)
    if asked and asked in words:
        return True
    # the question's own words, not related ones: "injection … into the Russian economy" is not
    # "infuse into its stock markets", however close the words are in meaning
    focus = [t.stem for t, w in zip(qt.terms, weights) if w >= FOCUS_WEIGHT]
    focus = focus or [t.stem for t in qt.terms]  # a few articles on one thing: every word is common, none is discounted
    if len(focus) == 1:  # one word to go by ("cost"): the sentence must name what the question names ("iPhone 4")
        return focus[0] in words and all(name in sentence for name in _NAMED.findall(qt.text))
    return sum(t in words for t in focus) >= min(2, len(focus)) > 0


# What a "how many / how much" question measures in, when it is a unit (values.py's unit classes).
_MEASURES = {stem(w): unit for w, unit in (("days", "days"), ("weeks", "days"), ("months", "days"), ("years", "days"),
                                             ("percent", "percent"), ("dollars", "USD"), ("points", "points"), ("miles", "miles"),
                                             ("kilometres", "km"), ("kilometers", "km"), ("tons", "t"), ("tonnes", "t"))}


_NAMED = re.compile(r"\b[a-z]*[A-Z][\w-]*(?:\s+(?:\d+\w*|[A-Z][\w-]*))+")  # "iPhone 4", "FTSE 100", "Steve Jobs"


def _asked_unit(qt: QuestionTerms) -> str:
    """The stem of what a "how many / how much" question counts ("passengers" -> "passeng")."""
    asked = _HOW.search(qt.text)
    return stem(asked.group(1)) if asked and asked.group(1).lower() not in _NOT_UNITS else ""


def _counts_the_asked_unit(qt: QuestionTerms, sentence: str, value: Value) -> bool:
    """Whether the figure is followed by what the question counts ("800 passengers", "149 confirmed orders")."""
    asked = _asked_unit(qt)
    if not asked or value.kind != "number":
        return False
    if asked in _MEASURES:
        return value.unit == _MEASURES[asked]
    after = re.findall(r"[a-z]+", sentence[value.start:value.start + len(value.text) + 30].lower())[:4]
    return asked in {stem(w) for w in after}


_ITEM = re.compile(r"\d[\d,.]*%?\s+(?:[a-z]+\s+)?(?:in|for|at)\s+(?:the\s+)?[A-Z]")  # "3,700 in Germany", "4,300 jobs in France"


def _in_a_list(sentence: str, value: Value) -> bool:
    """Whether the figure is one item of a breakdown ("4,300 jobs in France, 3,700 in Germany,
    1,600 in UK and 400 in Spain"; "…1,600 and 400 jobs cut respectively"), which a question
    about the whole ("How many jobs will Airbus cut?") does not ask for: three or more
    figures in its unit, each for a named place or body, or a sentence that says "respectively"."""
    same = sum(v.unit == value.unit for v in numbers_in(sentence))
    return same >= 3 and (len(_ITEM.findall(sentence)) >= 3 or "respectively" in sentence)


def _clause_of(sentence: str, value: Value) -> str:
    """The clause a value stands in. Brackets are clauses of their own ("(550 for a Boeing
    747)"), except a bare figure in them, which restates the one before ("500 billion rubles
    (US$19.7 billion)") and belongs to the clause around it; the clause around brackets runs on
    after them."""
    for m in _BRACKETS.finditer(sentence):
        if m.start() < value.start < m.end():
            inner = m.group(0)[1:-1]
            if re.sub(r"[\W\d_]+|\b(?:US|USD|SGD|bn|billion|million|trillion|thousand|dollars?|euros?|pounds|yuan|rubles|roubles)\b", "",
                      inner.replace(value.text, "")).strip():
                return inner
            break
    masked = _BRACKETS.sub(lambda m: " " * len(m.group(0)), sentence)
    cuts = [0] + [m.end() for m in _CLAUSE.finditer(masked)] + [len(sentence)]
    for i in range(len(cuts) - 1):
        if cuts[i] <= value.start < cuts[i + 1]:
            return masked[cuts[i]:cuts[i + 1]]
    return masked


def _groups(answers: list[_Answer]) -> list[list[_Answer]]:
    """Articles joined when any of their values are compatible (union-find over articles)."""
    parent = list(range(len(answers)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(answers):
        for j in range(i):
            if any(compatible(x, y) for x in a.values for y in answers[j].values):
                parent[root(i)] = root(j)
    out: dict[int, list[_Answer]] = {}
    for i, a in enumerate(answers):
        out.setdefault(root(i), []).append(a)
    return list(out.values())


def _earliest(group: list[_Answer]) -> tuple:
    dates = sorted(str(a.card.source.date) for a in group if a.card.source.date not in ("", "unknown"))
    return (0, dates[0]) if dates else (1, min(a.quote.citation for a in group))


def _entry(group: list[_Answer]) -> Disagreement:
    first = min(group, key=lambda a: a.quote.citation)
    return Disagreement(value=_value_text(group), articles=[a.card.article_id for a in group], quote=first.quote.text,
                        citation=first.quote.citation, sources=[source_note(a.card.source) for a in group])


def _value_text(group: list[_Answer]) -> str:
    """The group's values as the articles write them: "about 5,000"; "5,140 and 5,200"."""
    seen: list[Value] = []
    for a in group:
        for v in a.values:
            if not any(x.norm == v.norm and x.unit == v.unit for x in seen):
                seen.append(v)
    texts = [v.text for v in seen[:3]]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def sentence(groups: list[list[_Answer]], compact: bool = False) -> str:
    """"The sources differ: about 5,000 (Vox, 13 May 2019 [2]); 5,140 and 5,200 (Newsmax, 13 May 2019 [4])."."""
    if not groups:
        return ""
    values, sources = (2, 1) if compact else (SHOWN_GROUPS, SHOWN_SOURCES)
    parts = []
    for group in groups[:values]:
        named = [_source(a) for a in sorted(group, key=lambda a: (str(a.card.source.date), a.quote.citation))[:sources]]
        more = len(group) - sources
        parts.append(f"{_value_text(group)} ({'; '.join(named)}{f'; {more} more' if more > 0 else ''})")
    rest = len(groups) - values
    tail = f"; {rest} other value{'s' if rest > 1 else ''}" if rest > 0 else ""
    return f"The sources differ{_when(groups)}: " + "; ".join(parts) + tail + "."


def _when(groups: list[list[_Answer]]) -> str:
    """", at different dates" when no two values come from articles of the same date (a figure
    may have changed between them: the reader sees each one's date); "" otherwise."""
    dates = [{str(a.card.source.date)[:10] for a in g} for g in groups]
    if any("unknown" in d or "" in d for d in dates):
        return ""
    seen: set[str] = set()
    for d in dates:
        if d & seen:
            return ""
        seen |= d
    return ", at different dates"


def _source(a: _Answer) -> str:
    """"Wikinews, 18 Jan 2005 [1]"; the article's «label» (with its date, if known) when its
    outlet is unknown."""
    outlet = a.card.source.outlet not in ("", UNKNOWN)
    return f"{source_note(a.card.source) if outlet else named(a.card.label, a.card.source)} [{a.quote.citation}]"
