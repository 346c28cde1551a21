"""Whose words a sentence of an article carries: the article's own voice, a named person or
body it quotes or reports, or someone it does not name.

Scope: `attribute(start, end, text)` for a sentence span of an article's cleaned text, read
from that text alone: quotation marks (straight and curly, single and double, «», „“), their
attribution in the same sentence or a neighbouring one ("…,” said Kudlow", "Kudlow said:
“…”", "“…” Kudlow said that on Monday."), quotations that run over several sentences or
paragraphs, reported speech ("Kudlow said that…", "according to the ministry", "he told
reporters"), and pronouns and bare titles as speakers ("he added", "Mr. said") taken back to
the last speaker named before them. Word lists live in lexicon.py.
Not here: named-entity recognition or parsing. A speaker is the phrase the article uses
("Police spokesman Mariusz Ciarka"); a speaker the text leaves vague ("some people",
"reportedly", "an eyewitness") makes the sentence "unattributed", not a guess.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from app.corpus import lexicon
from app.corpus.chunks import Span, sentence_spans

OWN = "own"  # the article's own voice
QUOTED = "quoted"  # a named (or definite) person or body's words, quoted or reported
UNATTRIBUTED = "unattributed"  # someone's words, but the article does not say whose

MIN_QUOTE_WORDS = 4  # a shorter quotation in an own sentence is a scare quote or a title ("a “game changer”")
LOOK_BACK = 5  # sentences: how far back a pronoun ("he said") looks for the speaker it stands for
CARRY_ON = 3  # sentences: how far back (beyond its own paragraph) an unattributed quotation looks for the speaker whose turn it continues
MAX_SPEAKER_WORDS = 12  # a longer phrase before a verb is a clause, not a speaker


@dataclass(frozen=True)
class Attribution:
    kind: str  # OWN | QUOTED | UNATTRIBUTED
    speaker: str | None = None  # as the article names them; only when kind is QUOTED


def attribute(start: int, end: int, text: str) -> Attribution:
    """Whose words text[start:end] (a sentence, or any span inside one) carries."""
    return _reading(text).attribute(start, end)


@functools.lru_cache(maxsize=32)
def _reading(text: str) -> "_Reading":
    """One article read once: its sentences, quotations and their speakers (cached: the
    quotes of one answer come from a few articles)."""
    return _Reading(text)


# -- quotation marks --------------------------------------------------------------------

_OPENERS = {"“": "”", "„": "“", "«": "»", "‘": "’", "‹": "›", '"': '"', "'": "'"}
_CLOSERS = {"”", "»", "’", "›", '"', "'", "“"}


@dataclass
class _Quote:
    start: int  # offset of the opening mark
    end: int  # offset after the closing mark (or the paragraph's end, when it never closes)
    group: int  # quotations of one speaker's turn: a quote continued in the next paragraph


def quotations(text: str) -> list[_Quote]:
    """Quoted stretches of `text`, in order. A quotation open at a paragraph's end continues
    when the next paragraph opens with a quotation mark (the news convention for a quote over
    several paragraphs); otherwise it ends with its paragraph. A mark is read as opening when
    it stands before a word and after a space, as closing when it follows a word or a
    punctuation mark; ’ and ' between letters are apostrophes."""
    quotes: list[_Quote] = []
    group = 0
    carry = False  # the previous paragraph ended inside a quotation
    for para in re.finditer(r"[^\n]+", text):
        a, b = para.span()
        open_at, want = None, ""
        first = True
        nested = False
        for i in range(a, b):
            ch = text[i]
            if ch not in _OPENERS and ch not in _CLOSERS:
                if not ch.isspace():
                    first = False
                continue
            before = text[i - 1] if i > a else " "
            after = text[i + 1] if i + 1 < b else " "
            if ch in "’'" and before.isalnum() and after.isalnum():
                continue  # an apostrophe: "the firm’s", "don't"
            if open_at is None:
                if ch in _OPENERS and (before.isspace() or before in "([—–-:/" or i == a) and not after.isspace():
                    if ch in "'’" and before.isalnum():
                        continue
                    open_at, want = i, _OPENERS[ch]
                    if not (first and carry):
                        group += 1
                first = False
                continue
            # inside a quotation: its own closing mark ends it; the same opening mark seen again
            # ends it too ("…in the end, “said Jane Doe": a translation's reversed mark), except a
            # straight mark that opens a quotation inside it ("The "United States" is not…")
            if ch == '"' == want:
                if nested:
                    nested = before.isspace()
                    continue
                if before.isspace() and after.isalnum() and text.find('"', i + 1, b) >= 0:
                    nested = True
                    continue
            single = ch in "‘’'"
            if ch == want or (ch == text[open_at] and not single) or (ch in "”»\"" and want in "”»\""):
                if single and after.isalnum():
                    continue  # "’s" after a closing-looking mark inside the quotation
                quotes.append(_Quote(open_at, i + 1, group))
                open_at = None
            first = False
        carry = False
        if open_at is not None:
            quotes.append(_Quote(open_at, b, group))
            carry = text[open_at] not in "‘'"  # single quotes do not run over paragraphs
    return quotes


