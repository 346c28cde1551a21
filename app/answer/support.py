"""The support check: a generated sentence is shown only if the cited sentences carry it.

Scope: deterministic rules, in code, that a tiny model's sentence must pass before anyone
sees it. A sentence fails when
- it has a number that is not in the cited sentences (or the question),
- it has a name or capitalised term that is not in them (or the question, or the titles),
- too few of its content words come from them, or more than two are its own (it says
  something they do not),
- it negates what they state, or states what they negate (the cases a cue word shows),
- it says something rose, fell or stayed the same where they do not ("remain at $99" for
  "reduced to $99"),
- it adds a judgement or a prescription they do not make ("should", "must", "a concern"),
- it is a fragment, a question, a list item or a copy of the prompt's scaffolding.
Also: cutting a model reply into whole sentences (never mid-sentence), without repeats.
Not here: deciding which sentences are cited (ask.py does), or any model call.
This check cannot prove a sentence true; it only refuses what the evidence does not carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.corpus.chunks import sentence_spans
from app.corpus.lexicon import CHANGE_WORDS, NEGATIONS, fold
from app.retrieve.terms import numbers, stem, stems
from app.rules import RULES, Rules

# Words that turn a report into a judgement or a prescription; the evidence must have them too.
_JUDGEMENT = re.compile(r"\b(should|must|ought|need(s|ed)? to|have to|has to|lesson|concern(s|ed|ing)?|worr(y|ies|ied)|proves?|clearly|undoubtedly)\b", re.I)
_NEGATION = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, NEGATIONS), key=len, reverse=True)) + r")\b|n[’']t\b", re.I)
_CHANGE = frozenset(stems(" ".join(CHANGE_WORDS)))
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z0-9’'-]*[A-Za-z0-9]|\b[A-Z]\b")
_CITATIONS_FIRST = re.compile(r"^(?:\s*\[\d+\])+")
_ENDS_WHOLE = re.compile(r"[.!?…][\"'”’»)\]]*(?:\s*\[\d+\])*$")
# Words a paraphrase may add around the evidence without saying anything new.
_FRAME = set(stems("article argues says states claims notes suggests writes describes explains points out believes sees "
                   "according author piece reports highlights emphasises emphasizes stresses mentions"))
_FUNCTION_CAPS = {"the", "a", "an", "this", "that", "these", "those", "it", "its", "in", "on", "at", "for", "but", "and",
                  "however", "while", "although", "according", "both", "all", "some", "they", "their", "he", "she", "his",
                  "her", "as", "by", "to", "of", "with", "from", "if", "when", "so", "yet", "i", "we", "article", "articles"}


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""  # why it failed, for the eval and tests (never shown as the answer)


def _words(text: str) -> set[str]:
    return set(stems(text))


def _names(text: str) -> set[str]:
    """Capitalised terms, lower-cased, without the function words that start sentences."""
    return {fold(m.group(0)) for m in _CAPITALISED.finditer(text)} - _FUNCTION_CAPS


def check(sentence: str, cited: list[str], *, question: str = "", titles: list[str] | None = None, rules: Rules = RULES) -> Verdict:
    """Does the evidence in `cited` carry `sentence`? (see the module docstring for the rules)"""
    plain = re.sub(r"\s*\[\d+\]", "", sentence).strip()
    if len(plain.split()) < 4 or not plain[-1:] in ".!" or plain.endswith(("...", "…")):
        return Verdict(False, "not a whole sentence")
    for title in titles or []:
        head = title.rstrip("….").strip()[:40].lower()
        rest = plain.lower().replace(head, " ") if len(head) > 12 else plain.lower()
        if rest != plain.lower() and len(re.findall(r"[a-z0-9]+", rest)) < 5:
            return Verdict(False, "copies an article's title, says nothing of its own")
    if re.match(r"^\s*(\d+[.)]|[-*•]|#|Question:|Answer:|Notes?:|Excerpts?)", plain, re.I):
        return Verdict(False, "list item or prompt scaffolding")
    if not cited:
        return Verdict(False, "cites no evidence")
    evidence = " ".join(cited)
    context = " ".join([evidence, question, *(titles or [])])
    missing_numbers = numbers(plain) - numbers(context)
    if missing_numbers:
        return Verdict(False, f"number not in the evidence: {sorted(missing_numbers)[0]}")
    known = _words(context) | {w.lower() for w in re.findall(r"[A-Za-z0-9’'-]+", context)}
    for name in _names(plain):
        if name not in known and stem(name) not in known:
            return Verdict(False, f"name not in the evidence: {name}")
    content = [w for w in stems(plain) if w not in _FRAME]
    if content:
        have = _words(evidence)
        overlap = sum(w in have for w in content) / len(content)
        if overlap < rules.min_overlap:
            return Verdict(False, f"says more than the evidence ({overlap:.0%} of its words are there)")
        new = sorted({w for w in content if w not in have})
        if len(new) > rules.max_new_words:
            return Verdict(False, f"adds {len(new)} words of its own")
    if bool(_NEGATION.search(plain)) != bool(_NEGATION.search(closest(plain, cited))):
        return Verdict(False, "negation differs from the evidence")
    moved = (_words(plain) & _CHANGE) - _words(evidence)
    if moved:
        return Verdict(False, f"says something changed (or did not) where the evidence does not: {sorted(moved)[0]}")
    added = {m.group(0).lower() for m in _JUDGEMENT.finditer(plain)} - {m.group(0).lower() for m in _JUDGEMENT.finditer(evidence)}
    if added:
        return Verdict(False, f"adds a judgement the evidence does not make: {sorted(added)[0]}")
    return Verdict(True)


def closest(sentence: str, cited: list[str]) -> str:
    """The cited sentence that shares the most words with `sentence`."""
    words = _words(sentence)
    return max(cited, key=lambda c: len(words & _words(c)))


# A preamble that says nothing about the articles: "The answer to the question is: The
# innovation did not come from…" (written by the bundled model).
_PREAMBLE = re.compile(r"^(?:(?:the |my )?answer(?: to (?:the|your|this) question)?(?: is)?|in summary|to summari[sz]e)\s*:\s*", re.I)


def whole_sentences(text: str, limit: int) -> list[str]:
    """The first `limit` complete sentences of a model reply, without repeats, list markers or
    a preamble ("The answer to the question is:").

    Text after the last sentence end is dropped, so nothing is ever shown cut mid-sentence.
    """
    out: list[str] = []
    seen: set[frozenset] = set()
    for piece in _reply_sentences(text):
        s = re.sub(r"\s+", " ", piece).strip()
        s = re.sub(r"^(\d+[.)]|[-*•])\s*", "", s)
        bare = _PREAMBLE.sub("", s)
        if bare != s:  # the sentence proper starts after the preamble: capitalise it, and only it
            s = bare[:1].upper() + bare[1:]
        key = frozenset(_words(s))
        if not s or key in seen:
            continue  # a repeated sentence: the model is looping
        seen.add(key)
        out.append(s)
        if len(out) == limit:
            break
    return out


def _reply_sentences(text: str) -> list[str]:
    """A reply cut where the articles' splitter cuts (never at "Inc." or "14.5"), a citation
    after a sentence's end kept with that sentence, and a last piece with no end dropped."""
    text = re.sub(r"([.!?…])(\[\d+\])", r"\1 \2", text)  # "so.[2] Then" ends after the citation
    pieces: list[str] = []
    for span in sentence_spans(text):
        piece = text[span.start:span.end]
        lead = _CITATIONS_FIRST.match(piece)
        if lead and pieces:
            pieces[-1] = f"{pieces[-1]} {lead.group(0).strip()}"
            piece = piece[lead.end():].strip()
        if piece:
            pieces.append(piece)
    return [p for p in pieces if _ENDS_WHOLE.search(p)]
