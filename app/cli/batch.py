"""The `perspectives batch` command: a file of questions (or topics) in, JSONL + Markdown out.

A thin shell over app/batch/readers.py (reading) and app/batch/run.py (running, writing). Order matters:
read and check the input, check every output path can be written, open (and repair) the
answers file, and only then load the index and model, once, for the whole batch.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.cli.common import common_options, load_settings, notify, run_command, setting_option
from app.errors import InputError


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Answers file (JSONL, one `ask --json` object per line plus `id`). Appended to; rerun to resume.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Markdown report [default: beside the output, e.g. answers.md].")
@click.option("--compare", is_flag=True, help="Lines are topics: run a stance comparison for each instead of a question.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --compare: also write one combined CSV (a row per topic and article).")
@common_options
@setting_option("k", "-k", "--passages")
@setting_option("temperature")
@click.option("--no-progress", is_flag=True, help="No progress bar (messages and the summary are still printed).")
@run_command
def batch(file, output, report, compare, csv_path, k, temperature, no_progress, **kw):
    """Answer every question in FILE and write the answers to OUTPUT, plus a Markdown report.

    \b
    FILE is one of:
      questions.txt    one question per line; blank lines and # comments are ignored
      questions.jsonl  {"id": "q1", "question": "..."} per line (id optional)
      questions.csv    a header with a `question` column, optional `id` column
    With --compare the lines are topics (JSONL key / CSV column `topic`, optional `claim`).

    \b
    Each answer is appended to OUTPUT and flushed to disk as soon as it is done. If a run
    stops (Ctrl-C, crash, power cut), run the same command again: questions whose id is
    already in OUTPUT are skipped. Ids default to a hash of the question text.
    Lines that cannot be used are reported with their line number; the rest still run,
    and the exit code is 1 when anything failed.

    \b
    Examples:
      perspectives batch questions.txt -o answers.jsonl
      perspectives batch topics.txt --compare -o matrix.jsonl --csv matrix.csv
    """
    from app.batch.readers import read_items
    from app.batch.run import write_compare_csv, write_report

    s = load_settings(k=k, temperature=temperature, **kw)
    if csv_path and not compare:
        raise InputError("--csv writes the combined stance table of a --compare batch; add --compare or drop --csv.")
    items, problems = read_items(file, field="topic" if compare else "question")
    for p in problems:
        notify(str(p))
    if not items and not problems:
        raise InputError(f"{file} holds no {'topics' if compare else 'questions'} (blank lines and # comments are ignored).")
    report = report or output.with_suffix(".md")
    _check_outputs(file, output, report, csv_path)

    summary, records = _run_items(s, items, output, compare=compare, progress=not no_progress, debug=kw.get("debug", False))
    summary.problems = len(problems)
    write_report(report, records, input_path=file, output_path=output, summary=summary, problems=problems, items=items)
    click.echo(f"Answers: {output} ({len(records)} in all)")
    click.echo(f"Report:  {report}")
    if csv_path:
        n = write_compare_csv(csv_path, records, items)
        click.echo(f"CSV:     {csv_path} ({n} rows)")
    click.echo(summary.text("compared" if compare else "answered"))
    if summary.interrupted:
        sys.exit(130)
    if not summary.ok:
        problems_note = f"{summary.failed} failed, {summary.problems} unusable input lines"
        click.secho(f"Not everything ran ({problems_note}); fix the lines above and run the same command again.", fg="yellow", err=True)
        sys.exit(1)


def _check_outputs(file: Path, output: Path, report: Path, csv_path: Path | None) -> None:
    """Fail before any work if an output cannot be written or would overwrite another file."""
    from app.batch.run import check_writable

    check_writable(output, what="output file", keep=True, avoid={"input file": file})
    check_writable(report, what="report", avoid={"input file": file, "output file": output})
    if csv_path:
        check_writable(csv_path, what="CSV file", avoid={"input file": file, "output file": output, "report": report})


def _run_items(settings, items, output: Path, *, compare: bool, progress: bool, debug: bool):
    """Open (and repair) the answers file, load the pipeline once if anything is left, run."""
    from app.batch.run import AnswerLog, record_kind, run_batch

    with AnswerLog(output, notify=notify) as log:
        kinds = {record_kind(r) for r in log.done.values()}
        mode = "compare" if compare else "ask"
        if kinds - {mode}:
            other = "question answers" if "ask" in kinds else "topic comparisons"
            raise InputError(f"{output} already holds {other}; write {'--compare results' if compare else 'answers'} to another -o file.")
        pipe = None
        if any(it.id not in log.done for it in items):
            from app.pipeline import build_pipeline

            pipe = build_pipeline(settings, progress=progress, notify=notify, preload_model=True)
            pipe.model.context_size  # noqa: B018 - wait for the model now, so a bad model fails before the first item
        elif items:
            notify(f"Nothing to run: all {len(items)} are already in {output}.")
        summary = run_batch(pipe, items, log, compare=compare, progress=progress, notify=notify, debug=debug)
        return summary, log.records()
