"""Sources that disagree, and dates and outlets in the answer: what a reader sees when the
articles that answer a fact question give different figures, dates or names for it, and
when a question is about one time (stub model, real index and embedder)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.answer.ask import ask
from app.answer.compare import compare
from app.answer.values import compatible, dates_in, numbers_in
from app.cli.main import cli
from app.eval.disagreement import load_gold, run

CORPORA = Path(__file__).resolve().parent / "eval" / "corpora"


def _one(sentence: str):
    found = numbers_in(sentence)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("a, b, same", [
    ("It cost $2.3 billion.", "It cost about $2 billion.", False),  # magnitudes and currency read, "about" shown, not rounded away
    ("A $700 billion bail out.", "The 700 billion USD bank bailout.", True),
    ("It was 18 months behind schedule.", "It is two years behind schedule.", False),  # durations in one unit
    ("It is two years late.", "It is 2 years late.", True),
    ("They cut 10,000 jobs.", "They cut 10 000 jobs.", False),  # a space is no thousands mark: 10 and 000 are no figure of 10,000
    ("Russia offered 44 billion dollars.", "Russia offered 1.13 trillion rubles.", False),  # other currencies are never the same figure
])
def test_figures_are_normalised_before_they_are_compared(a, b, same):
    va, vb = numbers_in(a), numbers_in(b)
    assert bool(va and vb and any(compatible(x, y) for x in va for y in vb)) is same


def test_model_numbers_years_and_times_of_day_are_no_figures():
    assert numbers_in("The Boeing 747 and the iPhone 4 sold well in 2007 at 16:08 UTC.") == []
    assert _one("About 5,000 migrants crossed.").text == "about 5,000 migrants"
    assert _one("The Dow fell 678 points.").unit.endswith("/change")  # a change is not a level ("closing at 8,579.19")


@pytest.mark.parametrize("a, b, same", [
    ("in 2006", "in July 2006", True),  # the year both give agrees
    ("in July 2006", "in November 2006", False),
    ("on October 25", "on October 25, 2007", True),
    ("by 2023", "by 2030", False),
])
def test_dates_agree_on_every_part_both_give(a, b, same):
    assert compatible(dates_in(a)[0], dates_in(b)[0]) is same


def _article(folder: Path, name: str, outlet: str, date: str, body: str) -> None:
    (folder / f"{name}.md").write_text(f"---\ntitle: {name.title()}\noutlet: {outlet}\ndate: '{date}'\n---\n{body}\n", encoding="utf-8")


@pytest.fixture(scope="module")
def border(tmp_path_factory):
    """The issue's example: two outlets, one day, two counts of one crossing."""
    folder = tmp_path_factory.mktemp("border")
    _article(folder, "crossings", "Vox", "2019-05-13",
             "Border crossings rose again last week. About 5,000 migrants crossed the southern border last week, according to the "
             "agency's weekly count.\nThe agency said shelters in El Paso were full.")
    _article(folder, "record", "Newsmax", "2019-05-13",
             "A record week at the southern border strained agents. Between 5,140 and 5,200 migrants crossed the southern border "
             "last week, agents told Newsmax.\nAgents said the surge overwhelmed the stations near El Paso.")
    _article(folder, "storms", "Reuters", "2019-05-12", "Storms hit the Midwest on Sunday, flooding fields in Iowa and Nebraska.\n"
             "Farmers said planting would be delayed by weeks.")
    return folder


def test_the_answer_says_the_sources_differ_with_each_value_its_outlet_and_date(border, make_pipe, tmp_path):
    pipe = make_pipe(border, data_dir=tmp_path / "border-data")
    res = ask(pipe, "How many migrants crossed the southern border last week?")
    assert "The sources differ: " in res.answer
    differ = res.answer.split("The sources differ: ")[1]
    assert "about 5,000 migrants (Vox, 13 May 2019 [" in differ and "5,140 and 5,200 migrants (Newsmax, 13 May 2019 [" in differ
    assert "Also in" not in res.answer  # the other article gives another value
    assert res.answer.startswith(("«Crossings» (Vox, 13 May 2019): ", "«Record» (Newsmax, 13 May 2019): "))  # with its outlet and date
    entries = json.loads(json.dumps(res.to_dict()))["disagreements"]
    assert {(d["value"], tuple(d["articles"])) for d in entries} == {("about 5,000 migrants", ("crossings",)),
                                                                    ("5,140 and 5,200 migrants", ("record",))}
    texts = {q.text for p in res.perspectives for q in p.quotes}
    assert all(d["quote"] in texts and d["citation"] >= 1 for d in entries)  # verbatim, cited
    assert {(d["articles"][0], d["sources"][0]) for d in entries} == {("crossings", "Vox, 13 May 2019"), ("record", "Newsmax, 13 May 2019")}


