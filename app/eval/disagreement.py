"""Measure disagreement detection on its gold file: `python -m app.eval.disagreement`.

tests/eval/disagreement_gold.jsonl holds fact questions over the seeds and the dev corpora
(tests/eval/corpora, never the holdout corpus) whose answering articles give different values
(`differ`: true, with the articles of each value) or the same one (false). Split "dev": the
questions the rules were built on; "holdout": questions written after the rules were fixed
(same articles, new questions), run once. Each question is asked as a user would ask it;
printed, per corpus and per split:
- flagged: gold disagreements the answer flags ("The sources differ", JSON `disagreements`);
- separated: of those, the ones whose flagged groups never put two gold values together and
  never split one gold value (articles the answer does not place are not counted);
- false flags: agreeing questions the answer flags;
- "Also in" wrong: answers whose "Also in" names an article that gives another gold value.
Not here: whether the lead quotes the right sentence (`python -m app.eval`).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

from app.answer.ask import ask
from app.answer.results import AskResult
from app.pipeline import build_pipeline
from app.resources import EVAL_DIR
from app.settings import Settings

GOLD = EVAL_DIR / "disagreement_gold.jsonl"
REPO = Path(__file__).resolve().parents[2]


def load_gold(path: Path = GOLD) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def corpus_folder(name: str) -> Path | None:
    """A gold row's corpus: "seeds" (the shipped seeds) or a folder under tests/eval/corpora."""
    if name == "seeds":
        return None
    folder = EVAL_DIR / "corpora" / Path(name).name
    return folder if folder.exists() else REPO / name


def score(row: dict, res: AskResult) -> dict:
    """One question's counts (see the module docstring)."""
    gold_of = {a: i for i, v in enumerate(row["values"]) for a in v["articles"]}
    flagged = bool(res.disagreements)
    placed = {a: i for i, d in enumerate(res.disagreements) for a in d.articles if a in gold_of}
    together = all((gold_of[a] == gold_of[b]) == (placed[a] == placed[b]) for a in placed for b in placed)
    separated = flagged and together and len({gold_of[a] for a in placed}) >= 2
    return {"differ": row["differ"], "flagged": flagged, "separated": separated, "also_wrong": _also_wrong(res, gold_of)}


def _also_wrong(res: AskResult, gold_of: dict[str, int]) -> bool:
    """Whether "Also in" names an article whose gold value is not the quoted article's."""
    by_label = {p.label: p.article_id for p in res.perspectives}
    first = re.search(r"«([^«»]+)»", res.answer)
    also = re.search(r"Also in (.+?)\.(?: |$)", res.answer)
    if not first or not also or by_label.get(first.group(1)) not in gold_of:
        return False
    lead = gold_of[by_label[first.group(1)]]
    named = [by_label.get(label) for label in re.findall(r"«([^«»]+)»", also.group(1))]
    return any(a in gold_of and gold_of[a] != lead for a in named)


def summarise(rows: list[dict]) -> dict:
    differ = [r for r in rows if r["differ"]]
    agree = [r for r in rows if not r["differ"]]
    return {"disagreements": len(differ), "flagged": sum(r["flagged"] for r in differ),
            "separated": sum(r["separated"] for r in differ), "agreeing": len(agree),
            "false_flags": sum(r["flagged"] for r in agree), "also_in_wrong": sum(r["also_wrong"] for r in rows)}


def line(name: str, m: dict) -> str:
    return (f"{name:<32} disagreements flagged {m['flagged']}/{m['disagreements']} · values separated {m['separated']}/{m['disagreements']} · "
            f"false flags {m['false_flags']}/{m['agreeing']} · 'Also in' naming another value {m['also_in_wrong']}")


def run(gold: list[dict], model: str, data: Path, verbose: bool = False) -> dict:
    by_corpus: dict[str, list[dict]] = defaultdict(list)
    for row in gold:
        by_corpus[row["corpus"]].append(row)
    report: dict[str, dict] = {}
    scored_all: list[dict] = []
    for corpus, rows in sorted(by_corpus.items()):
        folder = corpus_folder(corpus)
        flags = {"seeds": folder} if folder else {}
        pipe = build_pipeline(Settings.load(data_dir=data / Path(corpus).name, model=model, **flags))
        scored = []
        for row in rows:
            res = ask(pipe, row["question"])
            scored.append(score(row, res))
            if verbose:
                print(f"  {row['id']} differ={row['differ']} flagged={scored[-1]['flagged']} {[(d.value, d.articles) for d in res.disagreements]}")
        report[Path(corpus).name] = summarise(scored)
        scored_all += scored
    for split in ("dev", "holdout"):
        part = [s for s, row in zip(scored_all, [r for _, rows in sorted(by_corpus.items()) for r in rows]) if row.get("split", "dev") == split]
        if part:
            report[f"all {split}"] = summarise(part)
    return report


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m app.eval.disagreement", description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", type=Path, default=GOLD)
    ap.add_argument("--model", default="stub", help="model to load (the flagging is decided in code: stub gives the same figures)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    ap.add_argument("--verbose", action="store_true", help="each question's flagged values")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="perspectives-disagree-"))
    try:
        report = run(load_gold(args.gold), args.model, tmp, args.verbose)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for name, m in report.items():
        print(line(name, m))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
