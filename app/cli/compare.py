"""The `perspectives compare` and `perspectives topics` commands (registered in cli.py).

A thin shell over app/answer/compare.py and topics.py, app/render/plot.py and app/render/compare.py.
"""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.common import common_options, load_settings, notify, run_command, setting_option
from app.errors import InputError
from app.answer.stance import METHODS


def _read_topics(topics: tuple[str, ...], topics_file: str | None) -> list[str]:
    found = [t for t in topics if t.strip()]
    if topics_file:
        lines = Path(topics_file).read_text(encoding="utf-8").splitlines()
        found += [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if not found:
        raise InputError('Give a topic, e.g. perspectives compare "US export controls"  (see: perspectives topics)')
    return found


def _write(path: str, text: str, what: str) -> None:
    Path(path).write_text(text, encoding="utf-8")
    notify(f"Wrote {what} to {path}")


@click.command()
@click.argument("topics", nargs=-1)
@common_options
@click.option("--claim", default=None, help="The claim to take a stance on [default: a model that may judge stance writes one from the topic]. Only with one topic.")
@click.option("--topics-file", type=click.Path(exists=True, dir_okay=False), default=None, help="More topics, one per line (for --plot, --csv, --md).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (passage ids and character offsets for every quote) instead of the table.")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False), default=None, help="Also write the rows to this CSV file.")
@click.option("--md", "md_file", type=click.Path(dir_okay=False), default=None, help="Also write a Markdown report to this file.")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False), default=None, help="Also draw the articles × topics stance heatmap to this PNG file.")
@click.option("--method", type=click.Choice(METHODS), default=None, help="How stance labels are decided [default: label log-probabilities (logprob); see models.md].")
@click.option("--labels", type=click.Choice(["auto", "force", "off"]), default="auto", show_default=True,
              help="Stance labels: auto = only from a model that passes the stance calibration (the bundled 135M model does not: "
                   "you get the evidence side by side); force = show them anyway, marked unreliable; off = never.")
@click.option("--summary", is_flag=True, help="Add one model-written sentence over the rows (shown only if the quotes carry it).")
@setting_option("k", "-k", "--passages")
@run_command
def compare(topics, claim, topics_file, as_json, csv_file, md_file, plot_file, method, labels, summary, k, **kw):
    """Compare where each article stands on TOPIC (one or more topics).

    For each article: its key sentences on the topic, verbatim and cited, or "not
    addressed" (decided in code, without asking the model); then who discusses it and who
    is silent. A stance toward a claim (supports / opposes / mixed) appears only when the
    model passed the stance calibration on the shipped gold set (measured once per model);
    otherwise the row says "not judged" and the evidence carries the comparison.

    \b
    Examples:
      perspectives compare "US export controls"
      perspectives compare "the education system" --claim "The education system produced the company's success"
      perspectives compare "US export controls" "China's education system" --plot stances.png --md report.md
    """
    from app.answer.compare import compare as run_compare
    from app.pipeline import build_pipeline
    from app.render.compare import table, to_csv, to_json, to_markdown

    found = _read_topics(topics, topics_file)
    if claim and len(found) > 1:
        raise InputError("--claim applies to one topic; give one topic, or leave --claim out so each topic gets its own claim.")
    pipe = build_pipeline(load_settings(k=k, **kw), progress=not as_json, notify=notify, preload_model=True)
    results = []
    for i, topic in enumerate(found):
        res = run_compare(pipe, topic, claim, method=method, summary=summary, labels=labels)
        results.append(res)
        if as_json:
            continue
        click.echo(("\n" if i else "") + table(res))
        for n in res.notices:
            notify(n)
    if as_json:
        click.echo(to_json(results[0]) if len(results) == 1 else "[\n" + ",\n".join(to_json(r) for r in results) + "\n]")
    if csv_file:
        _write(csv_file, to_csv(results), "CSV")
    if md_file:
        _write(md_file, to_markdown(results), "Markdown report")
    if plot_file:
        from app.render.plot import plot_stances

        notify(f"Wrote chart to {plot_stances(results, plot_file)}")


@click.command()
@common_options
@click.option("-n", "count", type=click.IntRange(1, 50), default=8, show_default=True, help="How many topics to suggest.")
@run_command
def topics(count, **kw):
    """Suggest topics to compare, drawn from the articles themselves (key phrases).

    Each topic is used by at least two articles, so there is something to compare.
    Try one with: perspectives compare "TOPIC"
    """
    from app.pipeline import build_pipeline
    from app.answer.topics import suggest_topics

    pipe = build_pipeline(load_settings(**kw), notify=notify)
    found = suggest_topics(pipe, count)
    if not found:
        click.echo("No topic is shared by two or more articles. Add articles, or type your own topic.")
        return
    click.echo("Suggested topics (articles using them):")
    for t in found:
        click.echo(f"  {t.topic}  ({t.articles} articles)")
    click.echo(f'\nTry: perspectives compare "{found[0].topic}"')