def test_json_and_compare_carry_the_disagreement(border, make_pipe, tmp_path):
    pipe = make_pipe(border, data_dir=tmp_path / "border-data")
    result = CliRunner().invoke(cli, ["ask", "How many migrants crossed the southern border last week?", "--json", "--model", "stub",
                                      "--seeds", str(border), "--data-dir", str(tmp_path / "border-data")])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["disagreements"]) == 2
    row = compare(pipe, "How many migrants crossed the southern border last week?")
    assert "The sources differ: " in row.contrast["text"] and len(row.disagreements) == 2


@pytest.fixture(scope="module")
def airbus(tmp_path_factory):
    from app.pipeline import build_pipeline
    from app.settings import Settings

    return build_pipeline(Settings(data_dir=tmp_path_factory.mktemp("airbus"), seeds=CORPORA / "airbus-a380", model="stub"))


def test_real_articles_that_give_different_capacities_are_flagged_and_not_named_as_also_in(airbus):
    res = ask(airbus, "How many passengers can the A380 carry in an all-economy layout?")
    assert ("The sources differ, at different dates: up to 840 people (Wikinews, 18 Jan 2005 [" in res.answer
            and "up to 800 passengers (Wikinews, 27 Apr 2005 [" in res.answer)
    same = ask(airbus, "How many passengers can the A380 carry in a typical three-class layout?")
    assert not same.disagreements and "differ" not in same.answer
    assert "Also in «World's largest passenger airliner makes…» (Wikinews, 27 Apr 2005)" in same.answer


def test_a_question_about_one_day_prefers_that_days_articles_and_says_when_it_cannot(make_pipe, tmp_path):
    pipe = make_pipe(CORPORA / "financial-crisis-markets-2008", data_dir=tmp_path / "markets")
    res = ask(pipe, "How much did the FTSE 100 drop in value on September 17?")
    assert "(Wikinews, 17 Sep 2008)" in res.answer.split(":")[0] and "2.36%" in res.answer
    assert not res.disagreements  # the FTSE on other days is no disagreement about September 17
    later = ask(pipe, "How much did the Dow Jones fall in November 2008?")
    assert re.search(r"The closest evidence is from \d+ (?:Sep|Oct) 2008, not November 2008\.", later.answer)  # no article of November
    events = ask(pipe, "What happened to the Nikkei in October 2008?")
    named = events.answer.split(" articles address this: ")[1].split(". ")[0]
    dates = [d for d in ("17 Sep 2008", "18 Sep 2008", "10 Oct 2008", "27 Oct 2008") if d in named]
    assert dates == sorted(dates, key=named.index) and len(dates) >= 2  # named in the order of their dates


def test_the_gold_disagreements_are_all_flagged_and_agreeing_sources_never(tmp_path):
    """tests/eval/disagreement_gold.jsonl: the figures in models.md ("Sources that disagree")."""
    report = run(load_gold(), "stub", tmp_path)
    dev = report["all dev"]
    assert dev["flagged"] == dev["separated"] == dev["disagreements"] >= 5
    assert dev["false_flags"] == 0 and report["all holdout"]["false_flags"] == 0
    assert dev["also_in_wrong"] == 0


def test_names_that_differ_are_flagged_and_one_name_written_two_ways_is_not(make_pipe, tmp_path):
    folder = tmp_path / "stadium"
    folder.mkdir()
    _article(folder, "post", "Daily Post", "2021-03-02", "The city unveiled its new stadium on Monday. The new stadium was designed by "
             "the architect Maria Okafor, the council said.\nIt seats 40,000 people and cost the city far more than planned.")
    _article(folder, "star", "Evening Star", "2021-03-02", "Crowds packed the new stadium on its first day. The new stadium was designed "
             "by the architect Tomas Lindqvist, whose firm won the contract.\nFans praised the roof and the sight lines.")
    _article(folder, "farm", "Farm Weekly", "2021-03-01", "Heavy rain delayed the harvest across the valley. Farmers said the fields were "
             "too wet for machines.")
    res = ask(make_pipe(folder, data_dir=tmp_path / "d1"), "Who designed the new stadium?")
    assert "The sources differ: " in res.answer and "Maria Okafor (Daily Post, 2 Mar 2021 [" in res.answer
    assert "Tomas Lindqvist (Evening Star, 2 Mar 2021 [" in res.answer
    star = (folder / "star.md").read_text(encoding="utf-8").replace("the architect Tomas Lindqvist, whose firm", "Okafor, whose firm")
    (folder / "star.md").write_text(star, encoding="utf-8")
    same = ask(make_pipe(folder, data_dir=tmp_path / "d2"), "Who designed the new stadium?")
    assert not same.disagreements and "Also in «Star» (Evening Star, 2 Mar 2021)" in same.answer
