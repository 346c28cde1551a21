"""The Compare tab: a topic (and optional claim) → stance matrix, evidence, chart, downloads.

A thin shell over `compare.compare_stream` (the same engine as `perspectives compare`):
rows stream into the matrix as each article is judged. Topic suggestions come from
topics.py, the heatmap from plot.py and the CSV/Markdown files from the compare renderers;
where one of those is not installed the tab still works without that piece.
Not here: any stance logic.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import asdict
from pathlib import Path

import gradio as gr

from . import ui_html as H
from .compare import compare_stream
from .errors import PerspectivesError
from .pipeline import Pipeline

FALLBACK_TOPICS = ["the role of the Chinese state in DeepSeek's success", "China's education system", "US export controls on chips",
                   "whether DeepSeek is an isolated case"]


def topic_choices(pipe: Pipeline) -> list[str]:
    try:
        from .topics import suggest_topics
    except ImportError:
        return FALLBACK_TOPICS
    try:
        found = suggest_topics(pipe)
    except PerspectivesError:
        return FALLBACK_TOPICS
    return [t if isinstance(t, str) else getattr(t, "topic", None) or getattr(t, "label", None) or str(t) for t in found] or FALLBACK_TOPICS


def chart_png(result, folder: Path) -> str | None:
    """The stance heatmap as a PNG path, or None when plot.py is not available."""
    try:
        from . import plot
    except ImportError:
        return None
    fn = getattr(plot, "stance_heatmap", None) or getattr(plot, "heatmap", None) or getattr(plot, "plot_compare", None)
    if fn is None:
        return None
    out = folder / "stances.png"
    try:
        got = fn(result, out)
    except TypeError:
        got = fn(result)
    if isinstance(got, (bytes, bytearray)):
        out.write_bytes(got)
        return str(out)
    if got and Path(str(got)).is_file():
        return str(got)
    return str(out) if out.is_file() else None


def _csv_fallback(result) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["topic", "claim", "article_id", "title", "stance", "confidence", "viewpoint", "quotes"])
    for r in result.rows:
        w.writerow([result.topic, result.claim, r.article_id, r.title, r.stance, "" if r.confidence is None else r.confidence, r.viewpoint,
                    " | ".join(q["text"] for q in r.quotes)])
    return buf.getvalue()


def _md_fallback(result) -> str:
    out = [f"## {result.topic}", "", f"Claim: {result.claim}", "", "| Article | Stance | Viewpoint |", "|---|---|---|"]
    out += [f"| {r.title} | {r.stance} | {r.viewpoint} |" for r in result.rows]
    out += ["", result.contrast.get("text", ""), "", f"_{result.disclaimer}_"]
    return "\n".join(out) + "\n"


def export_files(result, folder: Path) -> dict[str, str]:
    """JSON, CSV and Markdown files of one comparison, for the download buttons."""
    try:
        from . import render_compare as rc
    except ImportError:
        rc = None
    to_csv = getattr(rc, "to_csv", None) or getattr(rc, "csv_text", None) if rc else None
    to_md = getattr(rc, "markdown", None) or getattr(rc, "to_markdown", None) if rc else None
    texts = {
        "json": json.dumps(result.to_dict(), ensure_ascii=False, indent=2),
        "csv": to_csv([result]) if to_csv and _takes_list(to_csv) else (to_csv(result) if to_csv else _csv_fallback(result)),
        "md": to_md(result) if to_md else _md_fallback(result),
    }
    paths = {}
    for ext, text in texts.items():
        p = folder / f"comparison.{ext}"
        p.write_text(text, encoding="utf-8")
        paths[ext] = str(p)
    return paths


def _takes_list(fn) -> bool:
    import inspect

    params = list(inspect.signature(fn).parameters)
    return bool(params) and params[0] in ("results", "items", "comparisons")


def make_compare_handler(pipe: Pipeline):
    from .ui import session_view

    def run(topic, claim, k, temperature):
        idx = {a.id: i for i, a in enumerate(pipe.articles)}
        hidden = gr.update(visible=False)
        try:
            if not (topic or "").strip():
                raise PerspectivesError("Pick a suggested topic or type one, e.g. “US export controls”.")
            view = session_view(pipe, k, temperature)
            rows: list[dict] = []
            claim_box = ""
            for ev in compare_stream(view, topic, (claim or "").strip() or None):
                if ev.kind == "claim":
                    claim_box = H.claim_html(ev.text)
                elif ev.kind == "row":
                    rows.append(asdict(ev.row))
                elif ev.kind == "done":
                    r = ev.result
                    folder = Path(tempfile.mkdtemp(prefix="perspectives-compare-"))
                    files = export_files(r, folder)
                    png = chart_png(r, folder)
                    yield (H.claim_html(r.claim, r.claim_source), H.matrix_html([asdict(x) for x in r.rows], idx),
                           H.contrast_html(r.contrast, r.disclaimer), gr.update(value=png, visible=png is not None),
                           gr.update(value=files["json"], visible=True), gr.update(value=files["csv"], visible=True),
                           gr.update(value=files["md"], visible=True))
                    return
                yield claim_box, H.matrix_html(rows, idx, pending=max(0, len(pipe.articles) - len(rows))), "", gr.skip(), hidden, hidden, hidden
        except PerspectivesError as exc:
            gr.Warning(str(exc))
            yield f'<div class="pv-empty">⚠️ {H.esc(exc)}</div>', "", "", gr.skip(), hidden, hidden, hidden

    return run


def build_compare_tab(pipe: Pipeline, k, temperature, model_queue: dict) -> dict:
    """Lay out the tab inside the current `gr.Tab`; returns its components."""
    choices = topic_choices(pipe)
    with gr.Row(equal_height=True):
        topic = gr.Dropdown(choices, value=None, label="Topic", info="Pick a suggestion or type your own.", allow_custom_value=True, scale=3, elem_id="pv-topic")
        claim = gr.Textbox(label="Claim (optional)", placeholder="e.g. The Chinese state deserves credit for DeepSeek", scale=3,
                           info="Each article is labelled supports / opposes / mixed toward it.")
        go = gr.Button("Compare", variant="primary", scale=1, min_width=110, elem_id="pv-compare-btn")
    claim_out = gr.HTML('<div class="pv-empty">Choose a topic to see where each article stands.</div>', elem_id="pv-claim", js_on_load=None)
    with gr.Row():
        with gr.Column(scale=3):
            matrix = gr.HTML("", elem_id="pv-matrix", js_on_load=None)
            contrast = gr.HTML("", elem_id="pv-contrast", js_on_load=None)
        with gr.Column(scale=2):
            chart = gr.Image(label="Stance heatmap", type="filepath", visible=False, interactive=False, elem_id="pv-chart",
                             buttons=["download", "fullscreen"])
    with gr.Row():
        dl_json = gr.DownloadButton("Download JSON", size="sm", visible=False)
        dl_csv = gr.DownloadButton("Download CSV", size="sm", visible=False)
        dl_md = gr.DownloadButton("Download Markdown", size="sm", visible=False)
    run = make_compare_handler(pipe)
    outputs = [claim_out, matrix, contrast, chart, dl_json, dl_csv, dl_md]
    go.click(run, inputs=[topic, claim, k, temperature], outputs=outputs, api_name="compare", show_progress="minimal", **model_queue)
    return {"topic": topic, "claim": claim, "button": go, "refresh": lambda: gr.update(choices=topic_choices(pipe))}