# -- cues: who speaks in a stretch of text outside quotation marks -------------------------

_WORD = re.compile(r"[\w’'.-]+")
# Where a speaker phrase ends on its left: punctuation, a quotation ("Q" once masked), or a
# word that opens a clause.
_BOUNDARY = re.compile(r"[,;:()\u2014\u2013]|\s-\s|\bQ\b|\b(?:and|but|while|that|which|who|whom|whose|as|because|when|if|after|"
                       r"before|since|where|although|though|so|whereas|than|to|with|without)\b", re.I)
_CLAUSE_WORDS = {"that", "which", "who", "whom", "whose", "while", "because", "when", "if", "after", "before", "since",
                 "where", "although", "though", "so", "whereas", "than", "as", "but", "to", "with", "without"}
_VAGUE_CUE = re.compile(r"\breportedly\b|\b(?:is|are|was|were|has been|have been|had been)\s+(?:reported|said|believed|thought|rumou?red)\b"
                        r"(?!\s+by\b)|\bit is (?:said|claimed|believed|thought)\b", re.I)
_PASSIVE_BY = re.compile(r"\b(?:is|are|was|were|been|be)\s+(?:\w+\s+){0,2}?(\w+ed)\b[^.;]*?\bby\s+((?:the\s+)?(?:[\w’'.-]+\s?){1,6}?)"
                         r"(?=\s*(?:[,.;:]|\bto\b|\bwhile\b|\bwhen\b|\bas\b|\bin\b|\bon\b|\bfor\b|\bafter\b|$))", re.I)
_BE = {"is", "are", "was", "were", "be", "been", "being"}
_DETERMINERS = {"the", "a", "an", "its", "his", "her", "their", "this", "that", "these", "those", "of", "and", "de", "van", "von", "al", "el", "bin"}


@dataclass(frozen=True)
class _Cue:
    at: int  # offset in the article
    speaker: str
    strength: int  # 3: a verb with a named speaker; 2: "according to"; 1: a pronoun or bare title; 0: vague


def _mask(text: str, a: int, b: int, quotes: list[_Quote]) -> str:
    """text[a:b] with every quotation replaced by "Q" and spaces, so offsets hold."""
    chars = list(text[a:b])
    for q in quotes:
        s, e = max(q.start, a), min(q.end, b)
        if s < e:
            chars[s - a:e - a] = list("Q" + " " * (e - s - 1))
    return "".join(chars)


_OBJECT_TO = re.compile(r"\s+(?:the |a |an |its |his |her |their )?(?:[\w’'.-]+\s+){0,3}?to\s+[a-z]")
_AGENT_AFTER = re.compile(r"\s*(?:Q\s*,?\s*)?by\b")
_CLAUSE_OPENERS = {"he", "she", "they", "it", "we", "i", "there", "this", "these", "those"}
_SEPARATORS = re.compile(r"[,;:()\u2014\u2013]|\s-\s")


