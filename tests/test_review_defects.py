"""What a strict review of ten answers still found, as a reader sees it (stub model, real index
and embedder, small constructed corpora): fact questions asked as "What did X give / cost …"
answered as views, and articles silent on a question shown as addressing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.answer.ask import ask

CORPORA = Path(__file__).resolve().parent / "eval" / "corpora"


def _article(folder: Path, name: str, date: str, body: str) -> None:
    (folder / f"{name}.md").write_text(f"---\ntitle: {name.replace('-', ' ').title()}\noutlet: Harbour Post\ndate: '{date}'\n---\n{body}\n",
                                       encoding="utf-8")


@pytest.fixture(scope="module")
def ferries(tmp_path_factory):
    """A ferry line's two boats: the Tern 2 (launched 2019) and the Tern 3 (launched 2021, with
    a faulty ramp that the company made up for)."""
    folder = tmp_path_factory.mktemp("ferries")
    _article(folder, "tern-2-launch", "2019-04-02",
             "The ferry line launched its new boat, the Tern 2, on Tuesday. A return ticket on the Tern 2 costs $12 for adults "
             "in the harbour town.\nThe boat carries 300 passengers and 40 cars across the bay.")
    _article(folder, "tern-3-ramp", "2021-06-10",
             "The ferry line's newest boat, the Tern 3, has a faulty car ramp that left drivers waiting for hours. "
             "To make up for the ramp problem, the ferry line gave every Tern 3 passenger a free return ticket.\n"
             "A free ticket for the Tern 3 was priced at $15 before the ramp problem, but is now free to anyone who waited.")
    _article(folder, "tern-3-launch", "2021-03-01",
             "The ferry line unveiled the Tern 3 on Monday. Its new steel hull, which holds the car ramp, is supposed to make "
             "crossings faster.\nThe Tern 3 carries 500 passengers.")
    _article(folder, "bay-bridge", "2020-09-15",
             "The council approved a new road bridge across the bay. Drivers will pay a toll of $4 to cross it.\n"
             "Work on the bridge starts next spring.")
    return folder


@pytest.fixture(scope="module")
def ferry_pipe(ferries, tmp_path_factory):
    from app.pipeline import build_pipeline
    from app.settings import Settings

    return build_pipeline(Settings(data_dir=tmp_path_factory.mktemp("ferry-data"), seeds=ferries, model="stub"))


@pytest.mark.parametrize("question, answer_type", [
    ("What did the ferry line give Tern 3 passengers to make up for the ramp problem?", ""),
    ("What did a Tern 2 return ticket cost?", "number"),
])
def test_what_did_someone_give_or_cost_is_answered_as_a_fact(ferry_pipe, question, answer_type):
    res = ask(ferry_pipe, question)
    assert res.kind == "fact"
    assert ferry_pipe.question_terms(question).answer_type == answer_type


def test_what_did_someone_say_about_stays_a_question_about_views(ferry_pipe):
    assert ask(ferry_pipe, "What did the drivers and the council say about the ferry line?").kind == "view"


@pytest.fixture(scope="module")
def radios(tmp_path_factory):
    """Two models of one radio, each with its price; a question names one of them."""
    folder = tmp_path_factory.mktemp("radios")
    _article(folder, "kestrel-4g-launch", "2008-06-09",
             "Kestrel today launched the Kestrel 4G radio, a faster version of its handset radio. The price of the Kestrel 4G "
             "is $199 in the US, with prices in other countries equal or below.\nThe Kestrel 4G goes on sale in July.")
    _article(folder, "kestrel-5g-cases", "2010-07-16",
             "Kestrel will give free cases to owners of the Kestrel 5G radio after complaints about its reception. "
             "The cases were priced at US $29 before the announcement, but will be free to anyone with a Kestrel 5G.\n"
             "Kestrel said only a small share of Kestrel 5G owners had complained.")
    _article(folder, "kestrel-5g-launch", "2010-06-07",
             "Kestrel unveiled the Kestrel 5G radio at its yearly conference. The Kestrel 5G has a new steel frame that acts "
             "as an aerial.\nThe Kestrel 5G goes on sale in the US on June 24, starting at US $199.")
    _article(folder, "kestrel-lawsuit", "2007-01-11",
             "A network company sued Kestrel over the name of its radio, which it says it registered years before.\n"
             "The company asked the court to stop Kestrel from selling radios under that name.")
    return folder


def test_an_article_on_another_model_does_not_answer_for_the_model_asked_about(radios, make_pipe, tmp_path):
    pipe = make_pipe(radios, data_dir=tmp_path / "radio-data")
    res = ask(pipe, "What did the Kestrel 4G cost in the United States?")
    status = {p.article_id: p.status for p in res.perspectives}
    assert status["kestrel-4g-launch"] == "addresses"
    assert status["kestrel-5g-cases"] != "addresses"  # the 5G's cases, priced in US dollars: not the 4G's price


def test_a_fact_answer_names_every_article_shown_as_answering_it(make_pipe, tmp_path):
    """The iPhone corpus: the best-ranked answer to "What did the iPhone 3G cost…" is another
    model's price; the article that gives the 3G's own price must still be named, cited."""
    pipe = make_pipe(CORPORA / "apple-iphone", data_dir=tmp_path / "iphone-data")
    res = ask(pipe, "What did the iPhone 3G cost in the United States?")
    assert res.kind == "fact"
    addressing = [p for p in res.perspectives if p.status == "addresses"]
    assert len(addressing) >= 2
    for p in addressing:
        assert f"«{p.label}»" in res.answer and p.citations[0] in res.answer_citations
