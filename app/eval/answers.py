"""Evaluate retrieval and answers on the dev set in tests/eval/questions.jsonl.

Prints, per model: retrieval recall@k per article (does the article's top-k contain the
needed string, for questions that article answers), "addressed" accuracy, citation
validity (share of [n] in answers and viewpoints that point at listed passages), quote
validity (verbatim at offsets) and how often the needed string appears in the answer.

    python -m app.eval                 # stub and the default model
    python -m app.eval --model stub    # one model
    python -m app.eval --json out.json
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import click

from app.answer.citations import cited_numbers
from app.answer.ask import ask
from app.pipeline import build_pipeline
from app.resources import EVAL_DIR
from app.settings import Settings

EVAL_FILE = EVAL_DIR / "questions.jsonl"


def load_questions(path: Path = EVAL_FILE) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def retrieval_metrics(pipe, questions: list[dict], k: int) -> dict:
    per_article: dict[str, list[int]] = {}
    addressed_ok = addressed_n = 0
    for q in questions:
        results = {r.article.id: r for r in pipe.retriever.retrieve(q["question"], k=k, quotes=0)}
        for aid in q["articles"]:
            r = results.get(aid)
            if r is None:
                continue
            if q["needs"].lower() in r.article.text.lower():
                hit = any(q["needs"].lower() in h.passage.text.lower() for h in r.hits)
                per_article.setdefault(aid, []).append(int(hit))
            addressed_ok += int(r.addressed)
            addressed_n += 1
    recall = {aid: sum(v) / len(v) for aid, v in sorted(per_article.items())}
    allhits = [x for v in per_article.values() for x in v]
    return {
        "k": k,
        "recall_per_article": recall,
        "recall_overall": sum(allhits) / len(allhits) if allhits else 0.0,
        "addressed_when_relevant": addressed_ok / addressed_n if addressed_n else 0.0,
    }


def answer_metrics(pipe, questions: list[dict]) -> dict:
    cites = valid = quotes = quotes_ok = needed = 0
    seconds = []
    for q in questions:
        t0 = time.perf_counter()
        res = ask(pipe, q["question"])
        seconds.append(time.perf_counter() - t0)
        listed = {p["citation"] for p in res.passages}
        texts = [res.answer] + [p["viewpoint"] for p in res.perspectives]
        for t in texts:
            ns = cited_numbers(t)
            cites += len(ns)
            valid += sum(n in listed for n in ns)
        by_id = {a.id: a for a in pipe.articles}
        for p in res.perspectives:
            for qu in p["quotes"]:
                quotes += 1
                quotes_ok += by_id[p["article_id"]].text[qu["start"]:qu["end"]] == qu["text"]
        needed += q["needs"].lower() in " ".join(texts).lower()
    n = len(questions)
    return {
        "citation_validity": valid / cites if cites else 1.0,
        "citations": cites,
        "quote_validity": quotes_ok / quotes if quotes else 1.0,
        "needed_string_in_answer": needed / n,
        "seconds_per_question": sum(seconds) / n,
    }


@click.command()
@click.option("--model", "models", multiple=True, help="Model(s) to evaluate [default: stub and default].")
@click.option("-k", default=3, show_default=True, help="Passages per article.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Also write the figures as JSON.")
@click.option("--limit", type=int, default=0, help="Only the first N questions (quick look).")
def main(models, k, json_out, limit):
    """Print retrieval recall, citation validity and answer hits on the dev set."""
    questions = load_questions()[: limit or None]
    tmp = Path(tempfile.mkdtemp(prefix="perspectives-eval-"))
    try:
        pipe = build_pipeline(Settings(data_dir=tmp, model="stub", k=k))
        report = {"questions": len(questions), "retrieval": retrieval_metrics(pipe, questions, k), "answers": {}}
        r = report["retrieval"]
        click.echo(f"Dev set: {len(questions)} questions, k={k}")
        click.echo(f"Retrieval recall@{k}: {r['recall_overall']:.2f} overall; addressed when relevant: {r['addressed_when_relevant']:.2f}")
        for aid, v in r["recall_per_article"].items():
            click.echo(f"  {pipe.article(aid).label:<46} {v:.2f}")
        for spec in models or ("stub", "default"):
            p2 = build_pipeline(Settings(data_dir=tmp, model=spec, k=k))
            m = answer_metrics(p2, questions)
            report["answers"][spec] = m
            click.echo(
                f"Model {spec}: citation validity {m['citation_validity']:.2f} ({m['citations']} cites), quote validity {m['quote_validity']:.2f}, "
                f"needed string in answer {m['needed_string_in_answer']:.2f}, {m['seconds_per_question']:.1f} s/question"
            )
        if json_out:
            Path(json_out).write_text(json.dumps(report, indent=2), encoding="utf-8")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
