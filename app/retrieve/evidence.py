"""Evidence per article: its best sentences for a question, and whether it addresses it at all.

Scope: rank every sentence of each article by meaning (MiniLM cosine with the question less
the corpus's subject words, which otherwise carry the cosine), by the question's key
terms and their close synonyms (weighted by how rare each term is in the corpus, so the name
every article is about counts for little) and, for "how many / when" questions, by
holding a number; sentences inside the article's best passages get a small lift. Each
article yields 1-3 key sentences, verbatim with offsets, plus a neighbouring sentence where a
key sentence leans on it ("This…", "It…"), where the number sits one sentence later, or where
the next sentence (or a later paragraph) turns the key one down or qualifies it ("The reality
is more complicated.", "But…").
Then honest silence: an article is silent when its evidence both scores well behind the best
article's and holds few of the question's key terms (or synonyms), when the whole article
never uses most of the question's key terms, or when it is far behind whatever its words; an
absolute similarity floor alone let every on-subject article through. In between, "mentions":
the reader is told the article may not address the question and is shown its closest sentences.
Not here: passages (hybrid.py), model calls, wording of cards.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from app.corpus.articles import Article
from app.corpus.attribution import OWN, attribute
from app.index.sentences import SentenceStore
from app.corpus.chunks import Passage
from app.retrieve.corpus_words import CorpusWords
from app.retrieve.hybrid import Hit, Retriever
from app.retrieve.related import RelatedWords
from app.retrieve.terms import QuestionTerms, analyse, numbers, stems, written_stems
from app.rules import RULES, Rules

ADDRESSES, MENTIONS, SILENT = "addresses", "mentions", "silent"
_DIGIT = re.compile(r"\d")
# A sentence that turns down the one before it: "The reality is more complicated.", "But this is
# probably not the main factor.", "It is more of a propaganda strategy than the real situation."
# A back-pointing opener, then a negation or "reality" close behind; "This is why…" explains instead.
_REJECTS = re.compile(
    r"^[\"“‘']?(?:(?:but|however|yet),?\s+)?(?:on the contrary\b|(?:it|this|that|the answer|the reality|in reality)\b(?!\s+is\s+why)"
    r"[^.!?]{0,60}?\b(?:not|no|never|wrong|false|untrue|complicated|myth|exaggerated|real|reality)\b)", re.I)
# "This does not deny that the United States' technology control … has been effective" concedes
# instead: two negations.
_CONCEDES = re.compile(r"\bnot (?:deny|denying|to say)\b|\bno doubt\b", re.I)
# A sentence that qualifies the one before it: "Apparently, the government has done certain
# things well. But it is important that the right conclusions are drawn from this." (the
# first, quoted alone, read as the article's lesson).
_QUALIFIES = re.compile(r"^[\"“‘']?(?:But|However|Yet|Still|Nevertheless|That said)\b")
# Turns that answer more than the paragraph before them ("The reality is more complicated."):
# "However, this so-called independent innovation path…" answers only its own antecedent.
_GLOBAL_TURN = re.compile(r"^[\"“‘']?(?:The reality|In reality|The truth|In truth|On the contrary)\b", re.I)
_ENDS = re.compile(r"[.!?…][\"'”’)\]]*$")
# A sentence that needs the one before it to be understood: a pronoun or connective opener, or
# the answer to a question the article just asked ("The answer is no.").
_LEANS_BACK = re.compile(r"^[\"“‘']?(?:(?:This|That|These|Those|It|Its|They|Their|He|His|She|Her|Such|But|However|Yet|Still|So|Instead|Thus|Hence)\b"
                         r"|The (?:short |simple )?answer\b|(?:Yes|No)[,.!])")


# The same after a short fronted phrase: "After graduation, he launched…", "Every year, it
# trains…", "According to Roe, this decision…". Not after a clause with a subject of its own
# ("Even if a person is patriotic, he cannot…"), nor a possessive in an appositive after a
# longer phrase ("Deliveries to Singapore Airlines, its launch customer, are…").
_FRONTED = re.compile(r"^[\"“‘']?(?!(?:If|Even|When|Whenever|Although|Though|Because|While|Unless|Whether)\b)"
                      r"(?:(?P<one>[A-Z][\w’'-]*)|[A-Z][\w’'-]*(?:\s+[\w’'-]+){1,4}),\s+"
                      r"(?:(?:it|he|she|they|we|this|these|those)\b|(?(one)(?:its|their|his|her)\b|(?!)))")


def leans_back(sentence: str) -> bool:
    """Whether `sentence` needs the one before it to be understood (that one is shown with it):
    it opens with a pronoun or connective, or has one right after a short fronted phrase."""
    return bool(_LEANS_BACK.match(sentence) or _FRONTED.match(sentence))


def qualifies_previous(sentence: str) -> bool:
    """Whether `sentence` turns down or qualifies the one before it (shown with that one)."""
    return rejects_previous(sentence) or bool(_QUALIFIES.match(sentence))


def rejects_previous(sentence: str) -> bool:
    """Whether `sentence` rejects the sentence before it (so that one is not the article's view
    alone). "This does not deny that…" concedes instead: two negations."""
    return bool(_REJECTS.match(sentence)) and not _CONCEDES.search(sentence)


@dataclass
class Scored:
    start: int
    end: int
    text: str
    passage_id: str
    score: float
    cosine: float
    coverage: float
    role: str = "key"


@dataclass
class ArticleEvidence:
    article: Article
    hits: list[Hit]  # the article's best passages (sources)
    key: list[Scored] = field(default_factory=list)
    context: list[Scored] = field(default_factory=list)
    status: str = SILENT
    strength: float = 0.0  # best sentence score (what the relative rule compares)
    coverage: float = 0.0  # best key-term coverage among the key sentences
    cosine: float = 0.0  # the whole question's best cosine among its best sentences for it (silence_floor)
    absent: float = 0.0  # rarity-weighted share of the question's key terms found nowhere in the article
    held: frozenset[frozenset[str]] = frozenset()  # the question's terms (with related words) found in its title or text
    reason: str = ""  # why it may not address the question, in a few words ("mentions tariffs only in passing")
    best: float = 0.0  # best passage cosine (kept for the JSON's best_score)
    passages: dict[str, Passage] = field(default_factory=dict)  # every passage that holds a key or context sentence
    examined: bool = True  # False: not among the question's candidates, so silent without being read
    nearby: bool = False  # not read, but one of its passages ranked near the top: it may discuss the question

    @property
    def sentences(self) -> list[Scored]:
        """Key and context sentences in reading order."""
        return sorted(self.key + self.context, key=lambda s: s.start)


class EvidenceFinder:
    """Each candidate article's evidence for a question; the other articles are counted, not read.

    `words`: the corpus's sentence counts per stem (corpus_words.py), for the rarity of the
    question's terms and the corpus's subject words, read once at index time. `candidates`:
    how many articles, found over the whole corpus first (hybrid.py), get per-article work."""

    def __init__(self, retriever: Retriever, sentences: SentenceStore, rules: Rules = RULES, *,
                 words: CorpusWords | None = None, related: RelatedWords | None = None, candidates: int = 16):
        self.retriever = retriever
        self.sentences = sentences
        self.rules = rules
        self.words = words or CorpusWords.build(retriever.articles, None)
        self.related = related
        self.candidates = candidates
        self._words: dict[str, list[set[str]]] = {}
        self._subject = self.words.subject(rules.subject_share)
        self._common = self.words.everywhere(rules.common_name_share)

    def terms(self, question: str) -> QuestionTerms:
        """The question's terms with the corpus words related to each, and the corpus's own names."""
        r = self.rules
        if self.related:
            self.related.prepare(written_stems(question))
        near = (lambda form, stem: self.related.near(form, stem, r.related_min_cosine, r.related_most)) if self.related else None
        return analyse(question, near, self._common)

    # -- corpus statistics ----------------------------------------------------------------
    def _sentence_words(self, art: Article) -> list[set[str]]:
        key = f"{art.id}:{art.sha256}"
        if key not in self._words:
            spans = self.sentences.get(art).spans
            self._words[key] = [set(stems(art.text[s.start:s.end])) for s in spans]
        return self._words[key]

    def _weights(self, qt: QuestionTerms) -> list[float]:
        """Each term's rarity over the corpus's sentences (a term with its synonyms counts as
        found where any of them is), so words every article uses weigh little."""
        n = self.words.sentences or 1
        return [math.log(1 + n / (1 + self.words.found(t.alternatives))) for t in qt.terms]

    def _focus(self, text: str) -> str:
        """`text` without the corpus's subject words (stems in at least `subject_share` of all
        sentences, e.g. the name every article is about). MiniLM's cosine is carried by such a
        name: it put a sentence that merely names the subject far above one that answers the
        question in other words. "" when nothing is left out, or nothing would be left."""
        subject = self._subject
        kept = [w for w in text.split() if not (set(stems(w)) and set(stems(w)) <= subject)]
        return " ".join(kept) if kept and len(kept) < len(text.split()) else ""

    # -- per article ----------------------------------------------------------------------
    def find(self, question: str, *, k: int = 3, n_key: int = 2, query: str | None = None, topic: bool = False,
             candidates: int | None = None) -> list[ArticleEvidence]:
        """Evidence for every article, in corpus order: read for the question's candidate
        articles, and "not examined" (silent, no per-article work) for the rest. `query`
        (default: the question) is what is embedded, e.g. a follow-up joined to the previous
        question; `topic`: the question is a compare topic, judged by the topic rules."""
        qt = self.terms(question)
        text = query or question
        focus = self._focus(text)
        qvec, *rest = self.retriever.embedder.embed([text] + ([focus] if focus else []))
        lexical = self.retriever.lexical_scores(text)
        limit = candidates or self.candidates
        ranking = self.retriever.candidates(text, qvec, limit, lexical=lexical)
        chosen, nearby = ranking[:limit], set(ranking[limit:])
        per_article = {ah.article.id: ah for ah in self.retriever.retrieve(text, k=k, qvec=qvec, only=chosen, lexical=lexical)}
        weights = self._weights(qt)
        rule = self.rules
        vectors = (qvec, rest[0] if rest else qvec)
        examined = [self._article(ah.article, ah.hits, qt, weights, vectors, n_key, rule) for ah in per_article.values()]
        decide(examined, qt, rule, topic=topic)
        by_id = {ev.article.id: ev for ev in examined}
        return [by_id.get(a.id) or ArticleEvidence(a, [], examined=False, nearby=a.id in nearby) for a in self.retriever.articles]

    def _article(self, art: Article, hits: list[Hit], qt: QuestionTerms, weights: list[float],
                 vectors: tuple[np.ndarray, np.ndarray], n_key: int, rule: Rules) -> ArticleEvidence:
        """`vectors`: the question's and its focus's (see _focus). The focus ranks the sentences
        shown; the whole question's scores decide silence (measured and tuned that way)."""
        ev = ArticleEvidence(art, hits, best=max((h.score for h in hits), default=0.0))
        sent = self.sentences.get(art)
        if not sent.spans:
            return ev
        cos, focus = sent.vectors @ vectors[0], sent.vectors @ vectors[1]
        words = self._sentence_words(art)
        total = sum(weights) or 1.0
        ev.absent = absent_share(qt, weights, set().union(*words))
        ev.held = held_terms(qt, set().union(*words, stems(art.title)))
        ev.reason = passing_reason(qt, weights, words, rule.passing_sentences)
        lift = {h.passage.id: rule.passage_lift[i] for i, h in enumerate(hits[: len(rule.passage_lift)])}
        scored = []
        def cover(i: int) -> float:  # the share of the question's (rarity-weighted) terms sentence i holds
            return sum(w * t.strength_in(words[i], rule.synonym_credit) for t, w in zip(qt.terms, weights)) / total

        for i, span in enumerate(sent.spans):
            text = art.text[span.start:span.end]
            if len(text.split()) < rule.min_words or not _ENDS.search(text) or text.rstrip("”’\"' ").endswith("?"):
                continue  # too short, a heading / caption without a sentence end, or a question (it states no view)
            coverage = cover(i)
            pid = self._passage_of(art, span.start)
            if not pid:
                continue  # outside every passage (page furniture the chunker left out): not citable
            extra = rule.term_weight * coverage + lift.get(pid, 0.0)
            if qt.wants_number and numbers(text) - qt.numbers:
                extra += rule.number_weight
            # the own-voice lift ranks what is shown, never whether the article is silent
            prefer = rule.own_voice if qt.kind == "view" and not _quotes_someone(art.text, span.start, span.end) else 0.0
            shown = Scored(span.start, span.end, text, pid, round(float(focus[i]) + extra + prefer, 4), round(float(focus[i]), 4), round(coverage, 4))
            scored.append((float(focus[i]) + extra + prefer, float(cos[i]) + extra, float(cos[i]), i, shown))
        if not scored:
            return ev
        ev.key = _best(scored, 0, n_key, rule.key_margin)
        # Silence from the whole question: the best score, and the words and cosine of its own key sentences.
        plain = _best(scored, 1, n_key, rule.key_margin)
        ev.strength = max(t[1] for t in scored)
        ev.coverage = max(s.coverage for s in plain)
        ev.cosine = max(t[2] for t in scored if t[4] in plain)
        ev.context = self._context(art, sent.spans, ev.key, qt, cover, rule.turn_within)
        ev.passages = {s.passage_id: self.retriever.passages[s.passage_id] for s in ev.key + ev.context}
        return ev

    def _context(self, art: Article, spans, key: list[Scored], qt: QuestionTerms, coverage, turn_within: int) -> list[Scored]:
        """Neighbours that complete a key sentence: the one before a "This…" sentence, and, when
        the key sentence lacks what a fact question asks for (a number, a date, a name), the
        neighbour before or after that has it (of two such, the one holding more of the
        question's words, `coverage(j)`); the next sentence when it turns the key one down or
        qualifies it ("But…"), or a later paragraph that turns it down (later_turn)."""
        taken = {(s.start, s.end) for s in key}
        out = []
        index = {(s.start, s.end): i for i, s in enumerate(spans)}
        for s in key:
            i = index.get((s.start, s.end))
            if i is None:
                continue
            want = leaned_on(art.text, spans, i)
            if i + 1 < len(spans) and qualifies_previous(art.text[spans[i + 1].start:spans[i + 1].end]):
                want.append(i + 1)  # the article turns the key sentence down or qualifies it: show that too
            else:
                want.extend(later_turn(art.text, spans, i, turn_within))
            holds = qt.holds_answer(s.text)
            # A number only in words ("One thing is clear…") may not be the asked-for one: a
            # neighbour with digits is then shown too.
            weak_number = holds and qt.answer_type in ("number", "date") and not _DIGIT.search(s.text)
            if qt.answer_type and (weak_number or not holds):
                text = lambda j: art.text[spans[j].start:spans[j].end]  # noqa: E731
                holding = [j for j in (i - 1, i + 1) if 0 <= j < len(spans) and qt.holds_answer(text(j))
                           and (not weak_number or _DIGIT.search(text(j)))]
                if holding:
                    want.append(max(holding, key=lambda j: (coverage(j), -j)))
            for j in want:
                span = spans[j]
                if (span.start, span.end) in taken:
                    continue
                taken.add((span.start, span.end))
                out.append(Scored(span.start, span.end, art.text[span.start:span.end], self._passage_of(art, span.start), 0.0, 0.0, 0.0, role="context"))
        return out

    def _passage_of(self, art: Article, offset: int) -> str:
        for p in self.retriever.by_article.get(art.id, []):
            if p.start <= offset < p.end:
                return p.id
        return ""