def _is_speech(word: str, before: str, after: str) -> bool:
    """Whether `word` (a verb of the lexicon) reports speech here. Not a noun ("the
    reports", "protesters' demands") and not a passive ("was questioned"). A verb that needs
    a complement has one: "that", a colon, a quotation close after it ("called it “…”"), a
    clause after a named subject ("Mayor Doe claims he…", "announced the troops…"), or
    it tags the sentence's end ("…, police revealed on Saturday.")."""
    words_before = before.split()
    prev = words_before[-1].lower() if words_before else ""
    if prev in _BE or prev == "to" or prev in _DETERMINERS - {"of", "and", "that"} or prev.endswith(("'", "’", "’s", "'s")):
        return False
    if _AGENT_AFTER.match(after):
        return False  # a participle with its agent: "…, dubbed “Xgate” by the media, was…"
    if word in lexicon.SPEECH_VERBS:
        return True
    if word in lexicon.OBJECT_TO_VERBS and _OBJECT_TO.match(after):
        return True  # "advises citizens to continue paying", "urged the embassy to reconsider"
    rest = after.lstrip()
    words = rest.split()
    if not rest or rest[0] == ":" or rest.startswith("Q") or "Q" in words[:5]:
        return True
    first = words[0].lower().strip(",.")
    if first in ("that", "out") or (first in ("for", "on") and word.startswith(("call", "ask", "plead"))) or (first == "to" and word.startswith(("point", "spoke", "speak", "claim"))):
        return True
    if first in _CLAUSE_OPENERS or words[0][:1].isupper() or words[0][:1].isdigit() or "Q" in words:
        subject = _subject_before(before, len(before))
        if subject and (_is_name(subject) or subject.lower() in lexicon.PRONOUNS):
            return True  # "Mayor Doe claims he would…", "Doe, in a statement, announced Acme would…",
            # "Roe described the need to overcome a limit, which “isn’t capital but confidence”"
    if re.search(r"(?:\bQ\b[\s,]*|,\s*)(?:[\w’'.-]+\s+){0,4}$", before):
        return len(re.split(r"[.;!?]", rest, maxsplit=1)[0].split()) <= 4 and not re.search(r"[,;]", rest.rstrip(".!? ”\"’"))
    return False


def _clean_speaker(phrase: str) -> str:
    phrase = re.sub(r"\s+", " ", phrase).strip(" ,;:\"'“”‘’«»()[]")
    words = phrase.split()
    if words and words[-1].endswith(".") and len(words[-1]) > 2 and words[-1][:-1].lower() not in lexicon.AMBIGUOUS | lexicon.TITLES:
        words[-1] = words[-1][:-1]  # the sentence's full stop, not "Jr." or "T."
    while words and words[-1].lower() in lexicon.BETWEEN | {"both", "yesterday", "today", "tonight", "now"}:
        words.pop()
    while words and words[0].lower() in lexicon.BETWEEN | {"and", "but", "so", "then"}:
        words.pop(0)
    found = re.search(rf"^(?:an? |the )?(?:[\w-]+ ){{0,2}}(?:{'|'.join(lexicon.SOURCE_NOUNS)})s? (?:from|by) (.+)$", " ".join(words), re.I)
    if found:  # "An online comment from the party committee" -> "the party committee"
        words = found.group(1).split()
    for lead in lexicon.NAMED_AS:  # "a protester using the pseudonym Jo" -> "Jo"
        at = " ".join(words).lower().find(lead)
        if at >= 0:
            named = " ".join(words)[at + len(lead):].strip()
            if named[:1].isupper():
                return named
    return " ".join(words)


def _has_head(phrase: str) -> bool:
    """Whether a phrase before a verb can be its subject: it does not end in a participle or
    adverb, nor open with an adverb ("calls" after "possibly reducing the amount of dropped"
    is a noun, not a verb with that subject)."""
    words = phrase.split()
    return not (re.fullmatch(r"[a-z]+(?:ed|ing|ly)", words[-1]) or re.fullmatch(r"[a-z]+ly", words[0]))


def _is_name(phrase: str) -> bool:
    """A short phrase whose words are capitalised, bar joining words ("Jane Doe", "the
    Ministry of Health", "Dr. John Q. Public")."""
    words = phrase.split()
    if words and words[0].lower() == "the":
        words = words[1:]
    return 0 < len(words) <= 7 and words[0][:1].isupper() and all(w[:1].isupper() or w.lower() in _DETERMINERS or w[:1].isdigit() for w in words)


def _noun_phrase_at_start(phrase: str) -> str:
    """The leading noun phrase of a clause: "The embassy declined…" -> "The embassy", "The
    State Department gave…" -> "The State Department"."""
    out: list[str] = []
    for w in phrase.split():
        low = w.lower().strip(",")
        if w[:1].isupper() or low in _DETERMINERS or low.endswith(("’s", "'s")) or (out and out[-1].lower() in _DETERMINERS):
            out.append(w)
            if w.endswith(","):
                break  # "You, the university employee, …": the phrase ends at the comma
            continue
        break
    return _clean_speaker(" ".join(out))


