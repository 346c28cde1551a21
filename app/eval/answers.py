"""Measure answers on the dev set (tests/eval/questions.jsonl): facts, silence, checked text.

Per model and per split (dev, holdout), over every question:
- fact in answer: a fact question's needed string is in the answer text;
- fact in a cited sentence: it is in one of the verbatim quotes shown;
- addressing shown as addressing: articles the gold says address the question that the
  answer counts as addressing it (not "may not address it", not silent);
- flat-silent: addressing articles shown as "Does not address this" (also: wrongly silenced);
- silent caught: articles the gold marks silent that are not shown as addressing it (their
  card says "Does not address this" or "may not address it"); silent flat: the former only;
- the coverage line ("N of M articles address this", view questions): exact (every addressing
  article counted, no silent one), and right or hedged (no silent article counted, no
  addressing one called silent);
- compare (gold topics, no labels): silent rows shown as "not addressed" (caught) or not as
  discussing it (hedged), addressing rows shown as discussing it, and called "not addressed";
- generated sentences shown and dropped by the support check, and shown sentences that fail
  the check when re-run here (must be 0), answers cut mid-sentence (must be 0);
- citation validity ([n] points at a listed source), quote validity (verbatim at offsets),
  seconds per question;
- for view questions, with tests/eval/key_gold.jsonl (each addressing article's sentences that
  state its answer, annotated by a separate session): the share of those articles whose card
  quotes one of them, and of answers whose "Most direct" line does.
Holdout questions are reported apart and must not be used for tuning.

The command line, corpora, rule changes and leave-one-corpus-out: app/eval/run.py.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from app.answer import support
from app.answer.ask import ask
from app.answer.compare import compare
from app.answer.citations import cited_numbers
from app.answer.results import ADDRESSES, MENTIONS, SILENT, AskResult
from app.resources import EVAL_DIR

EVAL_FILE = EVAL_DIR / "questions.jsonl"
KEY_GOLD_FILE = EVAL_DIR / "key_gold.jsonl"
_ENDS_WHOLE = re.compile(r"[.!?…][\"'”’)\]]*(\s*\[\d+\])*\s*$")


def load_questions(path: Path = EVAL_FILE) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_key_gold(path: Path = KEY_GOLD_FILE) -> dict[str, dict[str, list[str]]]:
    """Question id -> article id -> the article's answer sentences, verbatim from the seed files."""
    out: dict[str, dict[str, list[str]]] = {}
    for row in (load_questions(path) if path.exists() else []):
        out.setdefault(row["id"], {})[row["article_id"]] = row["answers"]
    return out


# The seed files keep their damage ("companyās"); the text read has the quote marks repaired,
# one character for one, so sentences are found with every quote mark made the same.
_SAME_QUOTES = str.maketrans({c: "'" for c in "ā’‘“”\""})


def find_sentence(text: str, sentence: str) -> int:
    return text.translate(_SAME_QUOTES).find(sentence.translate(_SAME_QUOTES))


def _quotes_an_answer(quotes, text: str, answers: list[str]) -> bool:
    """Whether a quote overlaps one of the answer sentences in the article's text."""
    spans = [(i, i + len(a)) for a in answers if (i := find_sentence(text, a)) >= 0]
    return any(q.start < end and start < q.end for q in quotes for start, end in spans)


def key_scores(res: AskResult, gold: dict[str, list[str]], articles: dict) -> dict:
    """Cards (and the Most direct line) that quote an article's own answer sentence."""
    cards = {p.article_id: p for p in res.perspectives}
    hit = sum(a in cards and _quotes_an_answer(cards[a].quotes, articles[a].text, answers) for a, answers in gold.items())
    direct = res.answer.split("Most direct:", 1)[1] if "Most direct:" in res.answer else ""
    for sentence in res.answer_generated:  # the line as built in code, not a model sentence after it
        direct = direct.replace(sentence, "")
    direct_hit = any(q.text in direct and _quotes_an_answer([q], articles[aid].text, answers)
                     for aid, answers in gold.items() if aid in cards for q in cards[aid].quotes)
    return {"answer_cards": len(gold), "answer_cards_quoted": hit, "direct_answers": int(bool(gold)), "direct_answers_quoted": int(bool(gold) and direct_hit)}


