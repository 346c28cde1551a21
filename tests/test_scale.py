"""A collection larger than the seeds: candidates first, index-time work at index time, and
output sized for a person (stub model, real Chroma and embedder)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from app.answer.ask import ask
from app.retrieve import corpus_words

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SPORTS = ("football league", "cycling race", "tennis open", "chess olympiad", "rowing regatta", "marathon")


def filler(i: int) -> str:
    """An article on something else entirely, unique per `i`."""
    sport = SPORTS[i % len(SPORTS)]
    return (f"---\ntitle: Round {i} of the {sport}\noutlet: Sports Desk {i % 4}\ndate: '2019-0{1 + i % 9}-1{i % 10}'\n---\n"
            f"The {sport} went into round {i} on Saturday with {i + 12} entrants from {3 + i % 7} regions.\n\n"
            f"Organisers of the {sport} said the weather held and the crowd of {1000 + 37 * i} people stayed to the end. "
            f"The winner of round {i} thanked the volunteers who ran the course and the stewards at the finish.\n\n"
            f"The next round of the {sport} takes place in {2 + i % 5} weeks, when the season's standings are decided.\n")


@pytest.fixture
def collection(tmp_path) -> Path:
    folder = tmp_path / "collection"
    shutil.copytree(SEEDS, folder)
    for i in range(40):
        (folder / f"sport_{i:03d}.md").write_text(filler(i), encoding="utf-8")
    return folder


def test_a_question_reads_only_its_candidates_and_counts_the_rest(collection, make_pipe, monkeypatch):
    pipe = make_pipe(collection, candidates=8)
    asked: list[str] = []
    real = pipe.index.query
    monkeypatch.setattr(pipe.index, "query", lambda v, aid, n: asked.append(aid) or real(v, aid, n))
    found = pipe.find_evidence("How did US export controls affect DeepSeek?")
    assert len(found) == 45 and 0 < len(asked) <= 8  # per-article work for the candidates only
    examined = [ev for ev in found if ev.examined]
    assert {ev.article.id for ev in examined} == set(asked)
    assert {a.id for a in pipe.articles if not a.id.startswith("sport_")} <= set(asked)  # every seed was a candidate
    assert all(ev.status == "silent" and not ev.key for ev in found if not ev.examined)
    seeds = {a.id for a in pipe.articles if not a.id.startswith("sport_")}
    addressing = {ev.article.id for ev in found if ev.status != "silent"}
    assert addressing and addressing <= seeds  # the seeds discuss it; no sports article does


def test_sentence_vectors_are_built_at_index_time_and_a_question_embeds_only_itself(collection, make_pipe, monkeypatch):
    pipe = make_pipe(collection)
    files = list((pipe.settings.data_dir / "index" / "sentences").glob("*.npz"))
    assert len(files) == 45  # written by the index step, before any question
    sizes: list[int] = []
    real = pipe.embedder.embed
    monkeypatch.setattr(pipe.embedder, "embed", lambda texts, **kw: sizes.append(len(texts)) or real(texts, **kw))
    ask(pipe, "Did the Chinese government deserve credit for DeepSeek's success?")
    assert sizes and max(sizes) <= 2  # the question and its focus, never the corpus's sentences


def test_indexing_runs_the_model_over_each_sentence_once_and_passages_take_their_sentences_mean(collection, make_pipe, monkeypatch):
    from app.corpus.chunks import sentence_spans
    from app.index.embed import Embedder

    embedded: list[str] = []
    real = Embedder.embed
    monkeypatch.setattr(Embedder, "embed", lambda self, texts, **kw: embedded.extend(texts) or real(self, texts, **kw))
    pipe = make_pipe(collection)
    sentences = [a.text[s.start:s.end] for a in pipe.articles for s in sentence_spans(a.text)]
    vocabulary = set(pipe.evidence.words.forms.values())  # one vector per word of the vocabulary (related words, related.py)
    # once each (a sentence repeated across articles too), no passage whole
    assert sorted(t for t in embedded if t not in vocabulary or t in sentences) == sorted(set(sentences))
    assert len(set(sentences)) < len(sentences)  # the collection repeats sentences, so this tells
    art = next(a for a in pipe.articles if a.id.startswith("003"))
    found = pipe.sentences.get(art)
    got = pipe.index._open().get(where={"article_id": art.id}, include=["embeddings", "metadatas"])
    for vector, meta in zip(got["embeddings"], got["metadatas"]):
        inside = [i for i, s in enumerate(found.spans) if meta["start"] <= s.start and s.end <= meta["end"]]
        mean = found.vectors[inside].sum(axis=0)
        assert np.allclose(vector, mean / np.linalg.norm(mean), atol=1e-5)
    # and a passage is still found by its own words: the top hit for each passage's text is itself
    for p in [p for p in pipe.passages if p.article_id == art.id][:4]:
        top = pipe.index.query_all(pipe.embedder.embed([p.text])[0], 1)
        assert top[0][0] == p.id


def test_corpus_word_counts_are_read_back_and_one_added_article_costs_one_articles_work(collection, make_pipe, monkeypatch):
    make_pipe(collection)
    counted: list[str] = []
    real = corpus_words.sentence_words
    monkeypatch.setattr(corpus_words, "sentence_words", lambda art: counted.append(art.id) or real(art))
    make_pipe(collection)  # unchanged corpus: the stored total is read
    assert counted == []
    (collection / "sport_new.md").write_text(filler(99), encoding="utf-8")
    pipe = make_pipe(collection)
    assert counted == ["sport_new"]
    assert pipe.evidence.words.sentences == sum(len(corpus_words.sentence_words(a)) for a in pipe.articles)


def test_the_answer_names_a_few_articles_and_counts_the_rest(collection, make_pipe):
    from app.answer.ask import ask_stream

    pipe = make_pipe(collection, candidates=30, shown=2)
    events = list(ask_stream(pipe, "What did the organisers of the race say about the crowd and the weather?"))
    result = events[-1].result
    assert len(result.answer) <= 1500
    listed = result.answer.split(" Most direct:")[0]
    assert listed.count("«") <= 4  # two named per list: addressing, unsure
    assert re.search(r"\d+ more \(Sports Desk \d \d+", listed)  # the rest, counted by outlet
    assert re.search(r"\d+ other articles do not appear to discuss it", listed)
    cards = [e for e in events if e.kind == "viewpoint_start"]
    more = [e.text for e in events if e.kind == "more"]
    assert len(cards) == 2 and len(more) == 1 and "not found discussing it" in more[0]
    assert len(result.perspectives) + len(result.not_examined) == 45


def test_json_lists_unread_articles_as_ids_unless_all_is_asked(collection, make_pipe):
    from click.testing import CliRunner

    from app.cli.main import cli

    pipe = make_pipe(collection, candidates=6)
    args = ["ask", "How did US export controls affect DeepSeek?", "--json", "--model", "stub",
            "--seeds", str(collection), "--data-dir", str(pipe.settings.data_dir)]
    compact = json.loads(CliRunner().invoke(cli, args).stdout)
    assert len(compact["perspectives"]) <= 16 and len(compact["perspectives"]) + len(compact["not_examined"]) == 45
    assert all(aid.startswith("sport_") for aid in compact["not_examined"])
    full = json.loads(CliRunner().invoke(cli, [*args, "--all"]).stdout)
    assert len(full["perspectives"]) == 45
    assert [p["status"] for p in full["perspectives"] if p["article_id"] in compact["not_examined"]] == ["silent"] * len(compact["not_examined"])


def test_copies_of_one_story_do_not_fill_the_lead_with_the_same_quote(collection, make_pipe):
    """Wire copies are common in a real collection: the second Most direct quote must be another
    sentence, not the first one again under another outlet's name."""
    original = next(SEEDS.glob("003_*.txt")).read_text(encoding="utf-8")
    for i in range(3):
        (collection / f"copy_{i}.md").write_text(f"---\ntitle: Wire copy {i} of a column\noutlet: Wire {i}\n---\n" + original, encoding="utf-8")
    result = ask(make_pipe(collection), "How did US export controls affect DeepSeek?")
    direct = result.answer.split(" Most direct: ", 1)[1]
    quotes = re.findall(r"“(.+?)” \[\d+\]", direct)
    assert quotes and len(set(quotes)) == len(quotes)
    assert len(result.answer) <= 1500


def test_a_batch_reports_markdown_names_the_speaking_articles_and_counts_the_rest(collection, make_pipe):
    from app.render.text import markdown

    pipe = make_pipe(collection, candidates=8)
    result = ask(pipe, "How did US export controls affect DeepSeek?")
    text = markdown(result)
    cards = text.split("### What each article says", 1)[1].split("### Sources", 1)[0]
    speaking = [p for p in result.perspectives if p.status != "silent"]
    assert cards.count("- **") == len(speaking) and not re.search(r"\*\*Round \d+ of the", cards)  # no sports card
    assert f"Not found discussing it (not read closely): {len(result.not_examined)} more articles." in cards
    assert len(result.not_examined) >= 37 and len(cards) < 6000