def _vague(speaker: str) -> bool:
    """A speaker the reader cannot weigh: "some people", "an eyewitness", "witness accounts"."""
    low = speaker.lower().strip()
    if low in lexicon.VAGUE_SPEAKERS or low.removeprefix("the ") in lexicon.VAGUE_SPEAKERS:
        return True
    if any(ch.isupper() for ch in speaker):
        return False
    words = low.split()
    first = words[0] if words else ""
    return first in ("a", "an", "some", "many", "several", "few", "one", "other", "others", "most") or (
        first not in ("the", "his", "her", "their", "its") and low.endswith("s") and not low.endswith("ss") and low != "police")


_SUBORDINATE = re.compile(r"[\"“‘']?(?:When|After|Before|While|Although|Though|As|Since|Once|If|Because)\b")
_TITLE_CASE = re.compile(r"[^\W\d_a-z][^\W\d_A-Z]+(?:-[^\W\d_][^\W\d_A-Z]+)?")  # "Sacoolas", "Jean-Luc"; not "AI", "eBay", "F16"


def _capitalised_run(text: str, at: int) -> str:
    """The name that starts at text[at]: up to four capitalised words or initials ("Donald
    Trump", "Dr. John Q. Public"), without a possessive; "" when text[at] starts none."""
    words = []
    for m in re.finditer(r"\S+", text[at:at + 120]):
        word = m.group(0)
        core = word.strip(",.;:!?()\"“”‘’«»")
        if not core or not core[0].isupper() or len(words) == 4:
            break
        words.append(word)
        if word != core and not re.fullmatch(r"[A-Z][a-z]?\.", word):
            break  # punctuation after it ends the name ("Trump," "Trump."), initials aside
    name = " ".join(words).rstrip(",.;:!?)\"“”‘’«»")
    return re.sub(r"[’']s$", "", name)


def _head_or_appositive(segments: list[str]) -> str:
    """The sentence's subject from its comma-separated opening: its head noun phrase, or the
    name in the appositive after a head that names nobody ("One of these groups, the Syrian
    Democratic Forces (SDF), opposed…" -> "the Syrian Democratic Forces")."""
    head = _noun_phrase_at_start(segments[0])
    if not _is_name(head) and len(segments) > 1:
        appositive = _clean_speaker(segments[1])
        if _is_name(appositive):
            return appositive
    return head


_QUANTIFIERS = {"many", "some", "several", "few", "most", "all", "both", "other", "others", "numerous"}  # heads, never appositives
_RELATIVE = re.compile(r"^(?:who|which|where|whose|whom)\b", re.I)


def _subject_before(masked: str, verb_at: int) -> str:
    """The speaker phrase before a verb at masked[verb_at]. The comma-separated stretch right
    before the verb holds it (its last clause, without auxiliaries and adverbs); an
    appositive or a relative clause there gives way to the stretch before it ("Jane Doe,
    the Speaker of the House, said", "John Roe, who was…, said"); after "and" the
    clause's subject is the sentence's ("The embassy declined the request and said…")."""
    segments = [seg for seg in _SEPARATORS.split(masked[:verb_at])]
    while len(segments) > 1 and not _clean_speaker(segments[-1]):
        segments.pop()  # the verb right after a comma: "Jane Doe, said on TV"
    for k in range(len(segments) - 1, -1, -1):
        seg = segments[k].strip()
        clauses = re.split(r"\bQ\b|\b(?:and|but|while|that|because|when|if|after|before|since|although|though|so|whereas|than|as)\b", seg)
        chunk = _clean_speaker(clauses[-1])
        if not chunk and len(clauses) > 1 and re.search(r"\band\s*$", seg):
            return _noun_phrase_at_start(clauses[0]) if k == 0 else _head_or_appositive(segments)
        if not chunk:
            return ""
        first = chunk.split()[0]
        relative = bool(_RELATIVE.match(seg))
        aside = len(clauses) == 1 and first not in _QUANTIFIERS and (
            first.islower() and first != "police" or (first.lower() in ("the", "a", "an") and not _is_name(chunk)))
        if k > 0 and (relative or aside):
            prev = _clean_speaker(segments[k - 1])
            if relative or (_is_name(prev) and prev.split()[0].lower() not in _CLAUSE_WORDS):  # not "Since then, some voices…"
                continue  # the name (or noun phrase) that the aside describes
        return chunk
    return ""