_QUOTATION = re.compile(r"^[\"“‘«]|[\"“«](?:\S+\s+){3,}[^\"”»]*[\"”»]")  # opens with a mark, or quotes 4+ words


def _quotes_someone(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] gives someone's words in quotation marks (not the article's own,
    and not reported speech: "X said that…", which carries information in the article's words)."""
    return bool(_QUOTATION.search(text[start:end])) and attribute(start, end, text).kind != OWN


def _best(scored: list[tuple], by: int, n: int, margin: float) -> list[Scored]:
    """The top `n` sentences by score `by` (0: focus, 1: whole question) within `margin` of the first."""
    ranked = sorted(scored, key=lambda t: (-t[by], t[3]))
    return [t[4] for t in ranked[:n] if t[by] >= ranked[0][by] - margin]


LEAN_BACK = 2  # sentences: how far back a chain of leaning sentences is followed ("Yet…" after "It has…" after the one naming "it")


def leaned_on(text: str, spans, i: int) -> list[int]:
    """The sentences that sentence i leans on, nearest first: the one before it when it opens
    with a pronoun or connective, and the one before that when that one leans back too ("Yet
    the involvement of the government…" needs "It has deposited money…", which needs the
    sentence that names "it")."""
    out: list[int] = []
    j = i
    while j > 0 and len(out) < LEAN_BACK and leans_back(text[spans[j].start:spans[j].end]):
        j -= 1
        out.append(j)
    return out