def shown_generated(res: AskResult) -> list[tuple[str, list[str]]]:
    """Every model-written sentence a reader sees, with the quotes it is checked against."""
    out = [(p.paraphrase, [q.text for q in p.quotes]) for p in res.perspectives if p.paraphrase]
    for sentence in res.answer_generated:
        cites = set(cited_numbers(sentence))
        out.append((sentence, [q.text for p in res.perspectives for q in p.quotes if q.citation in cites]))
    return out


def score_question(q: dict, res: AskResult, articles: dict, key_gold: dict | None = None) -> dict:
    """The per-question counts (see the module docstring)."""
    needs = q.get("needs", "").lower()
    quotes = " ".join(x.text for p in res.perspectives for x in p.quotes).lower()
    status = {p.article_id: p.status for p in res.perspectives}
    listed = {p.citation for p in res.passages}
    texts = [res.answer] + [p.viewpoint for p in res.perspectives]
    cites = [n for t in texts for n in cited_numbers(t)]
    quote_ok = [articles[p.article_id].text[x.start:x.end] == x.text for p in res.perspectives for x in p.quotes]
    unsupported = sum(not support.check(s, cited, question=res.question, titles=[p.title for p in res.perspectives] + [p.label for p in res.perspectives]).ok
                      for s, cited in shown_generated(res))
    addressing, silent = q.get("articles", []), q.get("silent", [])
    return {
        "fact": q.get("kind") == "fact",
        "view": q.get("kind") == "view",
        "fact_in_answer": bool(needs) and needs in res.answer.lower(),
        "fact_in_cited": bool(needs) and needs in quotes,
        "silent_gold": len(silent),
        "silent_caught": sum(status.get(a) != ADDRESSES for a in silent),
        "silent_flat": sum(status.get(a) == SILENT for a in silent),
        "addressing_gold": len(addressing),
        "addressing_shown": sum(status.get(a) == ADDRESSES for a in addressing),
        "wrongly_silenced": sum(status.get(a) == SILENT for a in addressing),
        "silent_as_addressing": sum(status.get(a) == ADDRESSES for a in silent),
        "addressing_as_unsure": sum(status.get(a) == MENTIONS for a in addressing),
        **coverage_line(status, addressing, silent),
        "generated": res.generated, "dropped": res.dropped, "unsupported_shown": unsupported,
        "cut": not _ENDS_WHOLE.search(res.answer.strip()),
        "cites": len(cites), "cites_valid": sum(n in listed for n in cites),
        "quotes": len(quote_ok), "quotes_valid": sum(quote_ok),
        **key_scores(res, (key_gold or {}).get(q["id"], {}), articles),
    }


def coverage_line(status: dict[str, str], addressing: list[str], silent: list[str]) -> dict:
    """The answer's "N of M articles address this" line, judged on the gold's articles (those it
    leaves unjudged count neither way). Exact: every addressing article is counted and no silent
    one. Right or hedged: no silent article is counted and no addressing one is called silent
    (an addressing article under "may not address it" is a hedge, not an error)."""
    counted = {a for a, s in status.items() if s == ADDRESSES}
    silenced = {a for a, s in status.items() if s == SILENT}
    no_false_claim = not counted & set(silent)
    return {"coverage_exact": int(set(addressing) <= counted and no_false_claim),
            "coverage_right_or_hedged": int(no_false_claim and not silenced & set(addressing))}


