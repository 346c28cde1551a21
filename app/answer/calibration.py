"""May this model label stances? Measured once per model on the shipped gold stance set.

Scope: run the stance method over the dev rows of tests/eval/gold_stances.jsonl (shipped in
the package as app/data/eval), compare with the gold labels, and pass the model only if it
beats always answering the most common label by a clear margin (MARGIN). The result is
cached in `<data dir>/calibration.json` by the model's identity (its GGUF file's
fingerprint, or the server URL and model name), so it costs one run per model.
A model that fails gets no labels and writes no claims: compare shows the evidence side by
side instead ("not judged"). Not here: the label methods (stance.py).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from app.answer import stance
from app.cachefile import save_json
from app.index.embed import file_fingerprint
from app.resources import EVAL_DIR

MARGIN = 0.10  # accuracy must exceed the majority-label baseline by at least this much
GOLD = EVAL_DIR / "gold_stances.jsonl"


@dataclass(frozen=True)
class Calibration:
    model: str
    method: str
    accuracy: float
    majority: float  # accuracy of always answering the most common gold label
    rows: int
    passed: bool


def gold_rows(split: str = "dev", path: Path = GOLD) -> list[dict]:
    """Gold rows with a label a model can give (not "not addressed") and their evidence."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("split", "dev") == split and r["stance"] in stance.LABELS and r.get("evidence")]


def model_key(model) -> str:
    """What identifies a model for the cache: a GGUF file's fingerprint (size + head hash), else
    the backend and its name (a server's name holds its URL and served model)."""
    path = getattr(model, "path", None)  # only the llama.cpp backend has a file
    if path:
        return f"{model.name}|{file_fingerprint(path)}"
    return f"{type(model).__name__}|{model.name}"


def measure(model, method: str, titles: dict[str, str], rows: list[dict]) -> Calibration:
    """Label every gold row's evidence with `method` and compare with the gold labels."""
    right = 0
    scorer = stance.Scorer(model) if model.can_score else None
    for r in rows:
        j = stance.judge(model, method, r["claim"], titles.get(r["article_id"], ""), f"[1] {r['evidence']}", scorer)
        right += j.stance == r["stance"]
    counts = Counter(r["stance"] for r in rows)
    majority = counts.most_common(1)[0][1] / len(rows) if rows else 1.0
    accuracy = right / len(rows) if rows else 0.0
    return Calibration(model_key(model), method, round(accuracy, 3), round(majority, 3), len(rows), accuracy >= majority + MARGIN)


def calibrate(model, method: str, titles: dict[str, str], data_dir: Path) -> Calibration:
    """The model's calibration for `method`, from the cache or measured now (and cached)."""
    path = Path(data_dir) / "calibration.json"
    key = f"{model_key(model)}|{method}"
    cache = _read(path)
    if key in cache:
        return Calibration(**cache[key])
    result = measure(model, method, titles, gold_rows())
    cache[key] = asdict(result)
    save_json(path, cache, indent=1)  # not cached: measured again next time, never wrong
    return result


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}