def cues(text: str, a: int, b: int, quotes: list[_Quote]) -> list[_Cue]:
    """Attribution phrases in text[a:b] outside quotations, in order."""
    masked = _mask(text, a, b, quotes)
    found: list[_Cue] = []
    verbs = lexicon.SPEECH_VERBS | lexicon.SPEECH_VERBS_WITH_COMPLEMENT | lexicon.OBJECT_TO_VERBS
    for m in _WORD.finditer(masked):
        raw = m.group(0).rstrip(".")
        word = raw.lower()
        if not raw[:1].islower() or word not in verbs | lexicon.INVERTED_ONLY:
            continue
        before, after = masked[:m.start()], masked[m.end():]
        # inverted, after a quotation or a clause: "…,” said Kudlow", "…, said Jane Doe, a professor"
        tail = before.rstrip()
        if not tail or tail.endswith(("Q", ",", ":")):
            inv = re.match(r"\s+((?:the |a |an )?(?:[\w’'.-]+\s?){1,6}?)(?=\s*(?:[,.;:]|\b(?:in|on|at|per|of|after|during|who|to|via)\b|$))", after)
            phrase = _clean_speaker(inv.group(1)) if inv else ""
            after_quote = tail.endswith("Q")
            if phrase and "Q" not in phrase.split() and (
                    _is_name(phrase) or phrase.lower() in lexicon.PRONOUNS
                    or (after_quote and (phrase.split()[0].lower() in ("the", "a", "an") or any(w[:1].isupper() for w in phrase.split())))):
                found.append(_cue(a + m.start(), phrase))
                continue
        if word in lexicon.INVERTED_ONLY or not _is_speech(word, before, after):
            continue
        speaker = _subject_before(masked, m.start())
        if speaker and len(speaker.split()) <= MAX_SPEAKER_WORDS and speaker.split()[0] != "Q" and _has_head(speaker):
            found.append(_cue(a + m.start(), speaker))
    for phrase in lexicon.ACCORDING:
        for m in re.finditer(rf"\b{re.escape(phrase)}\s+([^,.;:]+)", masked, re.I):
            speaker = _clean_speaker(re.split(r"\s(?:Q|in which|who|which|on|dated)\b", m.group(1))[0])
            words = speaker.lower().split()
            if not speaker or len(words) > MAX_SPEAKER_WORDS + 3:
                continue
            if words[-1] in lexicon.EVIDENCE_NOUNS and not any(ch.isupper() for ch in speaker):
                continue  # "according to traffic camera footage": a record, not a voice
            cue = _cue(a + m.start(), speaker)
            found.append(_Cue(cue.at, cue.speaker, min(cue.strength, 2)))
    for m in _PASSIVE_BY.finditer(masked):
        if m.group(1).lower() in verbs:
            found.append(_cue(a + m.start(), _clean_speaker(m.group(2))))
    for m in _VAGUE_CUE.finditer(masked):
        found.append(_Cue(a + m.start(), "", 0))
    return sorted(found, key=lambda c: c.at)


def _reads_as_word(speaker: str) -> bool:
    """A one-word speaker a reader takes for a pronoun or a common word ("You, quoted:" for
    Mr. You; "It", "This"): never shown alone."""
    return " " not in speaker.strip() and speaker.strip().lower() in lexicon.FUNCTION_WORDS | lexicon.PRONOUNS


def _same_person(a: str, b: str) -> bool:
    """Two speaker phrases for one speaker: the same last word ("Jane Roe", "Professor
    Roe"), possessives and case aside."""
    def last(phrase: str) -> str:
        words = phrase.lower().replace("’s", "").replace("'s", "").split()
        return words[-1] if words else ""
    return bool(last(a)) and last(a) == last(b)


def _cue(at: int, speaker: str) -> _Cue:
    low = speaker.lower()
    if low in lexicon.PRONOUNS or low.rstrip(".") in lexicon.TITLES:
        return _Cue(at, speaker, 1)
    if _vague(speaker):
        return _Cue(at, speaker, 0)
    return _Cue(at, speaker, 3)


def _best(found: list[_Cue]) -> _Cue | None:
    """The cue that names the sentence's speaker: a verb with a named speaker first, then
    "according to", then a pronoun, then a vague one."""
    return max(found, key=lambda c: (c.strength, -c.at)) if found else None


# -- one article --------------------------------------------------------------------------

