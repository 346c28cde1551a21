"""Answer a question evidence first: verbatim sentences lead, checked model text follows.

Scope: the ask flow as a stream of events that the CLI, the web app and batch runs consume,
ending in one typed `AskResult` (results.py). In order:
1. Evidence (app/retrieve/evidence.py): each article's key sentences, and whether it
   addresses the question, mentions it, or is silent. Decided in code; silent costs nothing.
2. The answer's lead, built from structure, not by the model: for a fact question the
   sentence that holds the fact, cited; for a view question which articles address it
   (named from the record) and which are silent.
3. The cards: each article's key sentences, verbatim and cited.
4. Little model text, and only what passes the support check (support.py): a one-sentence
   paraphrase per addressing article, and two or three sentences of contrast written over
   the articles' key sentences (never over the model's own notes). Failures are dropped and
   counted (`dropped`), never shown; nothing is streamed before it is checked.
Sources are numbered [1..N] in corpus order. Not here: presentation (app/render, app/ui),
topic comparison (compare.py).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator

from app.answer import disagree, prompts, support, timing
from app.answer.citations import cited_numbers, clean_citations, verify_quote
from app.answer.question import clean_question
from app.answer.results import ADDRESSES, MENTIONS, NOT_ADDRESSED_TEXT, SILENT, AskResult, Evidence, Perspective, SourcePassage, voice_of
from app.answer.dated import named, source_note
from app.answer.leaning import with_context
from app.answer.voice import checked, voiced
from app.errors import ModelCrashed
from app.llm import GenerationStats
from app.pipeline import Pipeline, known_parameters
from app.retrieve.evidence import ArticleEvidence, qualifies_previous
from app.retrieve.terms import QuestionTerms, question_kind
from app.rules import RULES, Rules
from app.settings import Settings

NOT_ADDRESSED = NOT_ADDRESSED_TEXT  # the card text of a silent article (kept for importers)
CONTRAST_SENTENCES = 3


@dataclass
class Event:
    """One step of the flow. Kinds, in order: "sources"; "answer_start" and "answer" (the lead,
    built in code); per article "viewpoint_start" (with its card), "viewpoint" (its first
    verbatim line, or "Does not address this.") and, when one passed the check, "paraphrase";
    then "contrast" (a view question's checked model sentences, if any) or "fact" (a fact
    question's one checked model sentence, if any); "done" (the result)."""

    kind: str
    text: str = ""
    article_id: str = ""
    result: AskResult | None = None
    perspective: Perspective | None = None


@dataclass
class _Spent:
    """Model time and tokens over one ask (all calls together)."""

    started: float
    model_s: float = 0.0
    first_token_s: float | None = None
    prompt: int = 0
    completion: int = 0
    reused: int = 0
    dropped: int = 0
    generated: int = 0
    reasons: list[str] = field(default_factory=list)  # the support check's reason for each dropped sentence


# -- sources and evidence ----------------------------------------------------------------

def number_sources(found: list[ArticleEvidence]) -> tuple[list[SourcePassage], dict[str, int]]:
    """Number the passages of every article that is not silent, in corpus order: first the
    passages that hold its evidence, then its other best passages."""
    numbers: dict[str, int] = {}
    sources: list[SourcePassage] = []
    for ev in found:
        if ev.status == SILENT:
            continue
        by_id = {h.passage.id: h for h in ev.hits}
        wanted = [s.passage_id for s in ev.sentences] + list(by_id)
        for pid in dict.fromkeys(wanted):
            if pid in numbers:
                continue
            numbers[pid] = len(numbers) + 1
            sources.append(_source(ev, pid, numbers[pid], by_id.get(pid)))
    return sources, numbers


def _source(ev: ArticleEvidence, pid: str, n: int, hit) -> SourcePassage:
    passage = hit.passage if hit else ev.passages[pid]
    return SourcePassage(pid, n, ev.article.id, ev.article.title, passage.position, passage.start, passage.end, passage.text,
                         round(hit.score, 4) if hit else 0.0, round(hit.lexical, 4) if hit else 0.0, round(hit.fused, 6) if hit else 0.0)


def card(ev: ArticleEvidence, numbers: dict[str, int]) -> Perspective:
    """An article's card before any model text: its verbatim evidence, or silence."""
    art = ev.article
    quotes = [] if ev.status == SILENT else [
        Evidence(s.text, s.start, s.end, s.passage_id, numbers[s.passage_id], s.role, s.score, **voice_of(art.text, s.start, s.end))
        for s in ev.sentences if verify_quote(art.text, s.text, s.start, s.end)
    ]
    status = ev.status if quotes else SILENT
    viewpoint = NOT_ADDRESSED_TEXT if status == SILENT else _evidence_line(quotes)
    return Perspective(art.id, art.title, art.label, status, round(ev.best, 4), viewpoint, quotes,
                       sorted({q.citation for q in quotes}), source=art.source, reason=ev.reason if status == MENTIONS else "")


def _evidence_line(quotes: list[Evidence]) -> str:
    key = next((q for q in quotes if q.role == "key"), quotes[0])
    return f"{voiced(key)} [{key.citation}]"


# -- the lead of the answer, from structure ----------------------------------------------

NAMED = 6  # articles named in a list of the lead before the rest are counted (the `shown` setting)


def _names(cards: list[Perspective], limit: int = NAMED, cite: bool = False, by_date: bool = False, dated: bool = False) -> str:
    """The articles in the order given, or, when there are more than `limit`, the strongest
    `limit` and the rest counted by outlet and date; `dated`: each with its outlet and date
    where known, else (a long lead) their outlets and dates together after the last named one;
    `by_date`: the named ones in the order of their dates (a question about events)."""
    ranked = cards if len(cards) <= limit else sorted(cards, key=lambda c: -_top_key(c))
    shown = sorted(ranked[:limit], key=lambda c: timing.date_key(c.source.date)) if by_date else ranked[:limit]
    names = [(named(c.label, c.source) if dated else f"«{c.label}»") + (f" [{c.citations[0]}]" if cite and c.citations else "") for c in shown]
    if not dated and len(shown) == 1 and source_note(shown[0].source):
        names[-1] += f" ({source_note(shown[0].source)})"
    elif not dated and any(source_note(c.source) for c in shown):  # said of them all, not of the last one
        names[-1] += f" (all {len(shown)} — {group_by_source([c.source for c in shown])})"  # "«A» and «B» (all 2 — Wikinews 2; Jan 2005 – Oct 2007)"
    rest = ranked[limit:]
    if rest:
        names.append(f"{len(rest)} more ({group_by_source([c.source for c in rest])})")
    if cite and not rest:
        return ", ".join(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def group_by_source(sources: list) -> str:
    """"Reuters 4, Fox 3, 2 others; May 2018 – Jun 2019": outlets by count, then the span of dates."""
    outlets = Counter(s.outlet for s in sources if s.outlet and s.outlet != "unknown")
    top = [f"{name} {n}" for name, n in outlets.most_common(3)]
    others = len(sources) - sum(n for _, n in outlets.most_common(3))
    if others and top:
        top.append(f"{others} other{'s' if others > 1 else ''}")
    dates = sorted(d for d in (_month(s.date) for s in sources) if d)
    span = "" if not dates else (dates[0][1] if dates[0] == dates[-1] else f"{dates[0][1]} – {dates[-1][1]}")
    return "; ".join(part for part in (", ".join(top), span) if part) or "sources unknown"


def _month(date: str) -> tuple[str, str] | None:
    """("2019-05", "May 2019") from an ISO date; None when unknown."""
    import datetime as dt

    try:
        day = dt.date.fromisoformat(str(date)[:10])
    except ValueError:
        return None
    return day.strftime("%Y-%m"), day.strftime("%b %Y")


def lead(qt: QuestionTerms, cards: list[Perspective], total: int | None = None, limit: int = NAMED, nearby: list | None = None,
         weights: list[float] | None = None, rules: Rules = RULES) -> str:
    """The first lines of the answer, decided in code and named from the record. `cards` are the
    articles read for the question; `total` counts the whole corpus (the rest were not found
    discussing it, but for `nearby`, the sources of those that may); at most `limit` articles
    are named in each list; `weights`: the rarity of the question's terms (disagree.py). A lead
    longer than the answer's length less room for the model's sentence gives the listed articles'
    outlets and dates together, the quoted ones' each, then names fewer articles per list
    (rules.answer_chars, rules.model_room)."""
    room = rules.answer_chars - rules.model_room
    for detail in (2, 1):
        text = _lead(qt, cards, total, limit, nearby, weights, detail, rules)
        if len(text) <= room:
            return text
    for fewer in sorted({limit, min(limit, 3), 1}, reverse=True):  # then fewer names per list, the rest counted
        text = _lead(qt, cards, total, fewer, nearby, weights, 0, rules)
        if len(text) <= room:
            break
    return text


def _lead(qt: QuestionTerms, cards: list[Perspective], total: int | None, limit: int, nearby: list | None,
          weights: list[float] | None, detail: int, rules: Rules) -> str:
    """The lead at a level of detail: 2, every named article with its outlet and date; 1, the
    quoted ones, the listed ones' outlets and dates together, and fewer differing values; 0, as 1
    with one "Most direct" line."""
    dated = detail >= 2
    total = total or len(cards)
    nearby = nearby or []
    unread = total - len(cards) - len(nearby)
    speaking = [c for c in cards if c.status != SILENT]
    silent = [c for c in cards if c.status == SILENT]
    if not speaking:
        return "None of the articles addresses this question."
    addressing = [c for c in speaking if c.status == ADDRESSES]
    mentioning = [c for c in speaking if c.status == MENTIONS]
    events = timing.about_events(qt.text)
    quiet = _silence_note(silent, unread, limit, dated) + _nearby_note(nearby)
    if qt.kind == "fact":  # the unsure and the silent articles are named too, as in a view answer
        text = _fact_lead(cards, qt, limit, weights, detail)
        differ = disagree.find(qt, cards, weights, compact=not dated).text
        text += f" {differ}" if differ else ""
        # An addressing article with another answer (not "also in" it) is still named, cited.
        other = [c for c in addressing if f"«{c.label}»" not in text]
        if other:
            text += f" {_names(other, limit, cite=True, by_date=events, dated=dated)} also {'addresses' if len(other) == 1 else 'address'} it."
        if not addressing:  # its card says "may not address it": the lead does not state it as the answer
            text = "No article clearly answers this. Closest: " + text
        unnamed = [c for c in mentioning if f"«{c.label}»" not in text]
        unsure = f" {_names(unnamed, limit, by_date=events, dated=dated)} may not address it." if unnamed else ""
        return text + unsure + quiet
    if not addressing:  # only unsure articles: say so rather than name any of them as addressing it
        return "No article clearly addresses this; the closest sentences are below." + quiet + " Closest: " + _strongest(cards, 1, qt)[0]
    verb = "addresses" if len(addressing) == 1 else "address"
    parts = [f"{len(addressing)} of {total} articles {verb} this: " + _names(addressing, limit, cite=True, by_date=events, dated=dated) + "."]
    if mentioning:
        parts.append(f"{_names(mentioning, limit, by_date=events, dated=dated)} may not address it (closest sentences below).")
    head = " ".join(parts) + quiet + " Most direct: "
    direct = _strongest(cards, rules.most_direct if detail else 1, qt)
    while len(direct) > 1 and len(head) + sum(len(d) + 7 for d in direct) > rules.answer_chars:
        direct.pop()  # a long lead keeps its most direct quote and drops the next
    return head + " Next: ".join(direct)


def ranked(cards: list[Perspective]) -> list[Perspective]:
    """Cards by relevance: addressing, then unsure, then silent; within each, strongest first."""
    order = {ADDRESSES: 0, MENTIONS: 1, SILENT: 2}
    return sorted(cards, key=lambda c: (order.get(c.status, 3), -_top_key(c)))


def more_line(hidden: list[Perspective], unread: int, nearby: list | None = None) -> str:
    """What the cards left out: "4 more address or may address it (Reuters 2, …). 3 more may
    discuss it but were not read closely (…). 970 others were not found discussing it." """
    nearby = nearby or []
    parts = []
    speaking = [c for c in hidden if c.status != SILENT]
    if speaking:
        parts.append(f"{len(speaking)} more address or may address it ({group_by_source([c.source for c in speaking])}).")
    if nearby:
        parts.append(_nearby_note(nearby).strip())
    quiet = len(hidden) - len(speaking) + unread - len(nearby)
    if quiet:
        parts.append(f"{quiet} other article{'s' if quiet > 1 else ''} {'was' if quiet == 1 else 'were'} not found discussing it.")
    return " ".join(parts)


def _top_key(card: Perspective) -> float:
    return max((q.score for q in card.quotes if q.role == "key"), default=0.0)


def _strongest(cards: list[Perspective], n: int, qt: QuestionTerms | None = None) -> list[str]:
    """The `n` articles whose best key sentence ranks highest for the question (not the ones
    strongest for the silence rule), each with its most direct quote; an unsure article never
    comes before one said to address the question (and only when none does), nor, for a
    question about one time, an article from another time before one from then (the first line
    then says when it is from)."""
    asked = timing.asked_time(qt.text) if qt else None
    sure = [i for i, c in enumerate(cards) if c.status == ADDRESSES]
    ranked = sorted(sure or [i for i, c in enumerate(cards) if c.status != SILENT],
                    key=lambda i: (timing.in_time(cards[i].source.date, asked) is False, -_top_key(cards[i])))
    chosen: dict[str, str] = {}  # quote -> line: an article repeating another's sentence adds nothing
    for i in ranked:
        line = _most_direct(cards[i]) + ("" if chosen else timing.elsewhere_note(asked, cards[i].source.date))
        chosen.setdefault(" ".join(_best_key(cards[i]).text.split()), line)
        if len(chosen) == n:
            break
    return list(chosen.values())


def _best_key(card: Perspective) -> Evidence:
    return max((q for q in card.quotes if q.role == "key"), key=lambda q: q.score)  # the best, not the first in reading order


def _most_direct(card: Perspective) -> str:
    key = _best_key(card)
    after = min((q for q in card.quotes if q.start >= key.end), key=lambda q: q.start, default=None)
    gap = " … later: " if after and after.start - key.end > 3 else " "  # paragraphs later (evidence.later_turn)
    turned_down = f"{gap}{voiced(after)} [{after.citation}]" if after and qualifies_previous(after.text) else ""
    return f"{named(card.label, card.source)}: {with_context(card.quotes, key)}{turned_down}"


def _nearby_note(nearby: list) -> str:
    """Articles close to the question that were not read (more than `candidates` were close)."""
    if not nearby:
        return ""
    n = len(nearby)
    return f" {n} more may discuss it but {'was' if n == 1 else 'were'} not read closely ({group_by_source(nearby)})."


def _silence_note(silent: list[Perspective], unread: int = 0, limit: int = NAMED, dated: bool = False) -> str:
    """Who does not address it: named when few, else counted; articles never read for the
    question (not among its candidates) are counted with them."""
    if not silent and not unread:
        return ""
    if unread == 0 and len(silent) <= limit:
        return f" {_names(silent, limit, dated=dated)} {'does' if len(silent) == 1 else 'do'} not address it."
    n = len(silent) + unread
    return f" {n} other article{'s' if n > 1 else ''} {'does' if n == 1 else 'do'} not appear to discuss it."


def fact_source(cards: list[Perspective], qt: QuestionTerms) -> tuple[Perspective, list[Evidence]] | None:
    """The article a fact answer quotes, and its quotes that hold an answer of the asked kind:
    among the articles whose evidence holds one, the one whose best key sentence ranks highest
    (the article's strength for silence is another score), an article said to address the
    question before an unsure one (the lead quoted a card marked "may not address it" for
    "Where is the company based?"). The lead quotes these and the model's one sentence is written
    over the same ones."""
    asked = timing.asked_time(qt.text)  # a question about one time: evidence from then first
    ranked = sorted((i for i, c in enumerate(cards) if c.status != SILENT),
                    key=lambda i: (cards[i].status != ADDRESSES, timing.in_time(cards[i].source.date, asked) is False, -_top_key(cards[i])))
    if not ranked:
        return None
    with_fact = [i for i in ranked if any(qt.holds_answer(q.text) for q in cards[i].quotes)] or ranked
    best = cards[with_fact[0]]
    return best, [q for q in best.quotes if qt.holds_answer(q.text)] or best.quotes


def confirm_fact_holders(qt: QuestionTerms, cards: list[Perspective], rules: Rules = RULES) -> None:
    """For a fact question, mark as addressing it every unsure card whose key sentence gives
    the same answer as the one the lead quotes from an addressing article: an article that
    states the fact must not read "may not address it" beside the answer it gives."""
    source = fact_source(cards, qt) if qt.kind == "fact" and qt.answer_type else None
    if source is None or source[0].status != ADDRESSES:
        return
    best, keys = source
    given = set().union(*(qt.answers_in(q.text) for q in keys))
    top = max((q.score for q in keys if q.role == "key"), default=_top_key(best))
    for c in cards:
        if c.status == MENTIONS and any(q.role == "key" and q.score >= rules.same_fact_share * top and given & qt.answers_in(q.text)
                                        for q in c.quotes):
            c.status, c.reason = ADDRESSES, ""


def _fact_lead(cards: list[Perspective], qt: QuestionTerms, limit: int = NAMED, weights: list[float] | None = None,
               detail: int = 2) -> str:
    """The sentence(s) that hold the fact; "Also in" names the addressing articles that give the
    same answer: the same value for the asked quantity where disagree.py can tell (an article
    giving 800 passengers is not "also in" an answer of 840), else a number, date or name in
    both. Before, any answer of the asked kind counted, so "Which university…" listed articles
    naming other universities."""
    best, keys = fact_source(cards, qt)
    same = disagree.agreeing(qt, cards, best, weights)
    shown: set[tuple[int, int]] = set()
    quote = " ".join(filter(None, (with_context(best.quotes, q, shown) for q in sorted(keys, key=lambda q: q.start))))
    given = set().union(*(qt.answers_in(q.text) for q in keys))
    def agrees(c: Perspective) -> bool:
        if c.article_id in same:
            return same[c.article_id]
        return not qt.answer_type or any(given & qt.answers_in(q.text) for q in c.quotes)
    asked = timing.asked_time(qt.text)
    also = [c for c in cards if c is not best and c.status == ADDRESSES and timing.in_time(c.source.date, asked) is not False and agrees(c)]
    tail = f" Also in {_names(also, limit, cite=True, by_date=timing.about_events(qt.text), dated=detail >= 2)}." if also else ""
    elsewhere = timing.elsewhere_note(asked, best.source.date)
    return f"{named(best.label, best.source)}: {quote}{tail}{elsewhere}"


# -- model calls: one batch, each reply checked -------------------------------------------

VIEWS_NOT_WRITTEN = ("No model-written sentence: a model under 1B weights is not asked to write about views (the bundled "
                     "one's all failed the check); a larger model (--model PATH) or the setting paraphrase = on asks it.")
BATCH_TOKENS = 48  # one short sentence per card, two or three short ones for the contrast
SMALL_MODEL = 1_000_000_000  # below this many weights, the model writes about views only when asked


def writes_about_views(pipe: Pipeline) -> bool:
    """Whether to ask the model to write about views: a paraphrase per addressing article and
    the contrast of a view question. "auto" leaves them to models of 1B weights or more (or of
    unknown size): on the four tuning corpora the bundled 135M model's contrast sentences all
    failed the support check (0 kept of 53, 45 view questions), and its paraphrases mostly
    did, while they were most of the time and tokens of an ask (models.md)."""
    return _views_written(pipe.settings.paraphrase, lambda: pipe.model_parameters)


def may_call_model(settings: Settings, question: str) -> bool:
    """Whether answering `question` may call the model, known before the pipeline is built (the
    CLI starts loading the model only then): a fact question's sentence, or writing about views
    (a model other than the bundled one may: its size is known only once loaded)."""
    if question_kind(question) == "fact":
        return True
    return _views_written(settings.paraphrase, lambda: known_parameters(settings))


def _views_written(choice: str, parameters) -> bool:
    if choice != "auto":
        return choice == "on"
    size = parameters()
    return size is None or size >= SMALL_MODEL


def _jobs(q: str, qt: QuestionTerms, cards: list[Perspective]) -> list[tuple]:
    """What to ask the model, as (what, card or None, template, fields): a paraphrase per
    addressing article and the contrast for a view question; one sentence for a fact one."""
    if qt.kind == "fact":
        source = fact_source(cards, qt)
        if source is None:
            return []
        best, evidence = source
        return [("fact", best, "fact", {"question": q, "excerpts": _lines(evidence)}, evidence)]
    jobs = [("paraphrase", c, "viewpoint", {"question": q, "title": c.title, "excerpts": _lines(c.quotes)}, c.quotes)
            for c in cards if c.status == ADDRESSES]
    speaking = sorted((c for c in cards if c.status == ADDRESSES), key=lambda c: c.article_id)
    if len(speaking) >= 2:
        notes = "\n".join(f"[{c.quotes[0].citation}] {c.label}: {c.quotes[0].text}" for c in speaking)
        jobs.append(("contrast", None, "answer", {"question": q, "notes": notes}, []))
    return jobs


def _lines(quotes: list[Evidence]) -> str:
    return "\n".join(f"[{x.citation}] {x.text}" for x in quotes)


def _fit(model, messages: list[dict], max_tokens: int) -> list[dict]:
    """Keep a prompt inside the context window by trimming the user message's tail lines
    (the last evidence lines go first; the closing instruction stays)."""
    budget = model.context_size - max_tokens - 16
    while sum(model.count_tokens(m["content"]) + 8 for m in messages) > budget:
        user = messages[-1]["content"]
        lines = user.split("\n")
        if len(lines) <= 3:
            messages[-1]["content"] = user[: max(200, len(user) // 2)]
            if len(user) <= 200:
                break
        else:
            del lines[-3]
            messages[-1]["content"] = "\n".join(lines)
    return messages


def _run(pipe: Pipeline, jobs: list[tuple], spent: _Spent) -> list[str]:
    """All the jobs' replies, decoded together where the backend can (generate_many)."""
    if not jobs:
        return []
    model = pipe.model
    t0 = time.perf_counter()
    stats = GenerationStats()
    replies = model.generate_many([_fit(model, prompts.render(template, **fields), BATCH_TOKENS) for _, _, template, fields, _ in jobs],
                                  max_tokens=BATCH_TOKENS, temperature=pipe.settings.temperature, stats=stats)
    spent.first_token_s = time.perf_counter() - spent.started
    spent.model_s += time.perf_counter() - t0
    spent.prompt += stats.prompt_tokens
    spent.completion += stats.completion_tokens
    spent.reused += stats.reused_tokens
    return replies


def _checked(reply: str, limit: int, evidence: list[Evidence], spent: _Spent, question: str, titles: list[str],
             rules: Rules = RULES) -> list[str]:
    """The reply's whole sentences that pass the support check, each citing exactly the quotes
    it was checked against (its own citations, or else every quote it was given)."""
    kept = []
    for sentence in support.whole_sentences(reply, limit):
        # Checked against the quotes it cites (a reader follows [n] to those), else all it was given.
        cites = set(cited_numbers(sentence))
        cited = [x for x in evidence if x.citation in cites] or evidence
        verdict = checked(sentence, cited, question=question, titles=titles, rules=rules)  # and whose words it gives
        if not verdict.ok:
            spent.dropped += 1
            spent.reasons.append(verdict.reason.split(":")[0])  # the kind of failure, never the refused words
            continue
        sentence = clean_citations(sentence, {x.citation for x in evidence}).strip()
        if not cited_numbers(sentence):
            sentence = f"{sentence} " + "".join(f"[{n}]" for n in sorted({x.citation for x in cited}))
        kept.append(sentence)
        spent.generated += 1
    return kept


def contrast_sentences(reply: str, question: str, cards: list[Perspective], spent: _Spent, rules: Rules = RULES) -> list[str]:
    """The contrast reply's sentences, each checked against the article it cites or names."""
    speaking = [c for c in cards if c.status == ADDRESSES]
    titles = [c.title for c in cards] + [c.label for c in cards]
    out = []
    for sentence in support.whole_sentences(reply, CONTRAST_SENTENCES):
        about = _about(sentence, speaking)
        if about is None:
            spent.dropped += 1
            spent.reasons.append("names or cites no addressing article")
            continue
        out += _checked(sentence, 1, about.quotes, spent, question, titles, rules)
    return out


def _about(sentence: str, speaking: list[Perspective]) -> Perspective | None:
    """The article a contrast sentence speaks about: the one it cites, else the one it names."""
    cites = set(cited_numbers(sentence))
    for c in speaking:
        if cites & set(c.citations):
            return c
    low = sentence.lower()
    named = [c for c in speaking if c.label.rstrip("…").lower()[:24] in low]
    return named[0] if len(named) == 1 else None


# -- the flow ---------------------------------------------------------------------------

def ask_stream(pipe: Pipeline, question: str, *, history: list[str] | None = None, show_all: bool = False) -> Iterator[Event]:
    """Run the whole ask flow, yielding events as they happen; the last is `done`. Cards: every
    article read for the question when they are few (or `show_all`), else the strongest
    `shown` (setting), then one "more" event that counts the rest."""
    s = pipe.settings
    q, notices = clean_question(question, s.max_question_chars)
    t0 = time.perf_counter()
    # A follow-up ("and the second one?") is retrieved together with the previous question.
    query = " ".join([*(history or [])[-1:], q])
    qt = pipe.question_terms(q)
    found = pipe.find_evidence(q, k=s.k, n_key=s.quotes, query=query)
    sources, numbers = number_sources(found)
    read = [ev for ev in found if ev.examined]
    cards = [card(ev, numbers) for ev in read]
    confirm_fact_holders(qt, cards, pipe.rules)
    not_examined = [ev.article.id for ev in found if not ev.examined]
    nearby = [ev.article.source for ev in found if ev.nearby]
    t_retrieve = time.perf_counter() - t0
    yield Event("sources", text=str(len(sources)))

    weights = disagree.term_weights(qt, getattr(pipe.evidence, "words", None))
    answer = lead(qt, cards, total=len(found), limit=s.shown, nearby=nearby, weights=weights, rules=pipe.rules)
    yield Event("answer_start")
    yield Event("answer", text=answer)
    spent = _Spent(t0)
    strongest = cards if len(cards) <= s.shown else ranked(cards)[: s.shown]
    visible = cards if show_all else strongest
    for c in visible:
        yield Event("viewpoint_start", article_id=c.article_id, text=c.title, perspective=c)
        yield Event("viewpoint", text=c.viewpoint, article_id=c.article_id)
    hidden = [c for c in cards if c not in visible]
    if hidden or not_examined:
        yield Event("more", text=more_line(hidden, len(not_examined), nearby))
    jobs = _jobs(q, qt, strongest)  # the model writes about what is shown
    if jobs and not writes_about_views(pipe):  # asked only when there is model work: it loads the model
        jobs = [job for job in jobs if job[0] == "fact"]
        if not jobs:
            notices.append(VIEWS_NOT_WRITTEN)
    extra: list[str] = []
    replies, crash = _run_or_survive(pipe, jobs, spent)
    if crash:
        notices.append(crash)
    for (what, c, _, _, evidence), reply in zip(jobs, replies):
        if what == "paraphrase":
            kept = _checked(reply, 1, evidence, spent, q, [c.title, c.label], pipe.rules)
            c.paraphrase = kept[0] if kept else ""
            if c.paraphrase:
                yield Event("paraphrase", text=c.paraphrase, article_id=c.article_id)
        elif what == "contrast":
            extra = contrast_sentences(reply, q, cards, spent, pipe.rules)
        else:
            extra = _checked(reply, 1, evidence, spent, q, [c.title, c.label], pipe.rules)
    if extra and len(answer) + len(" ".join(extra)) + 1 > pipe.rules.answer_chars:
        extra = []
    if extra:
        answer += " " + " ".join(extra)
        yield Event("fact" if qt.kind == "fact" else "contrast", text=" ".join(extra))
    if show_all:  # a card for every article, the unread ones silent
        cards = cards + [card(ev, numbers) for ev in found if not ev.examined]
    result = _result(pipe, q, qt.kind, answer, cards, sources, notices, spent, t_retrieve)
    result.answer_generated = extra
    result.model_error = crash
    result.not_examined = not_examined
    result.disagreements = disagree.find(qt, cards, weights).disagreements
    yield Event("done", result=result)


def _run_or_survive(pipe: Pipeline, jobs: list[tuple], spent: _Spent) -> tuple[list[str], str]:
    """The model's replies, or none and one line saying so when the model's process crashed:
    the quotes were chosen without the model, so the answer stands without its sentences."""
    try:
        return _run(pipe, jobs, spent), ""
    except ModelCrashed as exc:
        return [""] * len(jobs), f"{exc} This answer shows the articles' own sentences only."


def _result(pipe, q, kind, answer, cards, sources, notices, spent: _Spent, t_retrieve: float) -> AskResult:
    allowed = {p.citation for p in sources}
    answer = clean_citations(answer, allowed)
    for c in cards:
        if c.paraphrase:
            c.viewpoint = f"{c.viewpoint} — {c.paraphrase}"
    total = time.perf_counter() - spent.started
    timing = {"retrieval_s": round(t_retrieve, 4), "model_s": round(spent.model_s, 3),
              "first_token_s": round(spent.first_token_s or total, 3), "total_s": round(total, 3),
              "prompt_tokens": spent.prompt, "completion_tokens": spent.completion, "reused_prompt_tokens": spent.reused}
    return AskResult(q, kind, answer, [n for n in cited_numbers(answer) if n in allowed], cards, sources,
                     pipe.model_name,
                     dropped=spent.dropped, generated=spent.generated, dropped_reasons=spent.reasons, notices=notices, timing=timing)


def ask(pipe: Pipeline, question: str, *, history: list[str] | None = None) -> AskResult:
    """The ask flow without streaming."""
    for ev in ask_stream(pipe, question, history=history):
        if ev.kind == "done" and ev.result is not None:
            return ev.result
    raise AssertionError("ask_stream always ends with 'done'")