def summarise(rows: list[dict], seconds: list[float]) -> dict:
    """The figures over `rows` (one per question), pooled: every share is a count over a count."""
    facts = [r for r in rows if r["fact"]]
    views = [r for r in rows if r.get("view")]
    total = lambda key, rr=rows: sum(r[key] for r in rr)  # noqa: E731
    share = lambda a, b: round(a / b, 3) if b else None  # noqa: E731
    return {
        "questions": len(rows), "fact_questions": len(facts), "view_questions": len(views),
        "fact_in_answer": share(total("fact_in_answer", facts), len(facts)),
        "fact_in_cited_sentence": share(total("fact_in_cited", facts), len(facts)),
        "fact_in_both": share(sum(r["fact_in_answer"] and r["fact_in_cited"] for r in facts), len(facts)),
        "addressing_pairs": total("addressing_gold"),
        "addressing_shown_addressing": share(total("addressing_shown"), total("addressing_gold")),
        "addressing_flat_silent": share(total("wrongly_silenced"), total("addressing_gold")),
        "silent_pairs": total("silent_gold"),
        "silent_caught": share(total("silent_caught"), total("silent_gold")),
        "silent_flat": share(total("silent_flat"), total("silent_gold")),
        "coverage_exact": share(total("coverage_exact", views), len(views)),
        "coverage_right_or_hedged": share(total("coverage_right_or_hedged", views), len(views)),
        "wrongly_silenced": share(total("wrongly_silenced"), total("addressing_gold")),
        "silent_shown_addressing": share(total("silent_as_addressing"), total("silent_gold")),
        "addressing_shown_unsure": share(total("addressing_as_unsure"), total("addressing_gold")),
        "generated_shown": total("generated"), "dropped": total("dropped"),
        "unsupported_shown": total("unsupported_shown"), "cut_mid_sentence": total("cut"),
        "citation_validity": share(total("cites_valid"), total("cites")) or 1.0,
        "quote_validity": share(total("quotes_valid"), total("quotes")) or 1.0,
        "seconds_per_question": round(sum(seconds) / len(seconds), 2) if seconds else None,
        "cards_quoting_the_answer": share(total("answer_cards_quoted"), total("answer_cards")),
        "most_direct_quoting_an_answer": share(total("direct_answers_quoted"), total("direct_answers")),
    }


def ask_rows(pipe, questions: list[dict]) -> list[dict]:
    """Ask every question; one row of counts per question, with its split and seconds."""
    articles = {a.id: a for a in pipe.articles}
    key_gold = load_key_gold()
    rows = []
    for q in questions:
        t0 = time.perf_counter()
        res = ask(pipe, q["question"])
        row = score_question(q, res, articles, key_gold)
        rows.append({**row, "id": q.get("id", ""), "split": q.get("split", "dev"), "seconds": time.perf_counter() - t0})
    return rows


def evaluate(pipe, questions: list[dict]) -> dict:
    """Run every question; figures per split."""
    by_split: dict[str, list[dict]] = {}
    for row in ask_rows(pipe, questions):
        by_split.setdefault(row["split"], []).append(row)
    return {split: summarise(rows, [r["seconds"] for r in rows]) for split, rows in sorted(by_split.items())}


def topic_rows(pipe, topics: list[dict]) -> list[dict]:
    """Compare each gold topic without labels (no model call): which rows say "not addressed"."""
    rows = []
    for t in topics:
        res = compare(pipe, t["topic"], labels="off")
        status = {r.article_id: r.status for r in res.rows}
        rows.append({"topic": t["topic"], "split": t.get("split", "dev"),
                     "silent_gold": len(t.get("silent", [])), "addressing_gold": len(t.get("articles", [])),
                     "silent_caught": sum(status.get(a, SILENT) == SILENT for a in t.get("silent", [])),
                     "silent_hedged": sum(status.get(a, SILENT) != ADDRESSES for a in t.get("silent", [])),
                     "addressing_shown": sum(status.get(a, SILENT) == ADDRESSES for a in t.get("articles", [])),
                     "addressing_not_addressed": sum(status.get(a, SILENT) == SILENT for a in t.get("articles", []))})
    return rows


def summarise_topics(rows: list[dict]) -> dict:
    total = lambda key: sum(r[key] for r in rows)  # noqa: E731
    share = lambda a, b: round(a / b, 3) if b else None  # noqa: E731
    return {"topics": len(rows), "compare_silent_pairs": total("silent_gold"),
            "compare_silent_caught": share(total("silent_caught"), total("silent_gold")),
            "compare_silent_hedged": share(total("silent_hedged"), total("silent_gold")),
            "compare_addressing_shown": share(total("addressing_shown"), total("addressing_gold")),
            "compare_addressing_pairs": total("addressing_gold"),
            "compare_addressing_not_addressed": share(total("addressing_not_addressed"), total("addressing_gold"))}