def later_turn(text: str, spans, i: int, within: int = RULES.turn_within) -> list[int]:
    """The sentence that opens a later paragraph by turning down what came before ("The
    reality is more complicated."), when it follows key sentence `i` within `within`
    paragraphs. An article that opens with the popular view ("For many, the company's success
    is a victory for the education system…") and rebuts it four paragraphs on was otherwise
    quoted as holding that view."""
    paragraphs = 0
    for j in range(i + 1, len(spans)):
        if "\n" not in text[spans[j - 1].end:spans[j].start]:
            continue  # inside a paragraph: only a paragraph's first sentence turns down the ones before
        paragraphs += 1
        if paragraphs > within:
            return []
        sentence = text[spans[j].start:spans[j].end]
        if rejects_previous(sentence) and (paragraphs == 1 or _GLOBAL_TURN.match(sentence)):
            return [j]
    return []


# -- honest silence ---------------------------------------------------------------------

def absent_share(qt: QuestionTerms, weights: list[float], article_words: set[str]) -> float:
    """The rarity-weighted share of the question's ideas found nowhere in the article. Terms
    of one synonym group are one idea ("deserve credit"): counted twice, an article without
    the word "credit" that discusses who deserves it looked as if it lacked half the question."""
    ideas: dict[frozenset[str], float] = {}
    for term, weight in zip(qt.terms, weights):
        ideas[term.alternatives] = max(weight, ideas.get(term.alternatives, 0.0))
    missing = sum(w for alts, w in ideas.items() if alts.isdisjoint(article_words))
    return missing / (sum(ideas.values()) or 1.0)


