"""`python -m app.eval`: the dev eval over one or more corpora, with changed rules, and a sweep.

Scope: which corpora and questions run (the seeds and their dev set, or the eval corpora of
tests/eval/corpora), building one pipeline per corpus and model, applying `--rule NAME=VALUE`
changes (app/rules.py), printing and saving the figures per corpus and pooled, and for a
`--sweep` the leave-one-corpus-out (LOCO) figure: for each corpus, its figure under the rules
that did best on the *other* corpora. The scoring itself is app/eval/answers.py.
Not here: tuning by hand. The holdout corpus (declared in tests/eval/corpora/README.md) is
never part of `--tuning` and never of a LOCO choice; run it once, on its own, at the end.

    python -m app.eval --model stub                      # the seeds' dev and holdout questions
    python -m app.eval --model stub --tuning             # the seeds and the three dev corpora
    python -m app.eval --model stub --tuning --rule silence_floor=0.3
    python -m app.eval --model stub --tuning --sweep silence_floor=0.1,0.2,0.3   # LOCO over the values
    python -m app.eval --corpus tests/eval/corpora/airbus-a380 --data-dir /tmp/evaldata
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from app.errors import InputError
from app.eval.answers import EVAL_FILE, ask_rows, load_questions, summarise, summarise_topics, topic_rows
from app.pipeline import build_pipeline
from app.resources import EVAL_DIR
from app.retrieve.evidence import EvidenceFinder
from app.rules import RULES, Rules
from app.settings import Settings

CORPORA_DIR = EVAL_DIR / "corpora"
TOPIC_FILE = EVAL_DIR / "topic_gold.jsonl"
SEEDS = "seeds"


@dataclass(frozen=True)
class Corpus:
    name: str
    folder: Path | None  # None: the seeds
    questions: list[dict]
    topics: list[dict]


def holdout_corpora(readme: Path = CORPORA_DIR / "README.md") -> set[str]:
    """The corpora the README declares holdout (`{"holdout": true, "corpus": NAME}` lines)."""
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    return {json.loads(m.group(0))["corpus"] for m in re.finditer(r'\{"holdout": true, "corpus": "[^"]+"\}', text)}


def load_eval_corpus(spec: str) -> Corpus:
    """"seeds" (the seed articles with questions.jsonl and topic_gold.jsonl) or a corpus folder."""
    if spec == SEEDS:
        topics = load_questions(TOPIC_FILE) if TOPIC_FILE.exists() else []
        return Corpus(SEEDS, None, load_questions(EVAL_FILE), topics)
    folder = Path(spec)
    if not (folder / "gold.jsonl").is_file():
        raise InputError(f"{folder}: not an eval corpus (no gold.jsonl). See tests/eval/corpora/README.md.")
    rows = load_questions(folder / "gold.jsonl")
    return Corpus(folder.name, folder, [r for r in rows if "question" in r], [r for r in rows if "topic" in r])


def tuning_corpora() -> list[str]:
    """The seeds and every eval corpus not declared holdout."""
    held = holdout_corpora()
    return [SEEDS] + [str(p) for p in sorted(CORPORA_DIR.iterdir()) if (p / "gold.jsonl").is_file() and p.name not in held]


def with_rules(pipe, rules: Rules):
    """The same pipeline (corpus, index, model) deciding with other rules."""
    view = copy.copy(pipe)
    view.rules = rules
    view.evidence = EvidenceFinder(pipe.retriever, pipe.sentences, rules, words=pipe.evidence.words, related=pipe.evidence.related,
                                   candidates=pipe.settings.candidates)
    return view


def figures(ask: list[dict], topics: list[dict]) -> dict:
    return {**summarise(ask, [r["seconds"] for r in ask]), **summarise_topics(topics)}


def run_corpus(pipe, corpus: Corpus, split: str, limit: int) -> dict[str, tuple[list, list]]:
    """(ask rows, topic rows) per reported part: the corpus's dev rows under its name, other
    splits as "NAME (split)"."""
    questions = [q for q in corpus.questions if split == "all" or q.get("split", "dev") == split][: limit or None]
    topics = [t for t in corpus.topics if split == "all" or t.get("split", "dev") == split][: limit or None]
    parts: dict[str, tuple[list, list]] = {}
    for row in ask_rows(pipe, questions):
        parts.setdefault(_part(corpus.name, row["split"]), ([], []))[0].append(row)
    for row in topic_rows(pipe, topics):
        parts.setdefault(_part(corpus.name, row["split"]), ([], []))[1].append(row)
    return parts


def _part(name: str, split: str) -> str:
    return name if split == "dev" else f"{name} ({split})"


def loco(results: dict[str, dict[str, tuple[list, list]]], objective) -> dict[str, dict]:
    """For each dev corpus, its figures under the rule variant that scores best on the others pooled."""
    variants = list(results)
    names = [n for n in results[variants[0]] if "(" not in n]
    out = {}
    for held in names:
        def pooled(v):
            ask = [r for n in names if n != held for r in results[v][n][0]]
            topics = [r for n in names if n != held for r in results[v][n][1]]
            return figures(ask, topics)
        best = max(variants, key=lambda v: objective(pooled(v)))
        out[held] = {"chosen": best, **figures(*results[best][held])}
    return out


def objective(m: dict) -> float:
    """What a sweep maximises: addressing shown as addressing, silent caught, facts in cited
    sentences and compare's silent rows caught, with every flatly silenced addressing article
    (issue 24: at most 2%) or addressing compare row called not addressed costing heavily; a
    plain "Does not address this" on a silent article counts a little over a hedge."""
    get = lambda k: m.get(k) or 0.0  # noqa: E731
    return (get("addressing_shown_addressing") + get("silent_caught") + get("fact_in_cited_sentence") + 0.5 * get("compare_silent_caught")
            + 0.25 * get("silent_flat")
            - 10 * max(0.0, get("addressing_flat_silent") - 0.02) - 10 * get("compare_addressing_not_addressed"))


COLUMNS = [("fact_in_cited_sentence", "fact cited"), ("addressing_shown_addressing", "addr->addr"), ("addressing_flat_silent", "addr flat-silent"),
           ("silent_caught", "silent caught"), ("silent_flat", "silent flat"), ("coverage_exact", "cover exact"),
           ("coverage_right_or_hedged", "cover ok/hedged"), ("compare_silent_caught", "cmp caught"),
           ("compare_addressing_not_addressed", "cmp addr->not"), ("fact_in_answer", "fact answer"), ("questions", "q"), ("silent_pairs", "silent"),
           ("addressing_pairs", "addr")]


def table(rows: dict[str, dict]) -> str:
    head = "| corpus | " + " | ".join(label for _, label in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    for name, m in rows.items():
        lines.append(f"| {name} | " + " | ".join("" if m.get(k) is None else str(m.get(k)) for k, _ in COLUMNS) + " |")
    return "\n".join(lines)


def checks(m: dict) -> str:
    return (f"generated {m['generated_shown']} shown / {m['dropped']} dropped · unsupported shown {m['unsupported_shown']} · "
            f"cut {m['cut_mid_sentence']} · cites {m['citation_validity']} · quotes {m['quote_validity']} · "
            f"view cards quoting the article's answer {m['cards_quoting_the_answer']} · most direct line quoting one "
            f"{m['most_direct_quoting_an_answer']} · {m['seconds_per_question']} s/q")


def _grid(sweeps: tuple[str, ...]) -> list[list[str]]:
    """--sweep a=1,2 --sweep b=3,4 -> every combination as NAME=VALUE lists."""
    axes = []
    for spec in sweeps:
        name, sep, values = spec.partition("=")
        if not sep or not values:
            raise click.BadParameter(f"{spec!r}: write NAME=V1,V2,…", param_hint="--sweep")
        axes.append([f"{name}={v}" for v in values.split(",") if v])
    return [list(combo) for combo in itertools.product(*axes)] or [[]]


@click.command()
@click.option("--model", "models", multiple=True, help="Model(s) to evaluate [default: stub and default].")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Also write the figures (and every question's row) as JSON.")
@click.option("--limit", type=int, default=0, help="Only the first N questions and topics of each corpus (quick look).")
@click.option("--split", type=click.Choice(["all", "dev", "holdout"]), default="all", show_default=True)
@click.option("--corpus", "corpora", multiple=True, metavar="seeds|DIR",
              help="'seeds' (the seed articles and the dev set) or an eval corpus folder (tests/eval/corpora/NAME). Repeatable. "
                   "See tests/eval/corpora/README.md (holdout!). Default: seeds.")
@click.option("--tuning", is_flag=True, help="The seeds and every eval corpus not declared holdout.")
@click.option("--rule", "rule_text", multiple=True, metavar="NAME=VALUE", help="Run with a changed rule (app/rules.py). Repeatable.")
@click.option("--sweep", "sweeps", multiple=True, metavar="NAME=V1,V2",
              help="Run every value (every combination, when repeated) and report leave-one-corpus-out figures.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep each corpus's index here (one folder per corpus) and reuse it; default: a temporary folder.")
def main(models, json_out, limit, split, corpora, tuning, rule_text, sweeps, data_dir):
    """Print facts, silence, coverage and compare figures per corpus, per model (and per rule variant)."""
    specs = list(dict.fromkeys([*(tuning_corpora() if tuning else []), *corpora])) or [SEEDS]
    loaded = [load_eval_corpus(s) for s in specs]
    try:
        base = RULES.with_text(list(rule_text))
        variants = {" ".join(v) or "declared": base.with_text(v) for v in _grid(sweeps)}
    except InputError as exc:
        raise click.UsageError(str(exc)) from exc
    root = data_dir or Path(tempfile.mkdtemp(prefix="perspectives-eval-"))
    report: dict = {"corpora": specs, "rules": list(rule_text), "models": {}}
    try:
        for spec in models or ("stub", "default"):
            results: dict[str, dict[str, tuple[list, list]]] = {v: {} for v in variants}
            for corpus in loaded:
                flags = {"seeds": corpus.folder} if corpus.folder else {}
                pipe = build_pipeline(Settings.load(data_dir=root / corpus.name, model=spec, **flags))
                for name, rules in variants.items():
                    results[name].update(run_corpus(with_rules(pipe, rules), corpus, split, limit))
            report["models"][spec] = _print_model(spec, results)
        if json_out:
            Path(json_out).write_text(json.dumps(report, indent=2), encoding="utf-8")
    finally:
        if data_dir is None:
            shutil.rmtree(root, ignore_errors=True)


def _print_model(spec: str, results: dict[str, dict[str, tuple[list, list]]]) -> dict:
    out: dict = {"variants": {}}
    for variant, parts in results.items():
        per = {name: figures(*rows) for name, rows in parts.items()}
        dev = [n for n in parts if "(" not in n]
        if len(dev) > 1:
            per["pooled (dev)"] = figures([r for n in dev for r in parts[n][0]], [r for n in dev for r in parts[n][1]])
        click.echo(f"\nModel {spec} · rules: {variant}")
        click.echo(table(per))
        for name, m in per.items():
            click.echo(f"  {name}: {checks(m)}")
        out["variants"][variant] = {"figures": per, "rows": {n: {"ask": a, "topics": t} for n, (a, t) in parts.items()}}
    if len(results) > 1 and len([n for n in next(iter(results.values())) if "(" not in n]) > 1:
        held = loco(results, objective)
        click.echo(f"\nModel {spec} · leave-one-corpus-out: each corpus under the variant best on the others")
        click.echo(table({f"{n} [{m['chosen']}]": m for n, m in held.items()}))
        out["loco"] = held
    return out
