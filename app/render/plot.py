"""Draw the articles × topics stance matrix as a heatmap PNG (matplotlib, Agg backend).

Scope: one picture from a list of compare results: a coloured cell per (article, topic)
with the label written in it, a legend, and a title saying labels are model judgements.
Without labels (a model that did not pass the calibration), `plot_coverage` draws what does
separate the articles instead: who discusses each topic, and how strong their evidence is.
Not here: computing labels. matplotlib is imported lazily (it is slow to import).
"""

from __future__ import annotations

from pathlib import Path

from app.errors import InputError
from app.answer.results import NOT_ADDRESSED, NOT_JUDGED
from app.answer.stance import LABELS

COLOURS = {"supports": "#4caf50", "opposes": "#e53935", "mixed": "#ffb300", NOT_JUDGED: "#90a4ae", NOT_ADDRESSED: "#eceff1"}
ORDER = (*LABELS, NOT_JUDGED, NOT_ADDRESSED)


def stance_matrix(results) -> tuple[list[str], list[str], list[list[str]]]:
    """(article labels, topics, stances[article][topic]); articles by id, topics as given."""
    ids = sorted({r.article_id for res in results for r in res.rows})
    labels = {r.article_id: r.label for res in results for r in res.rows}
    cells = [[next((r.stance for r in res.rows if r.article_id == a), NOT_ADDRESSED) for res in results] for a in ids]
    return [labels[a] for a in ids], [res.topic for res in results], cells


def plot_stances(results, path: str | Path, *, title: str | None = None) -> Path:
    """Write the heatmap of one result or a list of results (one column per topic) to `path`."""
    results = _as_list(results)
    if not results:
        raise InputError("Nothing to plot: give at least one topic.")
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise InputError(f"The chart is written as PNG; use a file name ending in .png, not {path.name!r}.")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    rows, topics, cells = stance_matrix(results)
    values = [[ORDER.index(c) for c in row] for row in cells]
    fig, ax = plt.subplots(figsize=(max(7.0, 1.9 * len(topics) + 5.5), 0.7 * len(rows) + 2.6))
    ax.imshow(values, cmap=ListedColormap([COLOURS[s] for s in ORDER]), vmin=0, vmax=len(ORDER) - 1, aspect="auto")
    ax.set_xticks(range(len(topics)), labels=[_wrap(t, 22) for t in topics], fontsize=8)
    ax.set_yticks(range(len(rows)), labels=[_wrap(r, 32) for r in rows], fontsize=8)
    for i, row in enumerate(cells):
        for j, stance in enumerate(row):
            ax.text(j, i, stance, ha="center", va="center", fontsize=8)
    ax.set_xticks([x - 0.5 for x in range(1, len(topics))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(rows))], minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    model = results[0].model
    ax.set_title(title or f"Stance toward each topic's claim (labels are judgements by {model})", fontsize=10)
    ax.legend(handles=[Patch(color=COLOURS[s], label=s) for s in ORDER], loc="upper left",
              bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False, title="stance", title_fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path




# Coverage without stance labels: how strongly each article discusses the topic, next to the
# article that discusses it most closely (its best passage's score as a share of that one's).
COVERAGE = {"strong evidence": "#2e7d32", "some evidence": "#81c784", "weak evidence": "#c8e6c9",
            "may not address it": "#ffe082", "does not discuss it": "#eceff1"}
STRONG, SOME = 0.9, 0.7  # shares of the closest article's score


def coverage_matrix(results) -> tuple[list[str], list[str], list[list[tuple[str, int]]]]:
    """(article labels, topics, (coverage, key sentences)[article][topic]); articles by id."""
    ids = sorted({r.article_id for res in results for r in res.rows})
    labels = {r.article_id: r.label for res in results for r in res.rows}
    cells = [[_coverage(res, a) for res in results] for a in ids]
    return [labels[a] for a in ids], [res.topic for res in results], cells


def _coverage(res, article_id: str) -> tuple[str, int]:
    row = next((r for r in res.rows if r.article_id == article_id), None)
    if row is None or row.stance == NOT_ADDRESSED:
        return "does not discuss it", 0
    keys = sum(1 for q in row.quotes if q.role == "key")
    if row.status == "mentions":
        return "may not address it", keys
    best = max((r.best_score for r in res.rows if r.stance != NOT_ADDRESSED), default=0.0) or 1.0
    share = row.best_score / best
    return ("strong evidence" if share >= STRONG else "some evidence" if share >= SOME else "weak evidence"), keys


def plot_coverage(results, path: str | Path, *, title: str | None = None) -> Path:
    """Write who discusses each topic, and how strongly, as a heatmap PNG (one column per topic)."""
    results = _as_list(results)
    if not results:
        raise InputError("Nothing to plot: give at least one topic.")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    order = list(COVERAGE)
    rows, topics, cells = coverage_matrix(results)
    values = [[order.index(c) for c, _ in row] for row in cells]
    fig, ax = plt.subplots(figsize=(max(7.0, 1.9 * len(topics) + 5.5), 0.7 * len(rows) + 2.6))
    ax.imshow(values, cmap=ListedColormap([COVERAGE[c] for c in order]), vmin=0, vmax=len(order) - 1, aspect="auto")
    ax.set_xticks(range(len(topics)), labels=[_wrap(t, 22) for t in topics], fontsize=8)
    ax.set_yticks(range(len(rows)), labels=[_wrap(r, 32) for r in rows], fontsize=8)
    for i, row in enumerate(cells):
        for j, (cov, keys) in enumerate(row):
            text = "silent" if keys == 0 else f"{keys} key sentence{'s' if keys != 1 else ''}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if cov == "strong evidence" else "#1f2937")
    ax.set_xticks([x - 0.5 for x in range(1, len(topics))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(rows))], minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    ax.set_title(title or "Who discusses each topic, and how closely", fontsize=10)
    ax.legend(handles=[Patch(color=COVERAGE[c], label=c) for c in order], loc="upper left",
              bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def _as_list(results) -> list:
    return list(results) if isinstance(results, (list, tuple)) else [results]


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)[:3])
