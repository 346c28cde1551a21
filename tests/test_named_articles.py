"""Issue 25's "done means", read off every surface a user sees: an answer that names an
article gives its outlet and date (CLI text, --json, compare's table, CSV and Markdown, batch
reports, the web app), and a quoted voice is never shown bare, as if it were the article's
own view (cards, leads, compare rows, CSV, the web rows, model-written sentences)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.answer.ask import ask, lead
from app.answer.compare import compare
from app.answer.results import Evidence, Perspective
from app.cli.main import cli
from app.retrieve.terms import analyse
from app.ui.html import contrast_html, matrix_html, titles_by_label

QUESTION = "Will the tariffs on soybeans hurt farmers?"
TOPIC = "tariffs on soybeans and farmers"
SAID = "will hurt farmers badly this year"  # Kudlow's words, in a sentence that does not name him


def _article(folder: Path, name: str, outlet: str, date: str, body: str) -> None:
    (folder / f"{name}.md").write_text(f"---\ntitle: {name.title()}\noutlet: {outlet}\ndate: '{date}'\n---\n{body}\n", encoding="utf-8")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tariffs")
    _article(folder, "farm", "Vox", "2019-05-13",
             "Larry Kudlow spoke to reporters at the White House on Monday.\n\n"
             "“The tariffs on soybeans will hurt farmers badly this year,” he said.\n\nThe weather in Washington was cold and wet.")
    _article(folder, "soy", "Newsmax", "2019-05-14",
             "Soybean farmers in Iowa expect the tariffs on soybeans to cut their income this year.\n\n"
             "The new tariffs on soybeans took effect on Friday, and farmers fear the losses.")
    _article(folder, "storms", "Reuters", "2019-05-12", "Storms hit the Midwest on Sunday, flooding roads in Nebraska.\n\n"
             "Schools closed for two days while crews cleared fallen trees.")
    return folder


def _run(corpus: Path, tmp_path: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--seeds", str(corpus), "--data-dir", str(tmp_path / "d"), "--model", "stub"])
    assert result.exit_code == 0, result.output
    return result.output


def undated(text: str, outlets: tuple[str, ...] = ("Vox", "Newsmax", "Reuters")) -> list[str]:
    """Articles named «like this» with no outlet (and date) after them before the clause ends:
    "«Farm» (Vox, 13 May 2019): …", or after the list they are in ("«A» and «B» (all 2 — Vox 2; May 2019)")."""
    out = []
    for m in re.finditer(r"«([^«»]+)»", text):
        rest = text[m.end():]
        end = re.search(r"[.:](?:\s|$)", rest)
        clause = rest[:end.start() if end else len(rest)]
        if not re.search(rf"\((?:all \d+ — )?(?:{'|'.join(outlets)})[ ,]", clause) or not re.search(r"\d{4}\)", clause):
            out.append(m.group(1))
    return out


def bare_voices(text: str) -> list[str]:
    """Places where Kudlow's words are shown without "Larry Kudlow, quoted:" before them."""
    flat = " ".join(text.split())
    return [flat[max(0, m.start() - 90):m.end()] for m in re.finditer(re.escape(SAID), flat)
            if "Larry Kudlow, quoted: " not in flat[max(0, m.start() - 90):m.start()]]


def test_cli_answer_text_and_json_name_every_article_with_outlet_and_date(corpus, tmp_path):
    text = _run(corpus, tmp_path, "ask", QUESTION, "--all")
    answer, sources = text.split("\nSources\n")
    assert "«" in answer and undated(" ".join(answer.split())) == []
    assert "Farm — Vox · 2019-05-13" in answer and "Storms — Reuters · 2019-05-12" in answer  # card headers
    assert bare_voices(answer) == []
    data = json.loads(_run(corpus, tmp_path, "ask", QUESTION, "--json"))
    assert undated(data["answer"]) == [] and bare_voices(data["answer"]) == []
    assert {p["source"]["outlet"] for p in data["perspectives"]} == {"Vox", "Newsmax", "Reuters"}


def test_compare_table_csv_markdown_and_json_name_outlets_and_dates_and_whose_words(corpus, tmp_path):
    table = _run(corpus, tmp_path, "compare", TOPIC, "--csv", str(tmp_path / "c.csv"), "--md", str(tmp_path / "c.md"))
    contrast = table.split("\nContrast\n")[1]
    assert "«" in contrast and undated(" ".join(contrast.split())) == []
    assert bare_voices(table) == []
    rows = list(csv.DictReader(io.StringIO((tmp_path / "c.csv").read_text(encoding="utf-8"))))
    farm = next(r for r in rows if r["title"] == "Farm")
    assert (farm["outlet"], farm["date"]) == ("Vox", "2019-05-13")
    assert farm["viewpoint"].startswith("Larry Kudlow, quoted: “") and bare_voices(farm["viewpoint"]) == []
    md = (tmp_path / "c.md").read_text(encoding="utf-8")
    assert undated(md.split("**Contrast:**")[1]) == [] and bare_voices(md) == []
    data = json.loads(_run(corpus, tmp_path, "compare", TOPIC, "--json"))
    assert undated(data["contrast"]["text"]) == []
    assert next(r for r in data["rows"] if r["title"] == "Farm")["viewpoint"].startswith("Larry Kudlow, quoted: ")


