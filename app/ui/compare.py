"""The Compare tab: a topic (and optional claim) → stance matrix, evidence, chart, downloads.

A thin shell over `compare.compare_stream` (the same engine as `perspectives compare`):
rows stream into the matrix as each article is judged. Topic suggestions come from
app/answer/topics.py; the heatmap (app/render/plot.py) and the downloads (app/render/compare.py) cover every topic
compared in this session, one column per topic, so users build up a topics × articles view.
Not here: any stance logic.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import gradio as gr

from app.ui import html as H
from app.render import compare as render_compare
from app.answer.compare import compare_stream
from app.answer.results import NOT_JUDGED
from app.errors import PerspectivesError
from app.pipeline import Pipeline
from app.render.plot import plot_coverage, plot_stances
from app.ui.shared import by_name, download_dir, session_view, topic_choices, warn

MAX_SESSION_TOPICS = 8  # columns in the session's heatmap
# matplotlib keeps its font files open per thread (font_manager._get_font is keyed on the
# thread id) and Gradio runs handlers on a pool of up to 40 threads, so drawing everywhere
# made a long-running app's open files grow (bench/soak.py saw it). One drawing thread keeps
# one set of font handles, and matplotlib is not thread-safe anyway. Threads start lazily.
_PLOTTER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="perspectives-plot")


def export_files(results: list, folder: Path) -> dict[str, str]:
    """The comparisons as JSON, CSV and Markdown files (and the heatmap PNG), for download."""
    texts = {
        "json": json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2),
        "csv": render_compare.to_csv(results),
        "md": render_compare.to_markdown(results),
    }
    paths = {}
    for ext, text in texts.items():
        p = folder / f"comparison.{ext}"
        p.write_text(text, encoding="utf-8")
        paths[ext] = str(p)
    # Without labels a stance chart is one grey "not judged" block: draw who discusses what instead.
    plot = plot_stances if any(r.labels != NOT_JUDGED for r in results) else plot_coverage
    paths["png"] = str(_PLOTTER.submit(plot, results, folder / "stances.png").result())
    return paths


EMPTY_CLAIM = '<div class="pv-empty">Choose a topic to see where each article stands.</div>'


def make_compare_handler(pipe: Pipeline):
    """The Compare button's handler: yields `{output name: value}` as rows arrive (shared.by_name)."""

    def run(topic, claim, k, temperature, session):
        idx = {a.id: i for i, a in enumerate(pipe.articles)}
        session = list(session or [])
        try:
            if not (topic or "").strip():
                raise PerspectivesError("Pick a suggested topic or type one, e.g. “export controls”.")
            view = session_view(pipe, k, temperature)
            rows: list[dict] = []
            claim_box = ""
            for ev in compare_stream(view, topic, (claim or "").strip() or None):
                if ev.kind == "claim":
                    claim_box = H.claim_html(ev.text)
                elif ev.kind == "row":
                    rows.append(asdict(ev.row))
                elif ev.kind == "done":
                    yield _finished(ev.result, session, idx)
                    return
                yield {"claim": claim_box, "matrix": H.matrix_html(rows, idx, pending=max(0, len(pipe.articles) - len(rows))), "contrast": ""}
        except PerspectivesError as exc:
            warn(exc)
            hidden = gr.update(visible=False)
            yield {"claim": f'<div class="pv-empty">⚠ {H.esc(exc)}</div>', "matrix": "", "contrast": "",
                   "download_json": hidden, "download_csv": hidden, "download_md": hidden}

    return run


def _finished(result, session: list, idx: dict[str, int]) -> dict:
    """The finished comparison, with the chart and downloads covering the session's topics."""
    session = [x for x in session if (x.topic, x.claim) != (result.topic, result.claim)][-(MAX_SESSION_TOPICS - 1):] + [result]
    files = export_files(session, download_dir("compare-"))
    shown = {f"download_{ext}": gr.update(value=files[ext], visible=True) for ext in ("json", "csv", "md")}
    return {"claim": H.claim_html(result.claim, result.claim_source), "matrix": H.matrix_html([asdict(x) for x in result.rows], idx),
            "contrast": H.contrast_html(result.contrast, H.compare_note(result), H.titles_by_label(result.rows)), "chart": gr.update(value=files["png"], visible=True),
            **shown, "session": session}


def reset() -> dict:
    cleared = gr.update(value=None, visible=False)
    return {"claim": EMPTY_CLAIM, "matrix": "", "contrast": "", "chart": cleared,
            "download_json": cleared, "download_csv": cleared, "download_md": cleared, "session": []}


def build_compare_tab(pipe: Pipeline, k, temperature, model_queue: dict) -> dict:
    """Lay out the tab inside the current `gr.Tab`; returns its components."""
    choices = topic_choices(pipe)
    with gr.Row(equal_height=True):
        topic = gr.Dropdown(choices, value=None, label="Topic", info="Pick a suggestion or type your own.", allow_custom_value=True, scale=3, elem_id="pv-topic")
        claim = gr.Textbox(label="Claim (optional)", placeholder="e.g. The government deserves credit for the company's success", scale=3,
                           info="Shown with the evidence. A model good enough to judge (tested on claims with known answers) also labels each article supports / opposes / mixed.")
        go = gr.Button("Compare", variant="primary", scale=1, min_width=110, elem_id="pv-compare-btn")
    ui = {"claim": gr.HTML(EMPTY_CLAIM, elem_id="pv-claim", js_on_load=None), "matrix": gr.HTML("", elem_id="pv-matrix", js_on_load=None)}
    with gr.Row():
        with gr.Column(scale=1):
            ui["contrast"] = gr.HTML("", elem_id="pv-contrast", js_on_load=None)
        with gr.Column(scale=1):
            ui["chart"] = gr.Image(label="The topics you compared, article by article", show_label=False, type="filepath", visible=False,
                                   interactive=False, elem_id="pv-chart", buttons=["download", "fullscreen"])
    with gr.Row():
        ui["download_json"] = gr.DownloadButton("Download JSON", size="sm", visible=False, elem_id="pv-dl-json")
        ui["download_csv"] = gr.DownloadButton("Download CSV", size="sm", visible=False, elem_id="pv-dl-csv")
        ui["download_md"] = gr.DownloadButton("Download Markdown", size="sm", visible=False, elem_id="pv-dl-md")
        start_over = gr.Button("Start over", size="sm", variant="secondary")
    ui["session"] = gr.State([])
    run, outputs = by_name(make_compare_handler(pipe), ui)
    go.click(run, inputs=[topic, claim, k, temperature, ui["session"]], outputs=outputs, api_name="compare", show_progress="full",
             show_progress_on=[ui["matrix"]], **model_queue)
    clear, outputs = by_name(reset, ui)
    start_over.click(clear, outputs=outputs, queue=False, api_visibility="private")
    return {"topic": topic, "claim": claim, "button": go, "refresh": lambda: gr.update(choices=topic_choices(pipe))}
