"""Can the bundled 135M model tell silent articles from addressing ones? (issue 14, item 8)

    python bench/model_judge.py [--data-dir DIR]     # dev split only, ~2 min on 2 cores

For every dev question and article, the article's key sentences (app/retrieve/evidence.py)
are scored two ways with the default model, and each score's ROC AUC against the gold
(addressing = 1, silent = 0) is printed next to the code's own evidence strength:
- yes/no: log P("Yes") - log P("No") after "Does the sentence answer the question?"
  (`score_labels`, the model's own chat template);
- query likelihood: the mean log-probability of the question's tokens after the sentences,
  minus the same without them (pointwise mutual information; a plain llama.cpp context with
  all logits kept).
Measured 2026-11-24 (models.md, "Honest silence"): yes/no 0.47, query likelihood 0.72,
evidence strength 0.84; adding query likelihood to strength moved AUC by 0.01, so the model
is not used for silence. Holdout questions are not read.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.eval.answers import load_questions  # noqa: E402
from app.pipeline import build_pipeline  # noqa: E402
from app.settings import Settings  # noqa: E402

JUDGE = "You judge whether a sentence from a news article answers a question. Reply Yes or No."


def auc(labels: list[int], scores: list[float]) -> float:
    """Share of (addressing, silent) pairs the score orders right; ties count half."""
    pos = [s for y, s in zip(labels, scores) if y]
    neg = [s for y, s in zip(labels, scores) if not y]
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


class QueryLikelihood:
    def __init__(self, gguf: Path):
        import llama_cpp

        from app.llm.llama import _model_params_override

        with _model_params_override(use_extra_bufts=False):
            self.llm = llama_cpp.Llama(model_path=str(gguf), n_ctx=1024, logits_all=True, verbose=False, n_threads=1)

    def mean_logprob(self, prefix: str, target: str) -> float:
        p = self.llm.tokenize(prefix.encode(), add_bos=True)
        t = self.llm.tokenize(target.encode(), add_bos=False)
        self.llm.reset()
        self.llm.eval(p + t)
        logits = np.array(self.llm.scores[: len(p) + len(t)])
        rows = logits[len(p) - 1: len(p) + len(t) - 1]
        lse = rows.max(axis=1) + np.log(np.exp(rows - rows.max(axis=1, keepdims=True)).sum(axis=1))
        return float((rows[np.arange(len(t)), t] - lse).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=None, help="data dir (default: a temporary one)")
    args = ap.parse_args()
    pipe = build_pipeline(Settings.load(data_dir=args.data_dir or tempfile.mkdtemp(prefix="judge-"), model="default"))
    model = pipe.model
    likelihood = QueryLikelihood(model.path)
    labels, yes_no, pmi, strength = [], [], [], []
    for q in (q for q in load_questions() if q["split"] == "dev"):
        base = likelihood.mean_logprob("Question:", " " + q["question"])
        for ev in pipe.find_evidence(q["question"], k=3, n_key=2, query=q["question"]):
            if not ev.key:
                continue
            text = " ".join(s.text for s in ev.key[:2])
            chat = [{"role": "system", "content": JUDGE},
                    {"role": "user", "content": f"Question: {q['question']}\nSentence: {text}\nDoes the sentence answer the question?"}]
            score = model.score_labels(chat, ["Yes", "No"])
            labels.append(0 if ev.article.id in q["silent"] else 1)
            yes_no.append(score["Yes"] - score["No"])
            pmi.append(likelihood.mean_logprob(f"Text: {text}\nQuestion:", " " + q["question"]) - base)
            strength.append(ev.strength)
    z = lambda xs: (np.array(xs) - np.mean(xs)) / np.std(xs)  # noqa: E731
    print(f"pairs {len(labels)} (silent {labels.count(0)})")
    print(f"ROC AUC  yes/no {auc(labels, yes_no):.3f}  query likelihood {auc(labels, pmi):.3f}  evidence strength {auc(labels, strength):.3f}")
    print(f"         strength + 0.25 x query likelihood (z-scores) {auc(labels, list(z(strength) + 0.25 * z(pmi))):.3f}")


if __name__ == "__main__":
    main()