def held_terms(qt: QuestionTerms, article_words: set[str]) -> frozenset[frozenset[str]]:
    """The question's terms (each as its word and related words) that `article_words` holds."""
    return frozenset(t.alternatives for t in qt.terms if t.found_in(article_words))


def distinctive_terms(found: list[ArticleEvidence], qt: QuestionTerms) -> frozenset[frozenset[str]]:
    """A topic's words that tell the read articles apart: not the event's own names (in nearly
    every article of the corpus, `qt.common`) and held by at least one read article (a word no
    article uses says nothing about any of them)."""
    held = frozenset().union(*(ev.held for ev in found))
    return frozenset(t.alternatives for t in qt.terms if t.stem not in qt.common) & held


def passing_reason(qt: QuestionTerms, weights: list[float], sentence_words: list[set[str]], passing: int) -> str:
    """Why an article may not address the question, from its rarest key term: "never mentions
    tariffs" (the term and its related words are nowhere in it) or "mentions tariffs only in
    passing" (in at most `passing` of its sentences); "" when that term is well covered."""
    if not qt.terms:
        return ""
    term, _ = max(zip(qt.terms, weights), key=lambda tw: tw[1])
    found = sum(term.found_in(words) for words in sentence_words)
    if found == 0:
        return f"never mentions {term.word}"
    return f"mentions {term.word} only in passing" if found <= passing else ""


