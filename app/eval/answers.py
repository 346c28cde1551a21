"""Measure answers on the dev set (tests/eval/questions.jsonl): facts, silence, checked text.

Per model and per split (dev, holdout), over every question:
- fact in answer: a fact question's needed string is in the answer text;
- fact in a cited sentence: it is in one of the verbatim quotes shown;
- silent caught: articles the gold marks silent that are shown as silent;
- wrongly silenced: articles that address the question (gold) shown as silent;
- the unsure middle ("mentions": the card says the article may not address the question):
  silent articles shown as addressing it outright, and addressing articles shown as unsure;
- generated sentences shown and dropped by the support check, and shown sentences that fail
  the check when re-run here (must be 0), answers cut mid-sentence (must be 0);
- citation validity ([n] points at a listed source), quote validity (verbatim at offsets),
  seconds per question;
- for view questions, with tests/eval/key_gold.jsonl (each addressing article's sentences that
  state its answer, annotated by a separate session): the share of those articles whose card
  quotes one of them, and of answers whose "Most direct" line does.
Holdout questions are reported apart and must not be used for tuning.

    python -m app.eval                 # stub and the default model
    python -m app.eval --model stub    # one model
    python -m app.eval --json out.json
    python -m app.eval --corpus tests/eval/corpora/airbus-a380   # another subject's articles and gold
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from pathlib import Path

import click

from app.answer import support
from app.answer.ask import ask
from app.answer.citations import cited_numbers
from app.answer.results import ADDRESSES, MENTIONS, SILENT, AskResult
from app.pipeline import build_pipeline
from app.resources import EVAL_DIR
from app.settings import Settings

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


# The seed files keep their damage ("DeepSeekās"); the text read has the quote marks repaired,
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
    return {
        "fact": q.get("kind") == "fact",
        "fact_in_answer": bool(needs) and needs in res.answer.lower(),
        "fact_in_cited": bool(needs) and needs in quotes,
        "silent_gold": len(q.get("silent", [])),
        "silent_caught": sum(status.get(a) == SILENT for a in q.get("silent", [])),
        "addressing_gold": len(q.get("articles", [])),
        "wrongly_silenced": sum(status.get(a) == SILENT for a in q.get("articles", [])),
        "silent_as_addressing": sum(status.get(a) == ADDRESSES for a in q.get("silent", [])),
        "addressing_as_unsure": sum(status.get(a) == MENTIONS for a in q.get("articles", [])),
        "generated": res.generated, "dropped": res.dropped, "unsupported_shown": unsupported,
        "cut": not _ENDS_WHOLE.search(res.answer.strip()),
        "cites": len(cites), "cites_valid": sum(n in listed for n in cites),
        "quotes": len(quote_ok), "quotes_valid": sum(quote_ok),
        **key_scores(res, (key_gold or {}).get(q["id"], {}), articles),
    }


def summarise(rows: list[dict], seconds: list[float]) -> dict:
    facts = [r for r in rows if r["fact"]]
    total = lambda key, rr=rows: sum(r[key] for r in rr)  # noqa: E731
    share = lambda a, b: round(a / b, 3) if b else None  # noqa: E731
    return {
        "questions": len(rows), "fact_questions": len(facts),
        "fact_in_answer": share(total("fact_in_answer", facts), len(facts)),
        "fact_in_cited_sentence": share(total("fact_in_cited", facts), len(facts)),
        "fact_in_both": share(sum(r["fact_in_answer"] and r["fact_in_cited"] for r in facts), len(facts)),
        "silent_caught": share(total("silent_caught"), total("silent_gold")),
        "silent_pairs": total("silent_gold"),
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


def evaluate(pipe, questions: list[dict]) -> dict:
    """Run every question; figures per split."""
    articles = {a.id: a for a in pipe.articles}
    key_gold = load_key_gold()
    by_split: dict[str, tuple[list, list]] = {}
    for q in questions:
        t0 = time.perf_counter()
        res = ask(pipe, q["question"])
        rows, secs = by_split.setdefault(q.get("split", "dev"), ([], []))
        secs.append(time.perf_counter() - t0)
        rows.append(score_question(q, res, articles, key_gold))
    return {split: summarise(rows, secs) for split, (rows, secs) in sorted(by_split.items())}


def line(name: str, m: dict) -> str:
    return (f"{name:<8} fact in answer {m['fact_in_answer']} · in a cited sentence {m['fact_in_cited_sentence']} · both {m['fact_in_both']} "
            f"({m['fact_questions']} fact q) · silent caught {m['silent_caught']} of {m['silent_pairs']} · wrongly silenced {m['wrongly_silenced']} · "
            f"unsure: silent shown addressing {m['silent_shown_addressing']}, addressing shown unsure {m['addressing_shown_unsure']} · "
            f"generated {m['generated_shown']} shown / {m['dropped']} dropped · unsupported shown {m['unsupported_shown']} · "
            f"cut {m['cut_mid_sentence']} · cites {m['citation_validity']} · quotes {m['quote_validity']} · "
            f"view cards quoting the article's answer {m['cards_quoting_the_answer']} · most direct line quoting one {m['most_direct_quoting_an_answer']} · "
            f"{m['seconds_per_question']} s/q")


@click.command()
@click.option("--model", "models", multiple=True, help="Model(s) to evaluate [default: stub and default].")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Also write the figures as JSON.")
@click.option("--limit", type=int, default=0, help="Only the first N questions (quick look).")
@click.option("--split", type=click.Choice(["all", "dev", "holdout"]), default="all", show_default=True)
@click.option("--corpus", "corpora", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="An eval corpus folder (tests/eval/corpora/NAME): its articles and the questions of its gold.jsonl "
                   "instead of the seeds and the dev set. Repeatable. See tests/eval/corpora/README.md (holdout!).")
def main(models, json_out, limit, split, corpora):
    """Print fact, silence and checked-text figures on the dev set, per model and split."""
    runs = [(c.name, c, load_questions(c / "gold.jsonl")) for c in corpora] or [(None, None, load_questions())]
    runs = [(name, seeds, [q for q in qs if "question" in q and (split == "all" or q.get("split", "dev") == split)][: limit or None])
            for name, seeds, qs in runs]
    tmp = Path(tempfile.mkdtemp(prefix="perspectives-eval-"))
    report = {"questions": sum(len(qs) for _, _, qs in runs), "models": {}}
    try:
        for spec in models or ("stub", "default"):
            for name, seeds, questions in runs:
                flags = {"seeds": seeds} if seeds else {}
                pipe = build_pipeline(Settings.load(data_dir=tmp / (name or "seeds"), model=spec, **flags))
                figures = evaluate(pipe, questions)
                if name:
                    report["models"].setdefault(spec, {})[name] = figures
                else:
                    report["models"][spec] = figures
                click.echo(f"Model {pipe.model_name}" + (f" · corpus {name}" if name else ""))
                for split_name, m in figures.items():
                    click.echo("  " + line(split_name, m))
        if json_out:
            Path(json_out).write_text(json.dumps(report, indent=2), encoding="utf-8")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