def test_batch_report_names_silent_articles_with_outlet_and_date(corpus, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text(f"{QUESTION}\n", encoding="utf-8")
    _run(corpus, tmp_path, "batch", str(questions), "-o", str(tmp_path / "a.jsonl"))
    report = (tmp_path / "a.md").read_text(encoding="utf-8")
    assert "*Storms* (Reuters, 12 May 2019)" in report  # "Read, and do not address this: …"
    assert "**Farm** (Vox · 2019-05-13)" in report and undated(report) == [] and bare_voices(report.split("### Sources")[0]) == []


def test_web_compare_rows_carry_outlet_date_and_whose_words(corpus, make_pipe, tmp_path):
    result = compare(make_pipe(corpus, data_dir=tmp_path / "web"), TOPIC)
    rows = [asdict(r) for r in result.rows]
    html = matrix_html(rows, {})
    assert "Vox · 13 May 2019" in html and "Newsmax · 14 May 2019" in html
    assert "Its own words" not in html and bare_voices(re.sub(r"<[^>]+>", "", html)) == []
    contrast = contrast_html(result.contrast, "", titles_by_label(result.rows))
    assert "Vox, 13 May 2019" in contrast


def test_a_model_sentence_that_restates_a_quoted_voice_is_not_shown_as_the_articles_view(corpus, make_pipe, tmp_path):
    """The stub model restates its first excerpt: over Kudlow's words (the sentence does not
    name him), "In short: The tariffs on soybeans will hurt farmers…" would give them to the
    article. It is dropped and counted, with the reason in plain words."""
    pipe = make_pipe(corpus, data_dir=tmp_path / "model")
    res = ask(pipe, QUESTION)
    farm = next(p for p in res.perspectives if p.title == "Farm")
    assert bare_voices(farm.paraphrase) == [] and bare_voices(" ".join(res.answer.split())) == []
    assert "gives a quoted voice as the article's own" in res.dropped_reasons


def test_a_long_lead_still_gives_the_outlets_and_dates_of_every_article_it_names():
    """Past the answer's length, the lead's lists give their articles' outlets and dates together."""
    from app.corpus.articles import Source
    from app.rules import RULES

    cards = []
    for i in range(12):
        quote = Evidence(f"Tariffs on soybeans rose by {i + 2} percent in week {i + 1} of the long trade dispute, officials found.",
                         0, 90, f"a{i}:1:0", i + 1, voice="own")
        cards.append(Perspective(f"a{i}", f"Article number {i} on soybean tariffs", f"Article number {i}", "addresses" if i < 8 else "mentions",
                                 0.5 - i / 100, "", [Evidence(**{**asdict(quote), "score": 0.5 - i / 100})], [i + 1],
                                 source=Source(outlet="Vox", date=f"2019-05-{i + 10:02d}")))
    text = lead(analyse(QUESTION), cards, rules=RULES.with_(answer_chars=600, model_room=100))
    assert "«" in text and len(text) > 400 and undated(text) == [], text


def test_web_chat_cards_and_sources_carry_outlet_date_and_whose_words(corpus, make_pipe, tmp_path):
    from app.ui.html import cards_final, sources_html

    res = ask(make_pipe(corpus, data_dir=tmp_path / "chat"), QUESTION)
    cards = cards_final(res, {})
    assert "Vox · 13 May 2019" in cards and bare_voices(re.sub(r"<[^>]+>", "", cards)) == []
    assert "Vox · 13 May 2019 · passage" in sources_html(res, {})


def test_web_sources_with_an_outlet_and_no_date_show_no_empty_part():
    from app.answer.results import AskResult, SourcePassage
    from app.corpus.articles import Source
    from app.ui.html import sources_html

    passage = SourcePassage("a:1:0", 1, "a", "Title", 0, 0, 10, "Some text.", 0.5, 0.0, 0.5)
    card = Perspective("a", "Title", "Title", "addresses", 0.5, "", [], [1], source=Source(outlet="NRC", date=""))
    html = sources_html(AskResult("q", "view", "", [1], [card], [passage], "stub"), {})
    assert "NRC · passage 1" in html and "·  ·" not in html


def test_a_fact_lead_over_many_addressing_articles_names_a_few_and_counts_the_rest():
    """At 1,000 articles a fact answer named every addressing article with another answer and ran
    to 1,598 characters: the lead names fewer per list until it fits, and counts the rest."""
    from app.corpus.articles import Source
    from app.rules import RULES

    cards = []
    for i in range(16):
        text = f"Tariffs on soybeans rose by {i + 2} percent in week {i + 1} of the long and bitter trade dispute, officials found."
        quote = Evidence(text, 0, len(text), f"a{i}:1:0", i + 1, "key", 0.6 - i / 100, voice="own")
        cards.append(Perspective(f"a{i}", f"A long report, number {i}, on the soybean tariff dispute", f"Report {i} on soybean tariffs",
                                 "addresses", 0.6 - i / 100, "", [quote], [i + 1], source=Source(outlet="Vox", date=f"2019-05-{i + 10:02d}")))
    rules = RULES.with_(answer_chars=550, model_room=100)
    text = lead(analyse("How much did tariffs on soybeans rise?"), cards, total=1000, rules=rules)
    assert len(text) <= 450, text
    assert re.search(r"\d+ more \(Vox \d+", text) and undated(text) == [], text