def decide(found: list[ArticleEvidence], qt: QuestionTerms, r: Rules, *, topic: bool = False) -> None:
    """Set each article's status from its evidence, compared with the best article's: silent only
    where the absence is clear (far behind, no key term, or most of the question's words found
    nowhere in it); addressing when close to the best; in between, "may not address it"."""
    best = max((ev.strength for ev in found if ev.key), default=0.0)
    distinct = distinctive_terms(found, qt) if topic else frozenset()
    for ev in found:
        if not ev.key or best <= 0:
            ev.status = SILENT
            continue
        share = ev.strength / best
        if topic:  # far behind, or none of the topic's distinctive words in title or text and well behind
            lacks = bool(distinct) and distinct.isdisjoint(ev.held) and share < r.topic_absent_share
            silent = lacks or share < r.topic_silent_share or ev.coverage < r.topic_min_coverage
            sure = share >= r.topic_sure_share
        else:
            lacks = ev.absent >= r.absent_silent and share < r.absent_silent_share  # never approaches the question's subject
            silent = lacks or share < r.silent_share or ev.coverage < r.min_coverage or ev.cosine < r.silence_floor
            sure = share >= r.sure_share
        if silent:
            ev.status = SILENT
        elif not sure or not any(qt.holds_answer(s.text) for s in ev.key + ev.context):
            ev.status = MENTIONS
        else:
            ev.status = ADDRESSES
