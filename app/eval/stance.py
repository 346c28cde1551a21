"""Measure compare-mode stance labels against the gold file: `python -m app.eval.stance`.

Prints, per model and stance method: exact agreement with tests/eval/gold_stances.jsonl,
"adjacent" agreement (mixed vs supports/opposes also counts), the same on the articles both
gold and retrieval call addressed (label quality alone, next to always-"supports" on that
subset), the overall always-"supports" baseline (where retrieval found the topic), evidence validity (every quote verbatim at its offsets and from the row's own article),
and seconds per compare. Gold claims are used, so the claim writer is not measured here.
Labels are forced (`labels="force"`): the point is what the model would say, also when its
calibration keeps the labels from users.
Not here: retrieval recall for ask mode (that is `perspectives eval`).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

from app.answer.citations import verify_quote
from app.answer.compare import compare
from app.pipeline import build_pipeline
from app.resources import EVAL_DIR
from app.settings import Settings
from app.answer.stance import METHODS, NOT_ADDRESSED

GOLD = EVAL_DIR / "gold_stances.jsonl"


def load_gold(path: Path = GOLD) -> dict[tuple[str, str], dict[str, str]]:
    """{(topic, claim): {article_id: stance}}"""
    gold: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            g = json.loads(line)
            gold[(g["topic"], g["claim"])][g["article_id"]] = g["stance"]
    return dict(gold)


def adjacent(a: str, b: str) -> bool:
    return a == b or ("mixed" in (a, b) and {a, b} <= {"mixed", "supports", "opposes"})


def evaluate(pipe, gold, method: str, *, labels: str = "force") -> dict:
    n = exact = adj = base = 0
    both = both_exact = both_base = 0
    quotes = valid = 0
    seconds = []
    predicted: dict[str, int] = defaultdict(int)
    for (topic, claim), wanted in sorted(gold.items()):
        t0 = time.perf_counter()
        res = compare(pipe, topic, claim, method=method, labels=labels)
        seconds.append(time.perf_counter() - t0)
        for row in res.rows:
            if row.article_id not in wanted:
                continue
            g = wanted[row.article_id]
            n += 1
            predicted[row.stance] += 1
            exact += row.stance == g
            adj += adjacent(row.stance, g)
            base += ("supports" if row.stance != NOT_ADDRESSED else NOT_ADDRESSED) == g
            if g != NOT_ADDRESSED and row.stance != NOT_ADDRESSED:
                both += 1
                both_exact += row.stance == g
                both_base += g == "supports"
            art = pipe.article(row.article_id)
            for q in row.quotes:
                quotes += 1
                own = pipe.retriever.passages.get(q.passage_id)
                valid += bool(own and own.article_id == row.article_id and verify_quote(art.text, q.text, q.start, q.end))
    return {"method": method, "n": n, "exact": exact / n, "adjacent": adj / n, "addressed_n": both,
            "addressed_exact": both_exact / max(both, 1), "addressed_baseline": both_base / max(both, 1), "baseline_supports": base / n,
            "quotes": quotes, "evidence_valid": valid / max(quotes, 1), "s_per_compare": sum(seconds) / len(seconds),
            "predicted": {k: predicted[k] for k in ("supports", "opposes", "mixed", NOT_ADDRESSED)}}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="stub,default", help="comma-separated: stub, default, or GGUF paths")
    ap.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated, from: {', '.join(METHODS)}")
    ap.add_argument("--labels", choices=("force", "auto"), default="force",
                    help="force: the model's labels even if it fails calibration [default]; auto: as users see them")
    ap.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    args = ap.parse_args(argv)
    gold = load_gold()
    print(f"gold: {sum(len(v) for v in gold.values())} labels, {len(gold)} topics ({GOLD.name})")
    header = f"{'model':<28} {'method':<11} {'exact':>6} {'adjac':>6} {'lbl-only':>9} {'(base)':>6} {'base':>6} {'quotes ok':>10} {'s/compare':>9}  predicted s/o/m/na"
    if not args.json:
        print(header)
    for spec in args.models.split(","):
        pipe = build_pipeline(Settings.load(model=spec))
        for method in args.methods.split(","):
            r = evaluate(pipe, gold, method, labels=args.labels)
            r["model"] = getattr(pipe.model, "name", spec)
            if args.json:
                print(json.dumps(r))
            else:
                print(f"{r['model'][:28]:<28} {method:<11} {r['exact']:6.0%} {r['adjacent']:6.0%} "
                      f"{r['addressed_exact']:6.0%}/{r['addressed_n']:<2} {r['addressed_baseline']:6.0%} {r['baseline_supports']:6.0%} "
                      f"{r['evidence_valid']:7.0%}/{r['quotes']:<2} {r['s_per_compare']:9.2f}  {'/'.join(map(str, r['predicted'].values()))}", flush=True)


if __name__ == "__main__":
    main()
