"""`perspectives add`: put web pages, saved pages, PDFs and text files into the article folder.

A thin shell over app/corpus/ingest.py (the web app's Corpus tab uses the same code). Each
input gets one line: what was added, that it was already there, or why it was refused.
Not here: indexing (the next `index` or question picks the new files up).
"""

from __future__ import annotations

import sys

import click

from app.cli.common import common_options, load_settings, notify, run_command
from app.corpus import ingest
from app.errors import PerspectivesError


@click.command()
@click.argument("targets", nargs=-1, required=True, metavar="PATH_OR_URL...")
@common_options
@click.option("--timeout", type=click.FloatRange(1, 300), default=ingest.FETCH_TIMEOUT, show_default=True,
              help="Seconds to wait for a web page (the whole download).")
@run_command
def add(targets, timeout, debug=False, **kw):
    """Add articles from web addresses, saved web pages, PDFs or text files.

    \b
    Examples:
      perspectives add https://www.example.com/news/2025/02/03/some-article
      perspectives add saved-page.html report.pdf notes.md
      perspectives add --seeds my-articles https://www.example.com/opinion/a-column

    \b
    Formats: http(s):// addresses (HTML pages and PDFs), .html/.htm, .pdf, .txt, .md.
    Each article is saved into the article folder (--seeds) as a readable .md file with a
    small header: title, outlet, author, date ("unknown" where the page does not say),
    source, and when it was added. Edit or delete that file like any other. The same text
    twice is added once. The next `perspectives index` (or question) indexes it.

    Only `add` goes online: one GET per address, no cookies, no JavaScript, at most
    20 MB and 5 redirects. Pages behind a login, a cookie wall or JavaScript are refused with
    a message; save them from your browser and add the .html file instead.

    Exit codes: 0 all added (or already there), 2 an input could not be used,
    5 the article folder cannot be written. Other inputs are still added.
    """
    settings = load_settings(debug=debug, **kw)
    failed: list[PerspectivesError] = []
    added = 0
    for target in targets:
        try:
            result = ingest.add(target, settings.seeds, timeout=timeout)
        except PerspectivesError as exc:
            if debug:
                raise
            click.secho(f"Error: {exc}", fg="red", err=True)
            failed.append(exc)
            continue
        added += result.added
        click.echo(result.message)
        for notice in result.notices:
            notify(notice)
    if added:
        click.echo(f"{added} article{'s' if added != 1 else ''} added to {settings.seeds}; "
                   "the next `perspectives index` or question indexes them.")
    if failed:
        sys.exit(failed[0].exit_code)
