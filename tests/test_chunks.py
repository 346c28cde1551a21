"""Passages and sentences: sizes, offsets into the cleaned text, abbreviations."""

from pathlib import Path

import pytest

from app.corpus.chunks import MAX_WORDS, chunk_article, sentence_spans
from app.corpus.articles import load_corpus

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_passages_are_exact_slices_and_sized():
    for art in load_corpus(SEEDS):
        ps = chunk_article(art)
        assert len(ps) >= 5
        for p in ps:
            assert art.text[p.start:p.end] == p.text
            assert p.words <= MAX_WORDS * 1.3
        assert [p.position for p in ps] == list(range(len(ps)))
        # passages cover the article in order without overlap
        assert all(a.end <= b.start for a, b in zip(ps, ps[1:]))
        assert len({p.id for p in ps}) == len(ps)


def test_sentence_splitter_knows_abbreviations():
    text = "He bought chips before U.S. export rules. Mr. Liang agreed. It works! Does it?"
    got = [text[s.start:s.end] for s in sentence_spans(text)]
    assert got == ["He bought chips before U.S. export rules.", "Mr. Liang agreed.", "It works!", "Does it?"]


@pytest.mark.parametrize("text, sentences", [
    ("Treasury Secretary Steven T. Mnuchin said so. He left.", ["Treasury Secretary Steven T. Mnuchin said so.", "He left."]),
    ("On Jan. 5 the market fell. It rose on Feb. 6.", ["On Jan. 5 the market fell.", "It rose on Feb. 6."]),
    ("He ranked No. 3 in the world. The answer is no. Although he tried.", ["He ranked No. 3 in the world.", "The answer is no.", "Although he tried."]),
    ("The vote was at 4 p.m. on Monday. Then they left.", ["The vote was at 4 p.m. on Monday.", "Then they left."]),
    ("It was made in the U.S. The plant closed.", ["It was made in the U.S.", "The plant closed."]),
    ("The U.S. Commerce Department said so. Sen. Elizabeth Warren objected.", ["The U.S. Commerce Department said so.", "Sen. Elizabeth Warren objected."]),
    ("Lt. Gen. John Q. Public retired. He was 60.", ["Lt. Gen. John Q. Public retired.", "He was 60."]),
    ("Read the report (p. 4) carefully. Mrs. Ng agreed.", ["Read the report (p. 4) carefully.", "Mrs. Ng agreed."]),
    ("“We will win.” Kudlow said that on Monday.", ["“We will win.”", "Kudlow said that on Monday."]),
    ("Young and old use it. “My father uses it too,” says Ms. You.", ["Young and old use it.", "“My father uses it too,” says Ms. You."]),
])
def test_sentences_are_not_cut_at_abbreviations(text, sentences):
    spans = sentence_spans(text)
    assert [text[s.start:s.end] for s in spans] == sentences


def test_sentence_with_closing_quote():
    text = "He said “It’s time to lead.” Then he left."
    assert [text[s.start:s.end] for s in sentence_spans(text)] == ["He said “It’s time to lead.”", "Then he left."]


def test_ids_change_with_content(seeds_copy):
    from app.corpus.articles import load_article

    path = sorted(seeds_copy.glob("*.txt"))[0]
    before = chunk_article(load_article(path))[0].id
    path.write_text(path.read_text(encoding="utf-8") + "\n\nA new closing paragraph.", encoding="utf-8")
    assert chunk_article(load_article(path))[0].id != before
