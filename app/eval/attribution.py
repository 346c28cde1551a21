"""Measure who-says-it against the gold file: `python -m app.eval.attribution`.

Prints, for the dev and the holdout split apart and per article set: the share of gold
sentences whose kind (own / quoted / unattributed) `attribute` gets right, the share of
quoted sentences whose speaker it names right, both together, the always-"own" baseline,
and the confusions. Sentences are the gold's own spans (tests/eval/attribution_gold.jsonl),
so splitting is not measured here; `--splits` adds how many gold sentences the splitter
returns exactly. Rules are tuned on dev only; holdout is reported, never tuned on.
Not here: whether the right sentences are quoted at all (`python -m app.eval`).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

from app.corpus import lexicon
from app.corpus.articles import load_article
from app.corpus.attribution import QUOTED, attribute
from app.corpus.chunks import sentence_spans
from app.resources import EVAL_DIR, SEEDS_DIR

GOLD = EVAL_DIR / "attribution_gold.jsonl"


def article_path(name: str) -> Path:
    """A gold row's article, named as in the repository ("seeds/…", "tests/eval/…"), found
    where the package keeps it (the same files in a checkout and in an installed wheel)."""
    if name.startswith("seeds/"):
        return SEEDS_DIR / name.removeprefix("seeds/")
    return EVAL_DIR / name.removeprefix("tests/eval/")


def _tokens(name: str) -> list[str]:
    words = re.findall(r"[\w-]+", name.lower().replace("’s", "").replace("'s", ""))
    return [w for w in words if w not in lexicon.NAME_FILLER]


def same_speaker(predicted: str | None, gold: list[str]) -> bool:
    """Whether `predicted` names one of the gold names: one holds all the other's words
    ("Doe" in "Jane Doe", "the Ministry of Health" around "Ministry of Health"), or both end
    in the same surname ("party president Doe" and "Jane Doe")."""
    if not predicted:
        return False
    p = _tokens(predicted)
    for name in gold:
        g = _tokens(name)
        if p and g and (set(p) <= set(g) or set(g) <= set(p) or p[-1] == g[-1]):
            return True
    return False


def load_gold(path: Path = GOLD) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(rows: list[dict]) -> dict:
    texts: dict[str, str] = {}
    n = kind_ok = both_ok = quoted = speaker_ok = own = 0
    confusion: Counter = Counter()
    misses: list[str] = []
    for row in rows:
        if row["article"] not in texts:
            texts[row["article"]] = load_article(article_path(row["article"])).text
        text = texts[row["article"]]
        if text[row["start"]:row["end"]] != row["sentence"]:
            raise ValueError(f"{row['article']}: gold offsets {row['start']}-{row['end']} no longer hold the sentence")
        got = attribute(row["start"], row["end"], text)
        n += 1
        own += row["kind"] == "own"
        confusion[(row["kind"], got.kind)] += 1
        right_kind = got.kind == row["kind"]
        kind_ok += right_kind
        right = right_kind
        if row["kind"] == QUOTED:
            quoted += 1
            names = [row["speaker"], *row.get("aliases", [])]
            hit = right_kind and same_speaker(got.speaker, names)
            speaker_ok += hit
            right = hit
        both_ok += right
        if not right:
            misses.append(f"  {row['article'].split('/')[-1][:28]} {row['start']}: gold {row['kind']} {row.get('speaker') or ''!s} | "
                          f"got {got.kind} {got.speaker or ''} | {row['sentence'][:90]}")
    return {"n": n, "kind": kind_ok / n if n else 0.0, "speaker": speaker_ok / quoted if quoted else 0.0,
            "both": both_ok / n if n else 0.0, "always_own": own / n if n else 0.0, "quoted": quoted,
            "confusion": dict(confusion), "misses": misses}


def split_agreement(rows: list[dict]) -> float:
    """The share of gold sentences that the splitter returns as exactly one span."""
    spans: dict[str, set] = {}
    for row in rows:
        if row["article"] not in spans:
            text = load_article(article_path(row["article"])).text
            spans[row["article"]] = {(s.start, s.end) for s in sentence_spans(text)}
    return sum((r["start"], r["end"]) in spans[r["article"]] for r in rows) / max(1, len(rows))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m app.eval.attribution", description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", type=Path, default=GOLD)
    ap.add_argument("--misses", action="store_true", help="list every sentence got wrong (dev only unless --holdout-misses)")
    ap.add_argument("--holdout-misses", action="store_true", help="also list holdout misses (read them only after the rules are frozen)")
    ap.add_argument("--splits", action="store_true", help="also report how many gold sentences the splitter returns exactly")
    args = ap.parse_args(argv)
    rows = load_gold(args.gold)
    by_split: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_split[r["split"]].append(r)
    print(f"{'split':<8} {'set':<15} {'n':>4} {'kind':>6} {'speaker':>8} {'both':>6} {'always own':>11}")
    for split in ("dev", "holdout"):
        part = by_split.get(split, [])
        sets = sorted({r["set"] for r in part})
        for name in sets + ["all"]:
            sub = part if name == "all" else [r for r in part if r["set"] == name]
            res = evaluate(sub)
            print(f"{split:<8} {name:<15} {res['n']:>4} {res['kind']:>6.1%} {res['speaker']:>8.1%} {res['both']:>6.1%} {res['always_own']:>11.1%}")
        res = evaluate(part)
        print(f"{'':<8} confusions (gold → got): " + ", ".join(f"{g}→{p} {c}" for (g, p), c in sorted(res["confusion"].items()) if g != p))
        if args.misses and (split == "dev" or args.holdout_misses):
            print("\n".join(res["misses"]))
    if args.splits:
        for split in ("dev", "holdout"):
            print(f"{split}: {split_agreement(by_split.get(split, [])):.1%} of gold sentences are exactly one span of the splitter")


if __name__ == "__main__":
    main()