class _Reading:
    def __init__(self, text: str):
        self.text = text
        self.spans: list[Span] = sentence_spans(text)
        self.quotes = quotations(text)
        self.cues = [cues(text, s.start, s.end, self.quotes) for s in self.spans]
        self.paragraph = self._paragraphs()
        self.speakers: list[str | None] = [None] * len(self.spans)  # resolved, for pronouns after them
        self._kinds: list[str] = []  # kinds decided so far, in order
        self.result: list[Attribution] = [self._decide(i) for i in range(len(self.spans))]
        self._between_turns()

    def attribute(self, start: int, end: int) -> Attribution:
        hits = [i for i, s in enumerate(self.spans) if s.start < end and start < s.end]
        if not hits:
            return Attribution(OWN)
        found = [self.result[i] for i in hits]
        return next((r for r in found if r.kind == QUOTED), next((r for r in found if r.kind == UNATTRIBUTED), found[0]))

    def _paragraphs(self) -> list[int]:
        out, n = [], 0
        for i, s in enumerate(self.spans):
            if i and "\n" in self.text[self.spans[i - 1].end:s.start]:
                n += 1
            out.append(n)
        return out

    def _quoted_share(self, i: int) -> tuple[float, list[_Quote]]:
        s = self.spans[i]
        inside, overlapping = 0, []
        for q in self.quotes:
            a, b = max(q.start, s.start), min(q.end, s.end)
            if a < b:
                inside += b - a
                overlapping.append(q)
        return inside / max(1, s.end - s.start), overlapping

    def _resolve(self, cue: _Cue, i: int) -> str | None:
        """A named speaker as is (a role by the name it came with: "The President" ->
        "President Donald Trump"); "he" or "she": the last person named before it; another
        pronoun or a bare title: the last speaker named before it."""
        if cue.strength >= 2:
            return self._named(cue.speaker, i)
        if cue.strength == 1:
            if cue.speaker.lower() in ("he", "she"):
                person = self._last_person(i, cue.at)
                if person:
                    return person
            for j in range(i, max(-1, i - LOOK_BACK - 1), -1):
                if j < i and self.speakers[j]:
                    return self.speakers[j]
                if j < i and self.result_kind(j) == UNATTRIBUTED:
                    return None  # an unnamed voice came in between: "they" are its sources
                named = [c.speaker for c in self.cues[j] if c.strength >= 2 and c.at < cue.at]
                if named:
                    return named[-1]
            # nobody quoted just before: the nearest sentence that opens with a name ("Prime
            # Minister Doe was questioned… He said, “…”")
            for j in range(i - 1, max(-1, i - LOOK_BACK - 1), -1):
                lead = _noun_phrase_at_start(self.text[self.spans[j].start:self.spans[j].end])
                if _is_name(lead) and lead.split()[0].lower() not in ("the", "a", "an") and self._proper(lead):
                    return lead
        return None

    def _named(self, speaker: str, i: int) -> str:
        """`speaker`, or for a role ("The President", "the minister") the role with the name it
        last came with before sentence i ("President Donald Trump"), as the article writes it."""
        words = speaker.split()
        if len(words) < 2 or words[0].lower() != "the" or words[-1].lower() not in lexicon.ROLES:
            return speaker
        before = self.text[:self.spans[i].start]
        for m in reversed(list(re.finditer(rf"\b{re.escape(words[-1])}\s+", before, re.I))):
            name = _capitalised_run(before, m.end())
            if name:
                return before[m.start():m.end()] + name
        return speaker

    def _last_person(self, i: int, at: int) -> str | None:
        """The person "he" or "she" in sentence i stands for: in the nearest sentence before it
        that names one, its speaker, else its subject, else the last person it names ("…spoke
        with Anne Sacoolas as a suspect. She informed police…"). Names in sentence i itself
        are what the speaker talks about, not who speaks ("…to Beijing, he added.")."""
        s = self.spans[i]
        if _SUBORDINATE.match(self.text, s.start):  # "When Apple CEO Steve Jobs introduced it, he praised…"
            people = [name for pos, name in self._names_in(s.start, at) if self._is_person(name)]
            if people:
                return people[-1]
        for j in range(i - 1, max(-1, i - LOOK_BACK - 1), -1):
            s = self.spans[j]
            if self.speakers[j]:
                return self.speakers[j]
            if self.result_kind(j) == UNATTRIBUTED:
                return None  # an unnamed voice came in between ("The sources claimed… They also said…")
            people = [name for _, name in self._names_in(s.start, s.end) if self._is_person(name)]
            if people:
                subject = _noun_phrase_at_start(self.text[s.start:s.end])
                return next((p for p in people if subject.endswith(p)), people[-1])
        return None

    def _names_in(self, a: int, b: int) -> list[tuple[int, str]]:
        """Runs of capitalised words in text[a:b] ("Anne Sacoolas", "RAF Croughton"), with offsets."""
        out = []
        pos = a
        while pos < b:
            m = re.compile(r"[^\W\d_]").search(self.text, pos, b)
            if not m:
                break
            start = m.start()
            if self.text[start].isupper() and (start == a or not self.text[start - 1].isalnum()):
                name = _capitalised_run(self.text[:b], start)
                if name and (name.split()[0].lower() in self._lower_words or _SUBORDINATE.fullmatch(name.split()[0])):
                    name = ""  # a sentence's first word ("When Apple CEO…"): the name starts after it
                if name:
                    out.append((start, name))
                    pos = start + len(name)
                    continue
            nxt = re.compile(r"\W").search(self.text, start, b)
            pos = nxt.end() if nxt else b
        return out

    @functools.cached_property
    def _lower_words(self) -> set[str]:
        """Every word the article writes in lower case somewhere ("when", "previous")."""
        return set(re.findall(r"\b[^\W\d_A-Z][\w’'-]*", self.text))

    @functools.cached_property
    def _surnames(self) -> set[str]:
        """Last words of the article's multi-word names that it also uses alone ("Sacoolas"
        after "Anne Sacoolas"): how news refers to people, not to places or bodies."""
        runs = [name for _, name in self._names_in(0, len(self.text))]
        alone = {r for r in runs if " " not in r}
        runs += [" ".join(r.split()[-2:]) for r in runs if len(r.split()) > 2]  # "Apple CEO Steve Jobs" -> "Steve Jobs"
        return {r.split()[-1] for r in runs if 2 <= len(r.split()) <= 3 and r.split()[-1] in alone
                and all(_TITLE_CASE.fullmatch(w) for w in r.split()) and self._proper(r.split()[0])}

    def _is_person(self, phrase: str) -> bool:
        words = phrase.replace("’s", "").replace("'s", "").split()
        return bool(words) and (words[-1] in self._surnames or any(w.lower().rstrip(".") in lexicon.TITLES for w in words[:-1]))

    def _proper(self, phrase: str) -> bool:
        """Whether a capitalised phrase is a name rather than a sentence's first word ("If",
        "Yet"): one of its words is capitalised somewhere in the article mid-sentence too."""
        return any(re.search(rf"[\w,;’'] {re.escape(w)}\b", self.text) for w in phrase.split() if w[:1].isupper())

    def _group_speaker(self, quote: _Quote, i: int) -> tuple[str | None, bool]:
        """(speaker, any attribution found) for the quotation group that `quote` belongs to:
        the cues in the sentences it spans, then in the sentence right after it, then the
        speaker of the sentence before it (an unattributed quote carries on the last
        speaker's turn, within the paragraph or right after an attributed sentence)."""
        members = [q for q in self.quotes if q.group == quote.group]
        first, last = members[0].start, members[-1].end
        inside = [j for j, s in enumerate(self.spans) if s.start < last and first < s.end]
        order = inside + ([inside[-1] + 1] if inside and inside[-1] + 1 < len(self.spans) else [])
        for j in order:
            if j not in inside and not self._is_attribution_line(j):
                continue
            cue = _best(self.cues[j])
            if cue is not None:
                if cue.strength == 0:
                    return None, True
                return self._resolve(cue, j), True
        start = inside[0] if inside else i
        for j in range(start - 1, -1, -1):
            if self.result_kind(j) == UNATTRIBUTED:
                break  # an unnamed voice came in between
            if self.speakers[j]:
                return self.speakers[j], True
            if j < start - CARRY_ON and self.paragraph[j] != self.paragraph[start]:
                break
        return None, False

    def result_kind(self, j: int) -> str:
        return self._kinds[j] if j < len(self._kinds) else OWN

    def _is_attribution_line(self, j: int) -> bool:
        """A sentence after a quotation that attributes it: it opens with its speaker and
        verb ("Kudlow said that on Monday.", "He added.")."""
        cs = self.cues[j]
        return bool(cs) and cs[0].at - self.spans[j].start <= 60 and cs[0].strength > 0

    def _decide(self, i: int) -> Attribution:
        share, overlapping = self._quoted_share(i)
        best = _best(self.cues[i])
        if best is not None and best.strength >= 2:
            if self._hearsay_subject(i, best):
                return self._set(i, Attribution(UNATTRIBUTED))
            return self._set(i, Attribution(QUOTED, self._named(best.speaker, i)))
        if overlapping and (share >= 0.5 or self._long_quote_in(i)):
            main = max(overlapping, key=lambda q: min(q.end, self.spans[i].end) - max(q.start, self.spans[i].start))
            speaker, _ = self._group_speaker(main, i)
            if speaker:
                return self._set(i, Attribution(QUOTED, speaker))
            return self._set(i, Attribution(UNATTRIBUTED))
        if best is not None and best.strength == 1:
            speaker = self._resolve(best, i)
            return self._set(i, Attribution(QUOTED, speaker) if speaker else Attribution(UNATTRIBUTED))
        if best is not None:
            return self._set(i, Attribution(UNATTRIBUTED))
        return self._set(i, Attribution(OWN))

    def _full_name(self, word: str) -> str | None:
        """The name the article gives in full for a speaker that alone reads as a common word
        ("You" -> "You Jin", "May" -> "Jane May"): the word with a capitalised
        neighbour, mid-sentence. None when the article has none."""
        w = re.escape(word)
        for m in re.finditer(rf"(?<![\w’'-])(?:{w}\s+[A-Z][\w’'-]+|[A-Z][\w’'-]+\s+{w})(?![\w’'-])", self.text):
            before = self.text[:m.start()].rstrip()
            other = m.group(0).replace(word, "", 1).strip()
            if before and before[-1] not in ".!?“\"‘'«" and other.lower() not in lexicon.FUNCTION_WORDS:
                return m.group(0)
        return None

    def _hearsay_subject(self, i: int, best: _Cue) -> bool:
        """Whether the speaker is itself only reported on, by nobody named: "The attacker is
        reported to have jumped on stage… and claimed he was wrongfully imprisoned" (the claim
        is hearsay too). The speaker phrase then stands right before the vague cue."""
        start = self.spans[i].start
        for cue in self.cues[i]:
            if cue.strength == 0 and cue.at < best.at and self.text[start:cue.at].rstrip().endswith(best.speaker):
                return True
        return False

    def _between_turns(self) -> None:
        """Sentences in the article's own words between two turns of one speaker in one
        paragraph, after the article has reported that speaker's view in its own words, carry
        on that report: "According to Roe, the success should not be attributed to the
        state. The state may have all sorts of plans… The firm was not in any of the plans.
        “All major digital tech companies in China are private…”". Between two direct
        quotations alone ("“My father uses it too,” says You. During the holiday, the chatbot
        was the topic of conversation. “Everyone was excited…”") they stay the article's."""
        for i, found in enumerate(self.result):
            if found.kind != OWN:
                continue
            before = self._turn(i, -1)
            after = self._turn(i, +1, quoting=True)
            if before and after and _same_person(before, after) and self._reported_earlier(i, before):
                self.result[i] = Attribution(QUOTED, before)
                self.speakers[i] = before

    def _reported_earlier(self, i: int, speaker: str) -> bool:
        """Whether a sentence before i in its paragraph gives `speaker`'s view outside quotation
        marks (reported speech: "According to Roe, …", "It is understandable…, says Roe.")."""
        j = i - 1
        while j >= 0 and self.paragraph[j] == self.paragraph[i]:
            found = self.result[j]
            if found.kind == QUOTED and _same_person(found.speaker or "", speaker) and not self._long_quote_in(j):
                return True
            j -= 1
        return False

    def _turn(self, i: int, step: int, quoting: bool = False) -> str | None:
        """The speaker of the nearest sentence in `step`'s direction within i's paragraph that
        is not in the article's own voice (None when that one is unattributed, or none is;
        with `quoting`, also when that one does not quote the speaker's own words)."""
        j = i + step
        while 0 <= j < len(self.spans) and self.paragraph[j] == self.paragraph[i]:
            if self.result[j].kind != OWN:
                return self.result[j].speaker if not quoting or self._long_quote_in(j) else None
            j += step
        return None

    def _long_quote_in(self, i: int) -> bool:
        """Whether sentence i holds a quotation of MIN_QUOTE_WORDS words or more."""
        s = self.spans[i]
        return any(len(self.text[max(q.start, s.start):min(q.end, s.end)].split()) >= MIN_QUOTE_WORDS for q in self._quoted_share(i)[1])

    def _set(self, i: int, found: Attribution) -> Attribution:
        if found.speaker and _reads_as_word(found.speaker):
            full = self._full_name(found.speaker)
            found = Attribution(QUOTED, full) if full else Attribution(UNATTRIBUTED)
        self.speakers[i] = found.speaker
        self._kinds.append(found.kind)
        return found
