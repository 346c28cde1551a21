"""Values in a sentence, normalised so two articles' figures can be compared.

Scope: the numbers, dates and names a sentence gives, each with where it stands, how it is
written ("about $2 billion") and a normal form: a number with its unit class and magnitude
("$2.3 billion" and "2.3 billion dollars" are both 2.3e9 USD; "18 months" and "two years" are
548 and 730 days), a date as (year, month, day, weekday) with the parts it leaves open, a name
as its words. `compatible` says whether two values can be the same fact.
Not here: which value answers a question (disagree.py), exchange rates (a figure in roubles is
not compared with one in dollars), arithmetic between figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}
MAGNITUDES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
CURRENCY_BEFORE = {"us$": "USD", "$": "USD", "usd": "USD", "£": "GBP", "#": "GBP", "€": "EUR", "sgd": "SGD", "¥": "JPY"}
CURRENCY_AFTER = {"dollars": "USD", "dollar": "USD", "usd": "USD", "us dollars": "USD", "pounds": "GBP", "euros": "EUR", "euro": "EUR",
                  "yuan": "CNY", "renminbi": "CNY", "rubles": "RUB", "roubles": "RUB", "ruble": "RUB", "yen": "JPY"}
DAYS = {"year": 365, "years": 365, "month": 30.4, "months": 30.4, "week": 7, "weeks": 7, "day": 1, "days": 1}
PLAIN_UNITS = {"%": "percent", "percent": "percent", "per cent": "percent", "points": "points", "point": "points",
               "km": "km", "kilometres": "km", "kilometers": "km", "miles": "miles", "metres": "m", "meters": "m",
               "tons": "t", "tonnes": "t", "ton": "t", "kg": "kg", "hours": "hours", "minutes": "minutes"}
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

# "about", "more than", "up to": part of how a figure is written, shown with it.
_HEDGE = r"(?:(?:about|around|approximately|roughly|nearly|almost|some|over|more than|less than|fewer than|up to|at least|at most|close to|just over|just under)\s+)?"
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+,\d{2}(?=\s?%)|\d+(?:\.\d+)?"
_WORDS = "|".join(sorted(WORD_NUMBERS, key=len, reverse=True))
_NUMBER = re.compile(
    rf"(?P<all>{_HEDGE}(?P<cur>US\$|\$|£|€|¥|#\s?|(?:USD|SGD)\s?)?(?P<num>(?<![\w.])(?<!\w-)(?:{_DIGITS})|\b(?:{_WORDS})\b)(?:-(?P<mag1>billion|million|thousand))?"
    rf"(?:\s?(?P<mag>thousand|million|billion|trillion|bn|mn|m|k)\b)?"
    rf"(?:\s?(?P<unit>%|per ?cent\b|points?\b|(?:US )?dollars?\b|USD\b|pounds\b|euros?\b|yuan\b|renminbi\b|roubles?\b|rubles?\b|yen\b"
    rf"|years?\b|months?\b|weeks?\b|days?\b|hours\b|minutes\b|km\b|kilomet(?:re|er)s\b|miles\b|met(?:re|er)s\b|tons?\b|tonnes\b|kg\b))?"
    rf"(?:\s(?P<noun>(?-i:[a-z][a-z-]{{2,}}(?:\s[a-z][a-z-]{{2,}})?)))?)", re.I)
_NOT_A_NOUN = {"in", "of", "to", "for", "and", "or", "the", "a", "an", "on", "at", "by", "with", "from", "than", "as", "that", "which",
               "who", "was", "were", "is", "are", "has", "have", "had", "will", "would", "be", "been", "this", "its", "their", "his", "her",
               "per", "after", "before", "since", "into", "over", "under", "up", "down", "lower", "higher", "more", "less", "each"}
_MONTH = r"(?:jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|aug(?:ust|\.)?|sep(?:t(?:ember)?|\.)?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?)"
_DATE = re.compile(
    rf"\b(?:(?P<part>early|mid|late)[- ](?P<py>(?:19|20)\d\d)"
    rf"|(?P<d1>\d{{1,2}})\s(?P<m1>{_MONTH})(?:,?\s(?P<y1>(?:19|20)\d\d))?"
    rf"|(?P<m2>{_MONTH})\s(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s(?P<y2>(?:19|20)\d\d))?"
    rf"|(?P<m3>{_MONTH}),?\s(?P<y3>(?:19|20)\d\d)"
    rf"|(?P<m4>{_MONTH})(?=\s(?:this|next|last)\b|\s?[.,;)]|\s(?!\d))"
    rf"|(?P<y4>(?:19|20)\d\d)"
    rf"|(?P<wd>{'|'.join(WEEKDAYS)}))\b", re.I)
_CAPITAL_BEFORE = re.compile(r"(?:^|\s)[a-z]*[A-Z][\w-]*\s$")  # "Boeing 747", "iPhone 4": a model number, not a figure


@dataclass(frozen=True)
class Value:
    kind: str  # "number" | "date" | "name"
    unit: str  # numbers: "USD", "percent", "days", "count"…; dates and names: ""
    norm: tuple  # numbers: (amount,); dates: (year, month, day, weekday) with None for open parts; names: lower-case words
    text: str  # as the sentence writes it ("about $2 billion", "October 2007")
    start: int  # offset in the sentence


def numbers_in(sentence: str) -> list[Value]:
    """The figures of a sentence, without years and model numbers ("A380", "Boeing 747")."""
    out = []
    for m in _NUMBER.finditer(sentence):
        raw = m.group("num")
        if _model_number(sentence, m.start("num")) and not m.group("cur"):
            continue
        if re.match(r"[A-Za-z]", sentence[m.end("num"):]) and not (m.group("mag") or m.group("unit")):
            continue  # "3GS", "16GB", "4G": a model or a spec, not a figure
        if re.fullmatch(r"(?:19|20)\d\d", raw) and not (m.group("cur") or m.group("mag") or m.group("unit")):
            continue  # a year is a date
        if _MONTH_BEFORE.search(sentence[:m.start("num")]) or re.match(rf"\s{_MONTH}\b", sentence[m.end("num"):], re.I):
            continue  # the day of a date ("October 25", "25 October")
        if re.match(r"[-–]\w", sentence[m.end("num"):]) and not m.group("mag1"):
            continue  # part of a compound ("three-class", "24-hour"): not a figure of its own
        if re.match(r":\d", sentence[m.end("num"):]) or re.search(r"\d:$", sentence[:m.start("num")]):
            continue  # a time of day ("16:08 UTC", "9:45 a.m.")
        if raw.lower() == "one" and not (m.group("mag") or m.group("unit")):
            continue  # "one of the few", "one thing": a pronoun, not a figure
        amount = _amount(raw)
        if amount is None:
            continue
        magnitude = MAGNITUDES.get((m.group("mag") or m.group("mag1") or "").lower(), 1.0)
        unit, factor = _unit(m.group("cur"), m.group("unit"))
        noun_words = []
        for word in (m.group("noun") or "").split():  # "149 confirmed orders", "840 people in": the words that name what is counted
            if word in _NOT_A_NOUN:
                break
            noun_words.append(word)
            if word.endswith("s"):
                break  # a plural ends what is counted ("5,200 migrants", not "5,200 migrants crossed")
        keep_noun = unit == "count" and bool(noun_words)
        end = m.start("noun") + len(" ".join(noun_words)) if keep_noun else max(e for e in (m.end("num"), m.end("mag") if m.group("mag") else -1,
                                                               m.end("unit") if m.group("unit") else -1, m.end("mag1") if m.group("mag1") else -1))
        text = sentence[m.start("all"):end].strip()
        text = text[0].lower() + text[1:] if m.start("cur" if m.group("cur") else "num") > m.start("all") else text  # "About 5,000" -> "about 5,000"
        if _CHANGE_BEFORE.search(sentence[:m.start("all")]) or _CHANGE_AFTER.match(sentence[end:]):
            unit += CHANGE  # "fell 678 points", "up 2.5%": a change, not a level ("closing at 8,579.19")
        out.append(Value("number", unit, (round(amount * magnitude * factor, 6),), text, m.start("all")))
    return out


_MONTH_BEFORE = re.compile(rf"\b{_MONTH}\s$", re.I)


def _model_number(sentence: str, at: int) -> bool:
    """Whether the figure at `at` is part of a name ("Boeing 747", "iPhone 4", "FTSE 100"): the
    word before it is capitalised, and is not the sentence's first word ("About 5,000…"), a
    month ("October 25") or a word that opens a figure ("Between 5,140 and 5,200")."""
    before = sentence[:at]
    m = _CAPITAL_BEFORE.search(before)
    if not m or _MONTH_BEFORE.search(before):
        return False
    word = m.group(0).strip()
    return bool(before[:m.start()].strip()) and word.lower() not in ("about", "between", "some", "over", "nearly", "almost", "around")
CHANGE = "/change"  # appended to a figure's unit when it measures a change
_CHANGE_BEFORE = re.compile(r"\b(?:by|up|down|rose|rise of|fell|fall of|dropped|drop of|gained|lost|loss of|surged|plunged|jumped|slid|"
                            r"climbed|declined|decline of|increase of|decrease of|increased|decreased|added|shed)\s+$", re.I)
_CHANGE_AFTER = re.compile(r"\s+(?:higher|lower|up|down)\b", re.I)


def _amount(raw: str) -> float | None:
    low = raw.lower()
    if low in WORD_NUMBERS:
        return float(WORD_NUMBERS[low])
    if re.fullmatch(r"\d+,\d{2}", raw):  # "8,26%": a decimal comma
        return float(raw.replace(",", "."))
    try:
        return float(raw.replace(",", ""))
    except ValueError:
        return None


def _unit(currency: str | None, unit: str | None) -> tuple[str, float]:
    """(unit class, factor to its base): a currency code, "days" for durations, a plain unit, or "count"."""
    if currency:
        return CURRENCY_BEFORE.get(currency.strip().lower(), "money"), 1.0
    low = (unit or "").lower()
    if low in CURRENCY_AFTER:
        return CURRENCY_AFTER[low], 1.0
    if low in DAYS:
        return "days", DAYS[low]
    if low.replace(" ", "") in ("percent", "%"):
        return "percent", 1.0
    return (PLAIN_UNITS.get(low, "count"), 1.0) if low else ("count", 1.0)


def dates_in(sentence: str) -> list[Value]:
    """The dates of a sentence: "18 January 2005", "October 25", "July 2006", "mid-2006", "2030", "Friday"."""
    out = []
    for m in _DATE.finditer(sentence):
        g = m.groupdict()
        year = g["py"] or g["y1"] or g["y2"] or g["y3"] or g["y4"]
        month = g["m1"] or g["m2"] or g["m3"] or g["m4"]
        day = g["d1"] or g["d2"]
        if g["m4"] and not _capitalised(g["m4"]):
            continue  # "may" the verb, "march" the noun
        if month and not _capitalised(month):
            continue
        norm = (int(year) if year else None, _month(month) if month else None, int(day) if day else None,
                WEEKDAYS.index(g["wd"].lower()) if g["wd"] else None)
        if g["wd"] and not _capitalised(g["wd"]):
            continue
        out.append(Value("date", "", norm, m.group(0), m.start()))
    return out


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _month(word: str) -> int:
    low = word.lower().rstrip(".")
    return next(i + 1 for i, name in enumerate(MONTHS) if name.startswith(low[:3]))


def names_in(sentence: str, asked: set[str]) -> list[Value]:
    """Runs of capitalised words that are not the sentence's first word nor words of the
    question (`asked`): "Harvard University", "Steve Jobs"."""
    out = []
    for m in re.finditer(r"(?<![\w’'])[A-Z][\w’'.-]*(?:\s+(?:of|de|van|von|al|bin|the)?\s*[A-Z][\w’'.-]*)*", sentence):
        words = [w for w in re.findall(r"[\w’'.-]+", m.group(0)) if w[:1].isupper()]
        words = [w.rstrip(".").removesuffix("’s").removesuffix("'s") for w in words]
        keep = [w for w in words if w.lower() not in asked | _NOT_NAMES and len(w) > 1]
        if m.start() == 0 or re.search(r"[.!?“\"]\s*$", sentence[:m.start()]):
            keep = keep[1:] if keep and keep[0] == words[0] else keep  # a sentence's first word is capitalised anyway
        if keep:
            out.append(Value("name", "", tuple(w.lower() for w in keep), " ".join(keep), m.start()))
    return out


# Capitalised words that name no one: months and weekdays (a date), company-form suffixes.
_NOT_NAMES = set(MONTHS) | set(WEEKDAYS) | {"inc", "ltd", "corp", "co", "llc", "plc", "ag", "sa", "gmbh"}


def compatible(a: Value, b: Value) -> bool:
    """Whether two values can state the same fact: equal figures in one unit; dates that agree
    on every part both give ("2006" and "July 2006"; "July 2006" and "November 2006" do not);
    names of which one holds the other's words ("Jobs" and "Steve Jobs")."""
    if a.kind != b.kind or a.unit != b.unit:
        return False
    if a.kind == "number":
        return abs(a.norm[0] - b.norm[0]) <= 1e-9 * max(1.0, abs(a.norm[0]))
    if a.kind == "date":
        return all(x is None or y is None or x == y for x, y in zip(a.norm, b.norm))
    return set(a.norm) <= set(b.norm) or set(b.norm) <= set(a.norm)


def comparable(a: Value, b: Value) -> bool:
    """Whether two values measure in the same terms, so that unequal ones disagree."""
    return a.kind == b.kind and a.unit == b.unit
